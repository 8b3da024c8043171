#!/usr/bin/python3
"""The Python client (clients/python) against the real server front end, run by ctest.

Starts the server binary given by --server on a free loopback port with a keys file made by
`partnergraph keys add`, then calls every method through the package generated from the IDL:
answers, every typed exception, tenancy, the compact protocol, and clients/python/example.py.
With --build-model the model is built from --data by `partnergraph build` (the real engine);
without it the server is the fixture server and the model folder is empty.
Exit status 0 when every check passed; the failures are listed otherwise.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback

CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


class Server:
    def __init__(self, binary, model, args):
        self.log_path = os.path.join(os.path.dirname(model), f"server-{len(args)}-{time.time()}.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([binary, "--model", model, "--port", "0", *args],
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()
        match = re.search(r"listening on (\S+):(\d+) ", line)
        if not match:
            self.process.kill()
            raise RuntimeError(f"no ready line from {binary}: {line!r}; log:\n{self.read_log()}")
        self.port = int(match.group(2))

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=20)
        self.log.close()
        return code


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--build-model", action="store_true")
    parser.add_argument("--cli", required=True)
    parser.add_argument("--gen-py", required=True)
    parser.add_argument("--client-dir", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--work-dir", required=True)
    args = parser.parse_args()

    sys.path[:0] = [args.gen_py, args.client_dir]
    global connect, ttypes
    from partnergraph_client import connect  # noqa: E402
    from partnergraph_rpc import ttypes  # noqa: E402

    shutil.rmtree(args.work_dir, ignore_errors=True)
    os.makedirs(args.work_dir)
    model = os.path.join(args.work_dir, "model")
    if args.build_model:
        subprocess.run([args.cli, "build", "--data", args.data, "--out", model], check=True,
                       capture_output=True)
    else:
        os.makedirs(model)

    keys_file = os.path.join(args.work_dir, "keys.tsv")

    def add_key(role):
        done = subprocess.run([args.cli, "keys", "add", "--file", keys_file, "--role", role],
                              check=True, capture_output=True, text=True)
        return done.stdout.strip()

    env = {
        "operator": add_key("operator"),
        "bakery": add_key("merchant:m_bakery"),
        "real": args.build_model,
        "client_dir": args.client_dir,
        "gen_py": args.gen_py,
    }
    server = Server(args.server, model, ["--keys", keys_file])
    env["port"] = server.port
    failures = []
    try:
        for function in CHECKS:
            try:
                function(env)
                print(f"ok    {function.__name__}")
            except Exception:  # a failed check is reported, the others still run
                failures.append(function.__name__)
                print(f"FAIL  {function.__name__}\n{traceback.format_exc()}")
        compact = Server(args.server, model, ["--keys", keys_file, "--protocol", "compact"])
        try:
            with connect(port=compact.port, protocol="compact") as client:
                assert client.Health(env["operator"]).status == "ok"
            print("ok    compact_protocol")
        except Exception:
            failures.append("compact_protocol")
            print(f"FAIL  compact_protocol\n{traceback.format_exc()}")
        finally:
            compact.stop()
    finally:
        code = server.stop()
    if code != 0:
        failures.append(f"server exit code {code}")
    if failures:
        print(f"{len(failures)} failed: {', '.join(failures)}\nserver log:\n{server.read_log()}")
        return 1
    print(f"all {len(CHECKS) + 1} checks passed")
    return 0


def expect(exception_type, call):
    try:
        call()
    except exception_type as error:
        assert error.message, "the exception carries no message"
        return error
    raise AssertionError(f"expected {exception_type.__name__}")


NEVER_PARTNERS_OF_BAKERY = {"m_bakery", "m_bakery2", "m_hardware", "m_cheese"}


@check
def health_and_stats(env):
    with connect(port=env["port"]) as client:
        health = client.Health(env["operator"])
        assert health.status == "ok" and health.caller_role == "operator", health
        assert client.Health(env["bakery"]).caller_role == "merchant:m_bakery"
        stats = client.Stats(env["operator"])
        assert (stats.merchants, stats.skus, stats.customers) == (6, 9, 12), stats


@check
def merchants(env):
    with connect(port=env["port"]) as client:
        bakery = client.GetMerchant(env["bakery"], "m_bakery")
        assert bakery.name == "Sunrise Bakery" and bakery.sku_count == 2, bakery
        first = client.ListMerchants(env["operator"], ttypes.ListMerchantsRequest(page_size=4))
        assert len(first.merchants) == 4 and first.total == 6 and first.next_page_token
        rest = client.ListMerchants(env["operator"], ttypes.ListMerchantsRequest(
            page_size=4, page_token=first.next_page_token))
        assert len(rest.merchants) == 2 and rest.next_page_token is None
        ids = {m.merchant_id for m in first.merchants + rest.merchants}
        assert ids == {"m_bakery", "m_bakery2", "m_florist", "m_wine", "m_hardware", "m_cheese"}


@check
def recommend_partners(env):
    with connect(port=env["port"]) as client:
        answer = client.RecommendPartners(
            env["bakery"], ttypes.RecommendPartnersRequest(merchant_id="m_bakery", k=5))
        ids = [p.merchant_id for p in answer.partners]
        assert ids and not NEVER_PARTNERS_OF_BAKERY & set(ids), ids
        # k left unset takes the server's default (10).
        default_k = client.RecommendPartners(
            env["bakery"], ttypes.RecommendPartnersRequest(merchant_id="m_bakery", k=None))
        assert len(default_k.partners) <= 10
        live = client.RecommendPartners(env["bakery"], ttypes.RecommendPartnersRequest(
            merchant_id="m_bakery", k=5,
            filters=ttypes.PartnerFilters(exclude_categories=["florist"])))
        assert live.precomputed is False
        assert all(p.category != "florist" for p in live.partners)


@check
def coupon_pairs_explain_overlap(env):
    with connect(port=env["port"]) as client:
        pairs = client.RecommendCouponPairs(
            env["bakery"], ttypes.RecommendCouponPairsRequest(merchant_id="m_bakery", k=5))
        assert all(p.trigger_sku_id in ("s_bread", "s_cake") for p in pairs.pairs), pairs
        by_sku = client.RecommendCouponPairs(
            env["operator"], ttypes.RecommendCouponPairsRequest(sku_id="s_bread", k=3))
        assert len(by_sku.pairs) <= 3
        explained = client.ExplainPair(env["bakery"], ttypes.ExplainPairRequest(
            merchant_id="m_bakery", other_merchant_id="m_bakery2"))
        assert explained.excluded_because, explained
        overlap = client.OverlapReport(env["bakery"], ttypes.OverlapReportRequest(
            merchant_id="m_bakery", other_merchant_id="m_florist"))
        assert overlap.k_min == 3, overlap


@check
def typed_exceptions(env):
    with connect(port=env["port"]) as client:
        op = env["operator"]
        error = expect(ttypes.NotFound, lambda: client.GetMerchant(op, "m_nope"))
        assert "m_nope" in error.message
        error = expect(ttypes.InvalidArgument, lambda: client.RecommendPartners(
            op, ttypes.RecommendPartnersRequest(merchant_id="m_bakery", k=0)))
        assert "RecommendPartnersRequest.k" in error.message
        expect(ttypes.InvalidArgument, lambda: client.RecommendCouponPairs(
            op, ttypes.RecommendCouponPairsRequest(sku_id="s_bread", merchant_id="m_bakery")))
        expect(ttypes.PermissionDenied, lambda: client.OverlapReport(op, ttypes.OverlapReportRequest(
            merchant_id="m_bakery", other_merchant_id="m_wine")))
        if not env["real"]:
            # Only the fixture engine can fail inside on demand.
            error = expect(ttypes.Unavailable, lambda: client.GetMerchant(op, "fault:internal"))
            assert "checksum" not in error.message
        # The connection survived every exception.
        assert client.Health(op).status == "ok"


@check
def tenancy(env):
    with connect(port=env["port"]) as client:
        bakery = env["bakery"]
        other = expect(ttypes.PermissionDenied, lambda: client.GetMerchant(bakery, "m_florist"))
        missing = expect(ttypes.PermissionDenied, lambda: client.GetMerchant(bakery, "m_nope"))
        assert other.message == missing.message
        expect(ttypes.PermissionDenied, lambda: client.RecommendPartners(
            bakery, ttypes.RecommendPartnersRequest(merchant_id="m_wine")))
        expect(ttypes.PermissionDenied, lambda: client.Stats(bakery))
        expect(ttypes.PermissionDenied, lambda: client.ListMerchants(
            bakery, ttypes.ListMerchantsRequest()))
        unknown = expect(ttypes.PermissionDenied, lambda: client.Health("pg_wrong"))
        assert unknown.message == "unknown API key"
        expect(ttypes.PermissionDenied, lambda: client.Health(""))
        assert client.GetMerchant(env["operator"], "m_florist").name == "Petal Florist"


@check
def example_script(env):
    example = os.path.join(env["client_dir"], "example.py")
    path = os.pathsep.join([env["gen_py"], env["client_dir"]])
    done = subprocess.run(
        ["/usr/bin/python3", example, "--port", str(env["port"]), "--key", env["bakery"],
         "--merchant", "m_bakery"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": path}, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "partners for m_bakery" in done.stdout, done.stdout
    assert "you are merchant:m_bakery" in done.stdout, done.stdout
    denied = subprocess.run(
        ["/usr/bin/python3", example, "--port", str(env["port"]), "--key", env["bakery"],
         "--merchant", "m_wine"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": path}, timeout=30)
    assert denied.returncode == 2 and "PermissionDenied" in denied.stderr, denied


if __name__ == "__main__":
    sys.exit(main())
