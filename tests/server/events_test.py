#!/usr/bin/python3
"""Live events over Thrift against a real partnergraph-server (issue 14, docs/events.md), run by
ctest on a model of datasets/tiny:

  - an unsubscription recorded with RecordEvents changes reach and coupon targeting in the very
    next call, and so do policy changes (discoverable, allow_coupons) and a blocked pair; every
    answer says which event sequence it reflects;
  - a retried batch is acknowledged with its first sequences and not applied twice;
  - a bad batch (unknown merchant, bad enum, time in the future, two bodies, an order for another
    merchant's SKU) is refused whole with the event's index and field named, nothing logged;
  - a merchant key records only its own events;
  - after kill -9 and a restart on the same --events folder, the answers still reflect every
    acknowledged event (replayed before the server listens);
  - a server without --events refuses RecordEvents with Unavailable.
Exit status 0 when every check passed.
"""

import os
import signal
import sys

import events_support  # tests/server/events_support.py
from events_support import FAILURES, add_key, check, consent, health, now_iso, policy, record
from server_process import Server  # tests/server/server_process.py

connect = None
ttypes = None

CHANNELS = ["email", "newsletter", "call_centre", "sms", "post", "events", "account_manager"]
BAKERY_CUSTOMERS = ["c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09", "c10", "c12"]


def refused(port, key, events, exception, *expected):
    """Whether RecordEvents raises `exception` with every `expected` text in its message."""
    try:
        record(port, key, events)
    except exception as e:
        ok = all(text in e.message for text in expected)
        if not ok:
            print(f"      message: {e.message}")
        return ok
    return False


def coupon_reach(port, key):
    with connect(port=port) as client:
        answer = client.RecommendCouponPairs(key, ttypes.RecommendCouponPairsRequest(
            merchant_id="m_bakery", k=10))
    return {(p.trigger_sku_id, p.sku_id): p.reach for p in answer.pairs}, answer


def partner_ids(port, key):
    with connect(port=port) as client:
        answer = client.RecommendPartners(key, ttypes.RecommendPartnersRequest(
            merchant_id="m_bakery", k=10))
    return {p.merchant_id for p in answer.partners}, answer


def main():
    parser = events_support.argument_parser()
    args = parser.parse_args()

    global connect, ttypes
    connect, ttypes = events_support.load_client(args.gen_py, args.client_dir)

    model = events_support.fresh_work_dir(args.cli, args.data, args.work_dir)
    events_dir = os.path.join(args.work_dir, "events")
    keys_file = os.path.join(args.work_dir, "keys.tsv")
    op = add_key(args.cli, keys_file, "operator")
    bakery = add_key(args.cli, keys_file, "merchant:m_bakery")
    server_args = ["--keys", keys_file, "--events", events_dir]

    # Without --events: Unavailable.
    plain = Server(args.server, model, ["--keys", keys_file])
    try:
        check(refused(plain.port, op, [policy("p0", "m_bakery", k_min=4)], ttypes.Unavailable,
                      "--events"), "a server without --events refuses RecordEvents (Unavailable)")
        check(health(plain.port, op).event_sequence is None,
              "Health without --events has no event sequence")
    finally:
        plain.stop()

    server = Server(args.server, model, server_args)
    try:
        port = server.port
        h = health(port, op)
        check(h.event_sequence == 0 and h.event_log_sequence == 0, "an empty log: sequence 0")
        reach0, answer = coupon_reach(port, op)
        check(answer.precomputed and answer.event_sequence == 0 and reach0 and
              min(reach0.values()) > 0,
              f"before: precomputed coupon pairs with reach {reach0}, sequence 0")
        partners0, answer = partner_ids(port, op)
        check("m_florist" in partners0 and "m_wine" in partners0,
              f"before: m_bakery's partners {sorted(partners0)} include m_florist and m_wine")

        with connect(port=port) as client:
            merchant0 = client.GetMerchant(op, "m_bakery")
        check(merchant0.contactable == 11 and len(merchant0.contactable_by_channel) == 7,
              f"before: m_bakery may contact {merchant0.contactable} of 11 customers, per channel "
              f"{merchant0.contactable_by_channel}")

        # One customer unsubscribes on every channel: reach falls in the next call.
        batch = [consent(f"u-c01-{ch}", "c01", "m_bakery", ch, "unsubscribed") for ch in CHANNELS]
        ack = record(port, bakery, batch)  # the merchant's own customers: its key may
        check(ack.new_events == 7 and ack.sequences == list(range(1, 8)) and
              ack.last_sequence == 7 and not any(ack.duplicate),
              f"7 new events, sequences {ack.sequences}")
        reach1, answer = coupon_reach(port, op)
        check(not answer.precomputed and answer.event_sequence == 7,
              "after: answered live, reflecting sequence 7")
        check(reach1.keys() == reach0.keys() and all(reach1[p] <= reach0[p] for p in reach0) and
              sum(reach1.values()) < sum(reach0.values()),
              f"after one unsubscription the reach falls: {reach0} -> {reach1}")

        with connect(port=port) as client:
            merchant1 = client.GetMerchant(bakery, "m_bakery")
        check(merchant1.contactable == merchant0.contactable - 1 and all(
            merchant1.contactable_by_channel[ch] <= merchant0.contactable_by_channel[ch]
            for ch in CHANNELS) and merchant1.contactable_by_channel["post"] ==
              merchant0.contactable_by_channel["post"] - 1,
              f"the merchant's own reach, per channel: {merchant1.contactable_by_channel}")

        # The retry of the same batch: same sequences, nothing applied again.
        again = record(port, bakery, batch)
        check(again.sequences == ack.sequences and all(again.duplicate) and again.new_events == 0
              and again.last_sequence == 7, "a retried batch is acknowledged, not applied twice")
        check(coupon_reach(port, op)[0] == reach1, "the retry changed nothing")

        # Everyone unsubscribes: no contactable customer, no reach.
        everyone = [consent(f"u-{c}-{ch}", c, "m_bakery", ch, "unsubscribed")
                    for c in BAKERY_CUSTOMERS for ch in CHANNELS]
        ack = record(port, op, everyone)
        check(ack.new_events == len(everyone) - 7 and sum(ack.duplicate) == 7,
              "the operator's batch: the 7 events of c01 are duplicates (same ids and content)")
        reach2, _ = coupon_reach(port, op)
        check(reach2 and all(r == 0 for r in reach2.values()),
              f"every customer unsubscribed: reach {reach2}")
        last = ack.last_sequence

        # Policies and relations, at once.
        record(port, op, [policy("p-florist", "m_florist", discoverable=False)])
        partners1, _ = partner_ids(port, op)
        check("m_florist" not in partners1 and "m_wine" in partners1,
              f"m_florist opted out of discovery: partners {sorted(partners1)}")
        record(port, op, [ttypes.Event(event_id="block-wine", partnership_change=(
            ttypes.PartnershipChangeEvent(merchant_a="m_wine", merchant_b="m_bakery",
                                          kind="blocked", removed=False, ts=now_iso())))])
        partners2, answer = partner_ids(port, op)
        check("m_wine" not in partners2, f"m_wine blocked with m_bakery: partners {sorted(partners2)}")
        record(port, bakery, [policy("p-bakery-coupons", "m_bakery", allow_coupons=False)])
        pairs, answer = coupon_reach(port, bakery)
        check(pairs == {}, "m_bakery stopped coupons: no coupon pairs")
        last = answer.event_sequence
        check(last == health(port, op).event_log_sequence, f"the answers reflect sequence {last}")

        # Bad batches: refused whole, nothing logged.
        good = consent("good-1", "c02", "m_bakery", "email", "double_opt_in")
        cases = [
            ([good, consent("bad-1", "c02", "m_nobody", "email", "unsubscribed")],
             ttypes.InvalidArgument, ["events[1].consent_change.merchant_id", "m_nobody"]),
            ([good, consent("bad-2", "c02", "m_bakery", "fax", "unsubscribed")],
             ttypes.InvalidArgument, ["events[1].consent_change.channel", "fax"]),
            ([good, ttypes.Event(event_id="bad-3", consent_change=ttypes.ConsentChangeEvent(
                customer_id="c02", merchant_id="m_bakery", channel="email", status="unsubscribed",
                ts=now_iso(24 * 3600)))], ttypes.InvalidArgument, ["events[1]", "ts"]),
            ([good, ttypes.Event(event_id="bad-4", policy_change=ttypes.PolicyChangeEvent(
                merchant_id="m_bakery", ts=now_iso(), k_min=3),
                consent_change=ttypes.ConsentChangeEvent(
                    customer_id="c02", merchant_id="m_bakery", channel="email",
                    status="unsubscribed", ts=now_iso()))],
             ttypes.InvalidArgument, ["events[1]", "2 event bodies"]),
            ([good, ttypes.Event(event_id="bad-5", order_line=ttypes.OrderLineEvent(
                order_id="o900", customer_id="c02", merchant_id="m_bakery", sku_id="s_wine_red",
                ts=now_iso(), quantity=1, unit_price=3.0))],
             ttypes.InvalidArgument, ["events[1].order_line.sku_id", "s_wine_red"]),
            ([good, consent("", "c02", "m_bakery", "email", "unsubscribed")],
             ttypes.InvalidArgument, ["events[1].event_id"]),
        ]
        for events, exception, expected in cases:
            check(refused(port, op, events, exception, *expected),
                  f"refused with {exception.__name__} naming {expected}")
        check(health(port, op).event_log_sequence == last, "no refused event was logged")

        # Roles.
        check(refused(port, bakery, [consent("r-1", "c02", "m_wine", "email", "unsubscribed")],
                      ttypes.PermissionDenied, "events[0].consent_change.merchant_id"),
              "a merchant key may not record another merchant's consent")
        check(refused(port, bakery, [ttypes.Event(
            event_id="r-2", engagement_activity=ttypes.EngagementActivityEvent(
                merchant_id="m_bakery", ts=now_iso(), activity="webinar"))],
            ttypes.PermissionDenied, "operators only"), "engagement events are the operator's")
        check(health(port, op).event_log_sequence == last, "no refused event was logged")

        # kill -9, restart on the same log: replayed before listening.
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        server.log.close()
        server = Server(args.server, model, server_args)
        port = server.port
        h = health(port, op)
        check(h.status == "ok" and h.event_sequence == last and h.event_log_sequence == last,
              f"after kill -9: Health ok at sequence {h.event_sequence} (expected {last})")
        check(f"replayed {last} events" in server.read_log(), "the log names the replay")
        pairs, answer = coupon_reach(port, bakery)
        check(pairs == {} and answer.event_sequence == last, "after restart: still no coupons")
        record(port, bakery, [policy("p-bakery-coupons-on", "m_bakery", allow_coupons=True)])
        reach3, _ = coupon_reach(port, op)
        check(reach3 and all(r == 0 for r in reach3.values()),
              f"after restart the unsubscriptions still hold: reach {reach3}")
        partners3, _ = partner_ids(port, op)
        check(partners3 == partners2, f"after restart the partners are {sorted(partners3)}")
    finally:
        server.stop()

    if FAILURES:
        print(f"{len(FAILURES)} checks failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
