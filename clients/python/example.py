#!/usr/bin/python3
"""Example: ask partnergraph-server for a merchant's partners and coupon pairings.

Copy this file and adapt it. Run it with Debian's Python (it has python3-thrift):

    PYTHONPATH=<build>/clients/python:clients/python /usr/bin/python3 clients/python/example.py \
        --port 9090 --key "$KEY" --merchant m_bakery

<build>/clients/python holds the package generated from the IDL (README.md explains how to make
it without a build). Exit status: 0 answered, 2 the server answered an error, 3 unreachable.
"""

import argparse
import sys

from thrift.transport.TTransport import TTransportException

from partnergraph_client import connect
from partnergraph_rpc.ttypes import (InvalidArgument, NotFound, PermissionDenied,
                                     RecommendCouponPairsRequest, RecommendPartnersRequest,
                                     PartnerFilters, Unavailable)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9090)
    parser.add_argument("--key", default="", help="API key (not needed without a keys file)")
    parser.add_argument("--protocol", default="binary", choices=["binary", "compact"])
    parser.add_argument("--merchant", required=True)
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args()

    try:
        with connect(args.host, args.port, args.protocol) as client:
            health = client.Health(args.key)
            print(f"server {health.status}, version {health.version}, you are {health.caller_role}")

            answer = client.RecommendPartners(
                args.key,
                RecommendPartnersRequest(merchant_id=args.merchant, k=args.k))
            print(f"partners for {args.merchant}"
                  f" ({'precomputed' if answer.precomputed else 'live'}):")
            for rank, p in enumerate(answer.partners, 1):
                shared = "suppressed" if p.shared_customers is None else p.shared_customers
                print(f"  {rank}. {p.merchant_id} {p.name} ({p.category}, {p.region})"
                      f" score {p.score:.3f}, shared customers {shared}")

            # Optional request fields left unset keep the server's defaults; filters make the
            # server compute the answer live instead of reading the precomputed one.
            live = client.RecommendPartners(
                args.key,
                RecommendPartnersRequest(merchant_id=args.merchant, k=args.k,
                                         filters=PartnerFilters(include_existing_partners=True)))
            print(f"with existing partners: {[p.merchant_id for p in live.partners]}")

            pairs = client.RecommendCouponPairs(
                args.key, RecommendCouponPairsRequest(merchant_id=args.merchant, k=args.k))
            for pair in pairs.pairs:
                print(f"  buy {pair.trigger_sku_id} -> coupon for {pair.sku_id}"
                      f" at {pair.merchant_id} (lift {pair.lift:.2f})")
    except (NotFound, InvalidArgument, PermissionDenied, Unavailable) as error:
        print(f"{type(error).__name__}: {error.message}", file=sys.stderr)
        return 2
    except TTransportException as error:
        print(f"cannot reach {args.host}:{args.port}: {error}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
