#!/usr/bin/python3
"""kill -9 of partnergraph-server while 8 clients record batches of events (issue 14,
docs/events.md "What Append(batch) promises"), over Thrift on a model of datasets/tiny.

Every round:
  1. the server starts on the model with --events (a fresh log every --rounds-per-log rounds,
     else the previous round's log, replayed) and Health must already reflect the whole log;
  2. 8 client threads, one connection each (6 with an operator key, 2 with merchant keys that
     record only their merchant's events), record batches of 1..200 consent changes (and some
     policy changes) with event ids never used before, keeping every acknowledged (id, sequence);
  3. after a random delay the server is killed with SIGKILL; every client's call in flight or
     next call fails, and the client keeps that batch;
  4. the server restarts on the same log: Health's event_sequence equals event_log_sequence
     (replayed before listening) and no acknowledged sequence lies past the log's end;
  5. every client retries its batch, all at once, then records 1..3 new batches: a retried batch
     comes back whole as duplicates at sequences the log already held (it was durable) or whole
     as new events past them (it was not); a batch half recorded is a failure.
Then, checked against the events acknowledged since the log began:
  - 0 lost, 0 applied twice: each acknowledged event, sent again, is a duplicate at the sequence
    it was acknowledged with; the sequences of the round are exactly the log's new range
    (gap-free, each once), so the log holds no event that was recorded twice;
  - Health: event_sequence == event_log_sequence == the last acknowledged sequence;
  - the state: GetMerchant (contactable, contactable_by_channel, discoverable, allow_coupons) of
    every merchant equals this script's own computation from datasets/tiny and the acknowledged
    events (consent: the latest-dated record wins, a sales block holds, the permission model's
    rule table of include/partnergraph/consent/contact_policy.hpp; policies in log order);
  - a second server on the same model and a copy of the log (after a SIGTERM of the first)
    answers GetMerchant, RecommendPartners and RecommendCouponPairs for every merchant exactly
    as the first did: replay from nothing equals what was applied live;
  - `partnergraph build --data DATA --events COPY` (when the CLI has --events) records the log's
    last sequence in its manifest, and a server on that model without --events answers the
    same three calls as the first did (apart from `precomputed` and `event_sequence`).

Consent events are dated at random seconds (never a second of another event or of a dataset
record), so they reach the log out of date order; 3% name a customer no model knows, some say
"phone" for call_centre; two in five come from source "sales", half of those blocks, so that
sales blocks and lifts reach the log before and after later-dated records (the overlay merges
them in any order as a build folds them in date order: ConsentCell, contact_policy.hpp);
--no-sales-sources leaves them out.

Default 3 rounds; ctest runs --rounds 100 as a separate "slow" entry. Exit status 0 when every
check passed.
"""

import copy
import csv
import datetime
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

import events_support  # tests/server/events_support.py
from events_support import FAILURES, add_key, check, health, iso
from server_process import Server  # tests/server/server_process.py

connect = None
ttypes = None

CHANNELS = ["email", "newsletter", "call_centre", "sms", "post", "events", "account_manager"]
CHANNEL_ALIASES = {"phone": "call_centre"}
# From the most restrictive to the least: ConsentRestrictiveness (contact_policy.hpp).
STATUSES = ["unsubscribed", "blocked", "unclear", "pending", "confirmed_opt_in", "double_opt_in"]
PERMISSION_MODELS = ["ignore", "opt_out_only", "weakened", "building", "full"]
# The channels that need an opt-in under `building` (NeedsOptInUnderBuilding).
OPT_IN_UNDER_BUILDING = {"email", "newsletter", "sms", "call_centre"}
# MerchantPolicy's defaults (include/partnergraph/ingest/dataset.hpp), for a merchant without a
# merchant_policy.csv row.
DEFAULT_POLICY = {"permission_model": "building", "k_min": 20, "share_overlaps": False,
                  "discoverable": True, "allow_coupons": True}
POLICY_FIELDS = ["permission_model", "k_min", "share_overlaps", "discoverable", "allow_coupons"]
CLIENTS = 8
MERCHANT_KEY_CLIENTS = {6: "m_bakery", 7: "m_florist"}  # client index -> its merchant key's


def parse_ts(text):
    """Seconds since the epoch of an ISO-8601 time ("Z" or an offset)."""
    return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def iso_of(seconds):
    return iso(datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc))


def may_contact(model, status, channel):
    """MayContact (contact_policy.cpp): status None is no record, read as unclear."""
    if status in ("unsubscribed", "blocked"):
        return False
    double = status == "double_opt_in"
    opted_in = double or status == "confirmed_opt_in"
    if model in ("ignore", "opt_out_only"):
        return True
    if model == "weakened":
        return opted_in
    if model == "building":
        return opted_in or channel not in OPT_IN_UNDER_BUILDING
    return double  # full


class Dataset:
    """What of datasets/tiny decides GetMerchant's reach: merchants, who bought from whom,
    consent records and policies."""

    def __init__(self, folder):
        def rows(name):
            with open(os.path.join(folder, name), newline="") as f:
                return list(csv.DictReader(f))

        self.merchants = [r["merchant_id"] for r in rows("merchants.csv")]
        self.customers = [r["customer_id"] for r in rows("customers.csv")]
        self.customers_of = {m: set() for m in self.merchants}
        for r in rows("orders.csv"):
            self.customers_of[r["merchant_id"]].add(r["customer_id"])
        # (customer, merchant, channel) -> [(ts, status, source)]
        self.consent = {}
        for r in rows("consent.csv"):
            channel = CHANNEL_ALIASES.get(r["channel"], r["channel"])
            self.consent.setdefault((r["customer_id"], r["merchant_id"], channel), []).append(
                (parse_ts(r["ts"]), r["status"], r["source"]))
        self.consent_times = {ts for records in self.consent.values() for ts, _, _ in records}
        self.policy = {m: dict(DEFAULT_POLICY) for m in self.merchants}
        for r in rows("merchant_policy.csv"):
            p = self.policy[r["merchant_id"]]
            p["permission_model"] = r["permission_model"] or p["permission_model"]
            if r["k_min"]:
                p["k_min"] = int(r["k_min"])
            for flag in ("share_overlaps", "discoverable", "allow_coupons"):
                if r.get(flag):
                    p[flag] = r[flag] == "true"


class Expected:
    """GetMerchant's reach and flags computed here from the dataset and the acknowledged events,
    independently of the server: consent records of a (customer, merchant, channel) folded in
    date order (the more restrictive first at the same time, as the graph build does) with the
    sales block of NextConsentState; policy changes in log order."""

    def __init__(self, data):
        self.data = data
        self.consent = {}  # key -> [(ts, status, source)] of acknowledged events
        self.policies = []  # (sequence, PolicyChangeEvent)

    def add(self, sequence, event):
        if event.consent_change:
            c = event.consent_change
            key = (c.customer_id, c.merchant_id, CHANNEL_ALIASES.get(c.channel, c.channel))
            self.consent.setdefault(key, []).append((parse_ts(c.ts), c.status, c.source or ""))
        else:
            self.policies.append((sequence, event.policy_change))

    def status(self, key):
        records = self.data.consent.get(key, []) + self.consent.get(key, [])
        records.sort(key=lambda r: (r[0], -STATUSES.index(r[1])))
        status, sales_block = None, False
        for _, s, source in records:
            if source == "sales":
                sales_block = s == "blocked"
            status = "blocked" if sales_block else s
        return status

    def policy(self, merchant):
        p = dict(self.data.policy[merchant])
        for _, change in sorted(self.policies, key=lambda x: x[0]):
            if change.merchant_id == merchant:
                for field in POLICY_FIELDS:
                    if getattr(change, field) is not None:
                        p[field] = getattr(change, field)
        return p

    def merchant(self, merchant):
        """{contactable, contactable_by_channel, discoverable, allow_coupons} as GetMerchant's."""
        p = self.policy(merchant)
        by_channel = {ch: 0 for ch in CHANNELS}
        contactable = 0
        for customer in self.data.customers_of[merchant]:
            channels = [ch for ch in CHANNELS if may_contact(
                p["permission_model"], self.status((customer, merchant, ch)), ch)]
            contactable += bool(channels)
            for ch in channels:
                by_channel[ch] += 1
        return {"contactable": contactable, "contactable_by_channel": by_channel,
                "discoverable": p["discoverable"], "allow_coupons": p["allow_coupons"]}


def merchant_view(m):
    return {"contactable": m.contactable, "contactable_by_channel": dict(m.contactable_by_channel),
            "discoverable": m.discoverable, "allow_coupons": m.allow_coupons}


class BatchMaker:
    """One client's batches: consent changes of random customers, merchants, channels and
    statuses, dated at a random second that no other client and no dataset record uses (odd
    seconds, this client's residue modulo 16), and ~5% policy changes."""

    def __init__(self, seed, client, merchants, customers, taken_times, sales_sources):
        self.rng = random.Random(seed)
        self.client = client
        self.merchants = merchants
        self.customers = customers
        self.taken = set(taken_times)
        self.sources = ["web", "import", "unsubscribe_link"] + (["sales"] * 2 if sales_sources
                                                                 else [])
        self.prefix = ""
        self.count = 0
        self.first = parse_ts("2025-10-01T00:00:00Z")
        self.slots = (int(time.time()) - 600 - self.first) // 16

    def ts(self):
        while True:
            t = self.first + 16 * self.rng.randrange(self.slots) + 2 * self.client + 1
            if t not in self.taken:
                self.taken.add(t)
                return iso_of(t)

    def event(self):
        rng = self.rng
        self.count += 1
        event_id = f"{self.prefix}-c{self.client}-{self.count}"
        merchant = rng.choice(self.merchants)
        if rng.random() < 0.05:
            values = {"permission_model": lambda: rng.choice(PERMISSION_MODELS),
                      "k_min": lambda: rng.randint(1, 25)}
            fields = {}
            while not fields:
                for field in POLICY_FIELDS:
                    if rng.random() < 0.3:
                        fields[field] = values.get(field, lambda: rng.random() < 0.7)()
            return events_support.policy(event_id, merchant, **fields)
        if rng.random() < 0.03:
            customer = f"cnew-{event_id}"  # an id no model knows: logged, changes no count
        else:
            customer = rng.choice(self.customers)
        channel = rng.choice(CHANNELS + ["phone"])
        source = rng.choice(self.sources)
        status = "blocked" if source == "sales" and rng.random() < 0.5 else rng.choice(STATUSES)
        return events_support.consent(event_id, customer, merchant, channel, status, source,
                                      ts=self.ts())

    def batch(self):
        size = self.rng.choice([1, 2, 5, 10, 20, 40, 200])
        return [self.event() for _ in range(self.rng.randint(1, size))]


class Client(threading.Thread):
    """One connection recording batches until the server dies, then, once `restarted` is set,
    the batch it was cut on again and 1..3 new ones. Thread-safe only as the main thread uses it:
    fields are read after join()."""

    def __init__(self, index, key, maker, port):
        super().__init__(daemon=True)
        self.index = index
        self.key = key
        self.maker = maker
        self.port = port
        self.restarted = threading.Event()
        self.acks = []  # (batch, RecordEventsResponse, "before" | "retry" | "after")
        self.pending = None  # the batch the kill cut
        self.cut = None  # (monotonic time, what the call raised)
        self.cut_event = threading.Event()
        self.error = None  # an unexpected answer: a failure

    def run(self):
        try:
            self.until_cut()
            self.cut_event.set()
            self.restarted.wait()
            with connect(port=self.port, timeout_s=30) as client:
                self.acks.append((self.pending, self.send(client, self.pending), "retry"))
                for _ in range(self.maker.rng.randint(1, 3)):
                    batch = self.maker.batch()
                    self.acks.append((batch, self.send(client, batch), "after"))
        except Exception as e:  # noqa: BLE001 - reported as a failure by the main thread
            self.error = f"client {self.index}: {type(e).__name__}: {e}"
        finally:
            self.cut_event.set()

    def send(self, client, batch):
        return client.RecordEvents(self.key, ttypes.RecordEventsRequest(events=batch))

    def until_cut(self):
        connection, client = None, None
        while True:
            batch = self.maker.batch()
            try:
                if connection is None:
                    connection = connect(port=self.port, timeout_s=30)
                    client = connection.__enter__()
                ack = self.send(client, batch)
            except (ttypes.InvalidArgument, ttypes.PermissionDenied, ttypes.Unavailable):
                raise
            except Exception as e:  # noqa: BLE001 - the transport's: the server is gone
                self.cut = (time.monotonic(), f"{type(e).__name__}: {e}")
                self.pending = batch
                if connection is not None:
                    connection.__exit__(None, None, None)
                return
            self.acks.append((batch, ack, "before"))


def answers(port, key, merchants):
    """GetMerchant, RecommendPartners and RecommendCouponPairs of every merchant: the answer, or
    the typed exception's name and message."""
    out = {}
    with connect(port=port) as client:
        for m in merchants:
            calls = {
                "GetMerchant": lambda: client.GetMerchant(key, m),
                "RecommendPartners": lambda: client.RecommendPartners(
                    key, ttypes.RecommendPartnersRequest(merchant_id=m, k=10)),
                "RecommendCouponPairs": lambda: client.RecommendCouponPairs(
                    key, ttypes.RecommendCouponPairsRequest(merchant_id=m, k=10)),
            }
            for name, call in calls.items():
                try:
                    out[(name, m)] = call()
                except (ttypes.NotFound, ttypes.InvalidArgument, ttypes.PermissionDenied,
                        ttypes.Unavailable) as e:
                    out[(name, m)] = (type(e).__name__, e.message)
    return out


def differences(a, b):
    return [f"{k[0]}({k[1]}): {a.get(k)!r} vs {b.get(k)!r}" for k in sorted(set(a) | set(b))
            if a.get(k) != b.get(k)]


def without_freshness(answers_):
    """The answers without `precomputed` and `event_sequence`: a model with the events folded
    in serves from its precomputed results, a server without --events has no sequence."""
    out = {}
    for k, answer in answers_.items():
        if hasattr(answer, "event_sequence"):
            answer = copy.deepcopy(answer)
            answer.precomputed = None
            answer.event_sequence = None
        out[k] = answer
    return out


def listed(problems, most=3):
    """": a; b; c" for a failure's message, or nothing when there is no problem."""
    return f": {'; '.join(str(p) for p in problems[:most])}" if problems else ""


def has_build_events(cli):
    text = subprocess.run([cli, "build", "--help"], capture_output=True, text=True).stdout
    return "--events" in text


class Run:
    """The state kept across rounds: the log, what it acknowledged, the expected state."""

    def __init__(self, args, data, model, keys):
        self.args = args
        self.data = data
        self.model = model
        self.keys = keys  # client index -> key; "op" -> the operator's
        self.log_number = 0
        self.events_dir = None
        self.new_log()

    def new_log(self):
        if self.events_dir and not FAILURES:
            shutil.rmtree(self.events_dir)  # kept when a check failed, to look at
        self.log_number += 1
        self.events_dir = os.path.join(self.args.work_dir, f"events-{self.log_number}")
        shutil.rmtree(self.events_dir, ignore_errors=True)
        self.acknowledged = {}  # event id -> (sequence, Event)
        self.last = 0  # the log's last sequence, as acknowledged
        self.expected = Expected(self.data)

    def server(self, model, extra, log_dir):
        return Server(self.args.server, model, ["--keys", self.args.keys_file, *extra],
                      log_dir=log_dir)

    def round(self, number, rng):
        args, op, quiet = self.args, self.keys["op"], not self.args.verbose
        name = f"round {number}"
        round_dir = os.path.join(args.work_dir, f"round-{number}")
        os.makedirs(round_dir)
        started = time.monotonic()

        # 1. Start on the log; Health reflects all of it before the first call.
        server = self.server(self.model, ["--events", self.events_dir], round_dir)
        h = health(server.port, op)
        check(h.event_sequence == h.event_log_sequence == self.last,
              f"{name}: at start Health event_sequence {h.event_sequence}, event_log_sequence "
              f"{h.event_log_sequence}, acknowledged {self.last}", quiet)

        # 2. Eight clients record until 3. the kill.
        clients = []
        for k in range(CLIENTS):
            merchants = [MERCHANT_KEY_CLIENTS[k]] if k in MERCHANT_KEY_CLIENTS else \
                self.data.merchants
            maker = BatchMaker(rng.getrandbits(64), k, merchants, self.data.customers,
                               self.data.consent_times, not args.no_sales_sources)
            maker.prefix = f"l{self.log_number}-r{number}"
            clients.append(Client(k, self.keys[k], maker, server.port))
        for c in clients:
            c.start()
        delay = rng.uniform(0.0, args.max_delay)
        time.sleep(delay)
        killed_at = time.monotonic()
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        server.log.close()
        for c in clients:
            c.cut_event.wait(timeout=60)
        before = [(b, a) for c in clients for b, a, phase in c.acks if phase == "before"]
        for c in clients:
            check(c.error is None and c.pending is not None,
                  f"{name}: client {c.index} recorded until the kill and kept its batch "
                  f"({c.error or 'cut: ' + str(c.cut and c.cut[1])})", quiet)
            if c.cut:
                check(c.cut[0] >= killed_at,
                      f"{name}: client {c.index} was cut by the kill, not before it "
                      f"({c.cut[1]})", quiet)

        # 4. Restart on the same log: replayed before listening.
        server = self.server(self.model, ["--events", self.events_dir], round_dir)
        h = health(server.port, op)
        durable = h.event_log_sequence
        check(h.event_sequence == durable,
              f"{name}: after kill -9 Health event_sequence {h.event_sequence} == "
              f"event_log_sequence {durable}", quiet)
        check(f"replayed {durable} events" in server.read_log(),
              f"{name}: the restart logged `replayed {durable} events`", quiet)
        lost = [(e.event_id, s) for b, a in before for e, s in zip(b, a.sequences) if s > durable]
        check(not lost, f"{name}: no event acknowledged before the kill lies past the log's end "
                        f"{durable}{listed(lost)}", quiet)
        for b, a in before:
            if not check(len(a.sequences) == len(b) == a.new_events and not any(a.duplicate) and
                         all(x < y for x, y in zip(a.sequences, a.sequences[1:])) and
                         a.last_sequence >= a.sequences[-1],
                         f"{name}: a first recording of {len(b)} new events is acknowledged "
                         f"as {len(b)} new at rising sequences ({a})", True):
                break

        # 5. Every client retries its batch, then records new ones.
        for c in clients:
            c.port = server.port
            c.restarted.set()
        for c in clients:
            c.join(timeout=120)
            check(not c.is_alive() and c.error is None,
                  f"{name}: client {c.index} retried and recorded after the restart "
                  f"({c.error or 'still running' if c.is_alive() else 'done'})", quiet)
        outcomes = {"duplicates": 0, "new": 0}
        for c in clients:
            for b, a, phase in c.acks:
                if phase != "retry":
                    continue
                whole = all(a.duplicate) or not any(a.duplicate)
                check(whole and len(a.sequences) == len(b),
                      f"{name}: client {c.index}'s retried batch of {len(b)} is whole: "
                      f"duplicate {a.duplicate}", quiet)
                if all(a.duplicate):
                    outcomes["duplicates"] += 1
                    check(max(a.sequences) <= durable and a.new_events == 0,
                          f"{name}: client {c.index}'s retry, duplicates, at sequences the log "
                          f"held at the restart ({a.sequences[:3]}... <= {durable})", quiet)
                else:
                    outcomes["new"] += 1
                    check(min(a.sequences) > durable and a.new_events == len(b),
                          f"{name}: client {c.index}'s retry, new, past the log's end at the "
                          f"restart ({a.sequences[:3]}... > {durable})", quiet)

        # Every acknowledged event of the round, with its sequence; each id once.
        round_events = {}
        for c in clients:
            for b, a, phase in c.acks:
                for e, s in zip(b, a.sequences):
                    if e.event_id in round_events and round_events[e.event_id][0] != s:
                        check(False, f"{name}: {e.event_id} acknowledged at two sequences "
                                     f"{round_events[e.event_id][0]} and {s}")
                    round_events[e.event_id] = (s, e)
        sequences = sorted(s for s, _ in round_events.values())
        h = health(server.port, op)
        last = h.event_log_sequence
        check(sequences == list(range(self.last + 1, last + 1)),
              f"{name}: the round's {len(round_events)} events hold the log's sequences "
              f"{self.last + 1}..{last} once each, gap-free (0 applied twice)")
        check(h.event_sequence == last, f"{name}: Health event_sequence {h.event_sequence} == "
                                        f"event_log_sequence {last}", quiet)

        # 0 lost: each acknowledged event, sent again, is a duplicate at its sequence.
        order = sorted(round_events.values(), key=lambda x: x[0])
        mismatched = []
        with connect(port=server.port) as client:
            for i in range(0, len(order), 5000):
                chunk = order[i:i + 5000]
                a = client.RecordEvents(op, ttypes.RecordEventsRequest(
                    events=[e for _, e in chunk]))
                mismatched += [(e.event_id, s, got, dup) for (s, e), got, dup in
                               zip(chunk, a.sequences, a.duplicate) if got != s or not dup]
        check(not mismatched, f"{name}: every acknowledged event of the round, sent again, is a "
                              f"duplicate at its acknowledged sequence (0 lost)"
                              f"{listed(mismatched)}")
        self.acknowledged.update(round_events)
        for s, e in order:
            self.expected.add(s, e)
        self.last = last

        # The state: this script's computation.
        live = answers(server.port, op, self.data.merchants)
        wrong = []
        for m in self.data.merchants:
            got = live[("GetMerchant", m)]
            got = merchant_view(got) if not isinstance(got, tuple) else got
            want = self.expected.merchant(m)
            if got != want:
                wrong.append(f"{m}: server {got} vs expected {want}")
        check(not wrong, f"{name}: every merchant's contactable counts by channel, discoverable "
                         f"and allow_coupons as computed here from {len(self.acknowledged)} "
                         f"acknowledged events{listed(wrong, 6)}")
        code = server.stop()
        check(code == 0, f"{name}: the server stopped on SIGTERM with 0 (got {code})", quiet)

        # A second server on the same model and a copy of the log: replay from nothing.
        log_copy = os.path.join(round_dir, "events-copy")
        shutil.copytree(self.events_dir, log_copy)
        replica = self.server(self.model, ["--events", log_copy], round_dir)
        try:
            h = health(replica.port, op)
            check(h.event_sequence == h.event_log_sequence == last,
                  f"{name}: a second server on a copy of the log replayed to {h.event_sequence} "
                  f"(log {h.event_log_sequence}, expected {last})", quiet)
            diff = differences(live, answers(replica.port, op, self.data.merchants))
            check(not diff, f"{name}: the second server's GetMerchant, RecommendPartners and "
                            f"RecommendCouponPairs of every merchant equal the first's"
                            f"{listed(diff)}")
        finally:
            replica.stop()

        # A model rebuilt with the log folded in, served without --events.
        if args.build_events:
            rebuilt = os.path.join(round_dir, "rebuilt")
            build = subprocess.run([args.cli, "build", "--data", args.data, "--events", log_copy,
                                    "--out", rebuilt], capture_output=True, text=True)
            if check(build.returncode == 0, f"{name}: build --events exited {build.returncode} "
                                            f"{build.stderr.strip()[-300:]}", quiet):
                with open(os.path.join(rebuilt, "manifest.json")) as f:
                    manifest = json.load(f)
                check(manifest.get("event_sequence") == last,
                      f"{name}: the rebuilt model's manifest records event_sequence "
                      f"{manifest.get('event_sequence')} (expected {last})", quiet)
                fresh = self.server(rebuilt, [], round_dir)
                try:
                    folded = answers(fresh.port, op, self.data.merchants)
                finally:
                    fresh.stop()
                diff = differences(without_freshness(live), without_freshness(folded))
                check(not diff, f"{name}: a server on the model rebuilt with the log answers "
                                f"GetMerchant, RecommendPartners and RecommendCouponPairs of "
                                f"every merchant as the server that replayed it{listed(diff)}")

        elapsed = time.monotonic() - started
        print(f"{name}: log {self.log_number}, killed after {delay:.3f} s with "
              f"{sum(len(b) for b, _ in before)} events acknowledged in {len(before)} batches; "
              f"log at {durable} after the restart; {len(clients)} retries "
              f"({outcomes['duplicates']} all duplicates, {outcomes['new']} all new); the round "
              f"ends at sequence {last}; {elapsed:.2f} s", flush=True)
        if not FAILURES:
            shutil.rmtree(round_dir)


def main():
    parser = events_support.argument_parser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rounds-per-log", type=int, default=10,
                        help="a fresh --events folder every this many rounds")
    parser.add_argument("--max-delay", type=float, default=0.5,
                        help="the kill comes after a random 0..this many seconds")
    parser.add_argument("--seed", type=int, default=None, help="default: from the clock")
    parser.add_argument("--no-sales-sources", action="store_true",
                        help="no consent events from source sales (see the top)")
    parser.add_argument("--verbose", action="store_true", help="print the passed checks too")
    args = parser.parse_args()

    global connect, ttypes
    connect, ttypes = events_support.load_client(args.gen_py, args.client_dir)
    seed = args.seed if args.seed is not None else int(time.time() * 1000) % 2**31
    print(f"seed {seed} (--seed {seed} repeats the events, not the moments of the kills)")
    rng = random.Random(seed)

    model = events_support.fresh_work_dir(args.cli, args.data, args.work_dir)
    args.keys_file = os.path.join(args.work_dir, "keys.tsv")
    keys = {"op": add_key(args.cli, args.keys_file, "operator")}
    for k in range(CLIENTS):
        role = f"merchant:{MERCHANT_KEY_CLIENTS[k]}" if k in MERCHANT_KEY_CLIENTS else "operator"
        keys[k] = add_key(args.cli, args.keys_file, role)
    data = Dataset(args.data)

    args.build_events = has_build_events(args.cli)
    if not args.build_events:
        print("skip  the rebuilt-model comparison: `partnergraph build --help` has no --events")

    # This script's computation agrees with the model before any event.
    server = Server(args.server, model, ["--keys", args.keys_file])
    try:
        start = answers(server.port, keys["op"], data.merchants)
    finally:
        server.stop()
    expected = Expected(data)
    wrong = [m for m in data.merchants if merchant_view(start[("GetMerchant", m)]) !=
             expected.merchant(m)]
    check(not wrong, "before any event, GetMerchant's reach and flags equal this script's "
                     f"computation from {args.data}" + listed(
                         [f"{m}: {merchant_view(start[('GetMerchant', m)])} vs "
                          f"{expected.merchant(m)}" for m in wrong], 6))

    run = Run(args, data, model, keys)
    began = time.monotonic()
    for number in range(1, args.rounds + 1):
        if number > 1 and (number - 1) % args.rounds_per_log == 0:
            run.new_log()
        run.round(number, rng)
        if FAILURES:
            break
    print(f"{number} rounds in {time.monotonic() - began:.1f} s")
    changed = [m for m in data.merchants if run.expected.merchant(m) != expected.merchant(m)]
    check(changed, f"the events of the last log changed the reach or flags of {changed}: the "
                   "state checks compared more than the model's own answers")

    if FAILURES:
        print(f"{len(FAILURES)} checks failed (seed {seed}; work folder {args.work_dir})")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
