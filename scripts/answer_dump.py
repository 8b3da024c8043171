#!/usr/bin/python3
"""Dumps a server's answers to a file, one line per answer, to compare two binaries.

Asks a running partnergraph-server, over the real Thrift connection, for the partner and coupon
answers of the first --count merchants of merchants.csv, each in four forms: the default request
(read from the precomputed answers where the model has them) and a request with a filter that
asks for the same list but is computed live, for partners and for coupon pairs. With
--merchant-keys, the merchants listed there are asked again with their own key (the merchant
view: disclosed scores, suppressed counts), with ExplainPair and OverlapReport for their first
suggested partner. Every answer is written as the generated struct's repr (every field, floats
to the last bit), or as the error's type and message, so that two dumps are equal exactly when
the answers are.

Usage (docs/architecture.md "Checking a refactor"):
  PYTHONPATH=build/clients/python:clients/python /usr/bin/python3 scripts/answer_dump.py \
      --port 9090 --key pg_... --merchants DATA/merchants.csv --count 10000 --out old.txt
"""

import argparse
import csv
import sys

from partnergraph_client import connect
from partnergraph_rpc.ttypes import (CouponFilters, ExplainPairRequest, OverlapReportRequest,
                                     PartnerFilters, RecommendCouponPairsRequest,
                                     RecommendPartnersRequest)


def answer(call):
    """The repr of a call's answer, or its error's type and message."""
    try:
        return repr(call())
    except Exception as e:  # the IDL's typed errors; anything else is a dump line too
        return "%s(%r)" % (type(e).__name__, getattr(e, "message", str(e)))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--key", default="", help="an operator key (empty: a server without --keys)")
    p.add_argument("--merchants", required=True, help="the dataset's merchants.csv")
    p.add_argument("--count", type=int, default=10000, help="merchants asked as the operator")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--candidates", type=int, required=True,
                   help="the model's partner_candidates: the live request asks for exactly it")
    p.add_argument("--merchant-keys", help="TSV merchant_id<TAB>key: asked in the merchant view")
    p.add_argument("--out", required=True)
    args = p.parse_args()

    with open(args.merchants, newline="") as f:
        merchants = [row["merchant_id"] for row in csv.DictReader(f)][: args.count]
    merchant_keys = []
    if args.merchant_keys:
        with open(args.merchant_keys) as f:
            merchant_keys = [tuple(line.rstrip("\n").split("\t")) for line in f if line.strip()]

    # A filter that changes nothing but makes the request non-default, so the answer is live.
    live_partners = PartnerFilters(candidates=args.candidates)
    live_coupons = CouponFilters(min_price=0.0)
    lines = 0
    with connect(args.host, args.port) as client, open(args.out, "w") as out:
        def ask(key, merchant, tag):
            nonlocal lines
            first = None
            for form, filters in (("default", None), ("live", live_partners)):
                def call():
                    return client.RecommendPartners(
                        key, RecommendPartnersRequest(merchant_id=merchant, k=args.k,
                                                      filters=filters))
                try:
                    reply = call()
                    text = repr(reply)
                    if first is None and reply.partners:
                        first = reply.partners[0].merchant_id
                except Exception:
                    text = answer(call)
                out.write("%s partners %s %s %s\n" % (tag, form, merchant, text))
            for form, filters in (("default", None), ("live", live_coupons)):
                text = answer(lambda: client.RecommendCouponPairs(
                    key, RecommendCouponPairsRequest(merchant_id=merchant, k=args.k,
                                                     filters=filters)))
                out.write("%s coupons %s %s %s\n" % (tag, form, merchant, text))
            lines += 4
            if first is not None:
                text = answer(lambda: client.ExplainPair(
                    key, ExplainPairRequest(merchant_id=merchant, other_merchant_id=first)))
                out.write("%s explain %s %s %s\n" % (tag, merchant, first, text))
                text = answer(lambda: client.OverlapReport(
                    key, OverlapReportRequest(merchant_id=merchant, other_merchant_id=first)))
                out.write("%s overlap %s %s %s\n" % (tag, merchant, first, text))
                lines += 2

        for i, m in enumerate(merchants):
            ask(args.key, m, "operator")
            if (i + 1) % 1000 == 0:
                print("answer_dump: %d of %d merchants" % (i + 1, len(merchants)),
                      file=sys.stderr)
        for m, key in merchant_keys:
            ask(key, m, "merchant")
    print("answer_dump: %d answers to %s" % (lines, args.out), file=sys.stderr)


if __name__ == "__main__":
    main()
