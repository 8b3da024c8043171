#!/usr/bin/python3
"""Fresh models without downtime (issue 14, docs/events.md "Fresh models"), against a real
partnergraph-server with an event log, on a model of datasets/tiny:

  - `partnergraph build --data DIR --events LOG --out MODEL` folds the log of the running server
    into a new model of the same folder; the model records the last event it includes;
  - ReloadModel swaps to it, replaying only the events recorded after that build; the answers
    are those of the old model with every event (nothing lost, nothing applied twice), and
    Health reports the new model's sequence;
  - calls keep being answered during the swap (clients calling all along see no error), and
    events recorded while it runs are all applied once;
  - --watch swaps on its own when the folder is published again;
  - refused: ReloadModel by a merchant key; a model built from another log (its event sequence
    past this log's end), which leaves the old model serving;
  - after a restart on the swapped model and the same log, the answers are the same.
Exit status 0 when every check passed.
"""

import os
import subprocess
import sys
import threading
import time

from server_process import Server  # tests/server/server_process.py
import events_support as ev  # tests/server/events_support.py
from events_support import check, health, record

BAKERY_CUSTOMERS = ["c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09", "c10", "c12"]


def consent(event_id, customer, channel, status="unsubscribed"):
    return ev.consent(event_id, customer, "m_bakery", channel, status)


def reload_model(port, key):
    with ev.connect(port=port) as client:
        return client.ReloadModel(key)


def state(port, key):
    """What the events change, for every merchant the test touches: reach per channel."""
    with ev.connect(port=port) as client:
        out = {}
        for merchant in ["m_bakery", "m_florist", "m_wine"]:
            m = client.GetMerchant(key, merchant)
            out[merchant] = (m.contactable, dict(m.contactable_by_channel))
        return out


class Callers:
    """Threads calling GetMerchant and RecommendPartners without pause; counts answers and
    errors."""

    def __init__(self, port, key, threads=3):
        self.port, self.key = port, key
        self.stop = threading.Event()
        self.answers = 0
        self.errors = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def run(self):
        try:
            with ev.connect(port=self.port) as client:
                while not self.stop.is_set():
                    client.GetMerchant(self.key, "m_bakery")
                    client.RecommendPartners(self.key, ev.ttypes.RecommendPartnersRequest(
                        merchant_id="m_bakery", k=5))
                    with self.lock:
                        self.answers += 2
        except Exception as e:  # noqa: BLE001 - every error is a failure of the test
            with self.lock:
                self.errors.append(repr(e))

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()
        return self.answers, self.errors


def build(cli, data, events_dir, out):
    result = subprocess.run([cli, "build", "--data", data, "--events", events_dir, "--out", out],
                            capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stderr)
    return result.returncode


def wait_for(condition, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def main():
    parser = ev.argument_parser()
    args = parser.parse_args()

    ev.load_client(args.gen_py, args.client_dir)
    ttypes = ev.ttypes
    model = ev.fresh_work_dir(args.cli, args.data, args.work_dir)
    events_dir = os.path.join(args.work_dir, "events")
    keys_file = os.path.join(args.work_dir, "keys.tsv")
    op = ev.add_key(args.cli, keys_file, "operator")
    bakery = ev.add_key(args.cli, keys_file, "merchant:m_bakery")

    server = Server(args.server, model, ["--keys", keys_file, "--events", events_dir])
    try:
        port = server.port
        before = state(port, op)
        # Events 1..11: every bakery customer unsubscribes from email.
        record(port, op, [consent(f"a{i}", c, "email") for i, c in enumerate(BAKERY_CUSTOMERS)])
        live = state(port, op)
        check(live["m_bakery"][1]["email"] == 0 and before["m_bakery"][1]["email"] > 0,
              f"email reach of m_bakery {before['m_bakery'][1]['email']} -> 0 live")

        # The log folded into a new model of the same folder while the server runs.
        check(build(args.cli, args.data, events_dir, model) == 0,
              "build --events folds the running server's log into the served folder")
        with open(os.path.join(model, "manifest.json")) as f:
            manifest = f.read()
        check('"event_sequence": 11' in manifest, "the new model records event_sequence 11")

        # Events 12..14 after the build: the swap must replay exactly these.
        record(port, op, [consent(f"b{i}", c, "sms") for i, c in enumerate(BAKERY_CUSTOMERS[:3])])
        expected = state(port, op)

        try:
            reload_model(port, bakery)
            check(False, "a merchant key may not reload the model")
        except ttypes.PermissionDenied:
            check(True, "a merchant key may not reload the model (PermissionDenied)")

        callers = Callers(port, op)
        writer_errors = []
        written = []

        def writer():
            try:
                for n in range(20):
                    r = record(port, op, [consent(f"w{n}", BAKERY_CUSTOMERS[n % 11], "post",
                                                  "unsubscribed" if n % 2 else "double_opt_in")])
                    written.append(r.sequences[0])
            except Exception as e:  # noqa: BLE001
                writer_errors.append(repr(e))

        w = threading.Thread(target=writer)
        w.start()
        answer = reload_model(port, op)
        w.join()
        answers, errors = callers.finish()
        check(answer.model_event_sequence == 11,
              f"ReloadModel: the new model includes events up to {answer.model_event_sequence}")
        check(answer.events_replayed >= 3,
              f"ReloadModel replayed {answer.events_replayed} events (the 3 after the build, and "
              "those recorded during the reload)")
        check(not errors and answers > 0,
              f"{answers} calls answered during the reload, errors: {errors[:3]}")
        check(not writer_errors and len(written) == 20,
              f"20 batches recorded during the reload, errors: {writer_errors[:3]}")
        h = health(port, op)
        check(h.model_event_sequence == 11 and h.event_sequence == h.event_log_sequence == 34,
              f"Health after the swap: model {h.model_event_sequence}, applied {h.event_sequence}, "
              f"log {h.event_log_sequence} (expected 11, 34, 34)")
        swapped = state(port, op)
        check(swapped["m_bakery"][1]["email"] == 0 and swapped["m_bakery"][1]["sms"] ==
              expected["m_bakery"][1]["sms"],
              f"after the swap: email and sms reach as before it ({swapped['m_bakery'][1]})")

        # The same through the CLI: `query reload-model` and the sequences in `query health`.
        def cli(*words):
            return subprocess.run([args.cli, "query", "--port", str(port), "--key", op, *words],
                                  capture_output=True, text=True)
        reloaded = cli("reload-model")
        check(reloaded.returncode == 0 and "includes events up to 11, 23 replayed" in
              reloaded.stdout, f"query reload-model: {reloaded.stdout.strip()}")
        shown = cli("health")
        check("events: applied up to 34 of the log's 34; the model includes up to 11" in
              shown.stdout, f"query health: {shown.stdout.strip()}")
        denied = subprocess.run([args.cli, "query", "--port", str(port), "--key", bakery,
                                 "reload-model"], capture_output=True, text=True)
        check(denied.returncode != 0 and "PermissionDenied" in denied.stderr,
              f"query reload-model with a merchant key: {denied.stderr.strip()}")
    finally:
        check(server.stop() == 0, "the server stops cleanly")

    # A restart on the swapped model and the same log: the same answers.
    server = Server(args.server, model, ["--keys", keys_file, "--events", events_dir])
    try:
        port = server.port
        check(state(port, op) == swapped, "after a restart: the same reach as after the swap")

        # A model built from another log (sequence past this log's end) is refused.
        other_log = os.path.join(args.work_dir, "other-events")
        plain_model = os.path.join(args.work_dir, "model-without-events")
        subprocess.run([args.cli, "build", "--data", args.data, "--out", plain_model], check=True,
                       capture_output=True)
        other = Server(args.server, plain_model, ["--keys", keys_file, "--events", other_log])
        try:
            record(other.port, op, [consent(f"x{i}", "c01", "events") for i in range(40)])
        finally:
            other.stop()
        check(build(args.cli, args.data, other_log, model) == 0,
              "a model built from another log, published in the served folder")
        try:
            reload_model(port, op)
            check(False, "ReloadModel refuses a model built from another log")
        except ttypes.InvalidArgument as e:
            check("not built from this server's log" in e.message,
                  f"ReloadModel refuses a model built from another log: {e.message}")
        h = health(port, op)
        check(h.model_event_sequence == 11 and state(port, op) == swapped,
              "the old model keeps serving after a refused reload")
    finally:
        check(server.stop() == 0, "the server stops cleanly")

    # --watch: a publish of the folder is picked up without a call.
    check(build(args.cli, args.data, events_dir, model) == 0, "the folder rebuilt from this log")
    server = Server(args.server, model,
                    ["--keys", keys_file, "--events", events_dir, "--watch",
                     "--watch-interval-ms", "100"])
    try:
        port = server.port
        check(health(port, op).model_event_sequence == 34, "served: the model with 34 events")
        record(port, op, [consent("late", "c04", "newsletter")])
        check(build(args.cli, args.data, events_dir, model) == 0,
              "the folder rebuilt again while the server watches it")
        check(wait_for(lambda: health(port, op).model_event_sequence == 35),
              "--watch swapped to the new model (it includes event 35)")
        h = health(port, op)
        check(h.event_sequence == h.event_log_sequence == 35 and state(port, op) != before,
              f"after --watch: applied {h.event_sequence} of {h.event_log_sequence}")
        check("--watch: now serving" in server.read_log(), "the swap is logged")
    finally:
        check(server.stop() == 0, "the server stops cleanly")

    print(f"{len(ev.FAILURES)} failures" if ev.FAILURES else "all checks passed")
    return 1 if ev.FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
