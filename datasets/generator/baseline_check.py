#!/usr/bin/python3
"""How much of the planted best-partner lists simple co-purchase baselines recover.

Usage: baseline_check.py DIR [MIN_CUSTOMERS]

DIR is a folder written by `partnergraph generate`. For up to 300 merchants with at
least MIN_CUSTOMERS (default 20) distinct customers (fixed random sample), it ranks the
other merchants by each baseline and prints recall@10 against
ground_truth/best_partners.csv. Pure Python, fine up to ~1M order lines.
"""
import collections
import csv
import random
import sys


def main():
    d = sys.argv[1]
    min_customers = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    merchant = {}  # id -> (category, region)
    for r in csv.DictReader(open(d + "/merchants.csv", newline="")):
        merchant[r["merchant_id"]] = (r["category"], r["region"])
    bought_at = collections.defaultdict(set)  # customer -> merchants
    for r in csv.DictReader(open(d + "/orders.csv", newline="")):
        bought_at[r["customer_id"]].add(r["merchant_id"])
    audience = collections.defaultdict(set)  # merchant -> customers
    for c, ms in bought_at.items():
        for m in ms:
            audience[m].add(c)
    truth = collections.defaultdict(list)
    for r in csv.DictReader(open(d + "/ground_truth/best_partners.csv", newline="")):
        truth[r["merchant_id"]].append(r["partner_id"])
    complementary = set()
    for r in csv.DictReader(open(d + "/ground_truth/complementary_categories.csv", newline="")):
        complementary.add((r["category_a"], r["category_b"]))
        complementary.add((r["category_b"], r["category_a"]))

    random.seed(1)
    sample = sorted(m for m in merchant if len(audience[m]) >= min_customers and truth[m])
    sample = random.sample(sample, min(300, len(sample)))
    recall = collections.defaultdict(float)
    same_category = total = 0
    for m in sample:
        co = collections.Counter()
        for c in audience[m]:
            for n in bought_at[c]:
                if n != m:
                    co[n] += 1
        expected = set(truth[m][:10])

        def score(name, key, keep=lambda n: True):
            top = sorted((n for n in co if keep(n)), key=lambda n: (-key(n), n))[:10]
            recall[name] += len(expected & set(top)) / len(expected)

        cat, region = merchant[m]
        score("co-customer count", lambda n: co[n])
        score("jaccard", lambda n: co[n] / (len(audience[m]) + len(audience[n]) - co[n]))
        score("co-count, other categories", lambda n: co[n], lambda n: merchant[n][0] != cat)
        score("oracle: co-count, complementary category, same region", lambda n: co[n],
              lambda n: (merchant[n][0], cat) in complementary and merchant[n][1] == region)
        top = sorted(co, key=lambda n: (-co[n], n))[:10]
        total += len(top)
        same_category += sum(merchant[n][0] == cat for n in top)
    print(f"{len(sample)} merchants with >= {min_customers} customers")
    for name, v in recall.items():
        print(f"  recall@10 {v / len(sample):.3f}  {name}")
    print(f"  same-category share of the co-count top 10: {same_category / max(total, 1):.2f}")


if __name__ == "__main__":
    main()
