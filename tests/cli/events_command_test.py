#!/usr/bin/python3
"""`partnergraph events append` and `events tail` against a real partnergraph-server with an event
log (--events) on a model of datasets/tiny (docs/events.md "CLI: events append and tail"):

  - a consent file is recorded (summary on stdout, progress on stderr), sent again it is all
    duplicates with the same last sequence, and a file cut short and then sent whole records only
    its new rows (resuming);
  - a file with a bad row, or a bad file among good ones, sends nothing and the error names
    file:line: column;
  - a merchant key sending another merchant's row is refused, naming events[i] and its row;
  - a file of every kind is recorded, and each event as the CLI sent it is the event the Python
    client sends with the same id (a duplicate, not "other content"): every field crossed the wire;
  - a count beyond the wire's i32 is refused before sending;
  - `events tail` prints Health's sequences, `--follow` a line per change until SIGINT;
  - `events tail --log DIR` prints the log's last events beside the running server, `--follow`
    each new one;
  - exit codes: 1 usage, 2 bad input or refused, 3 unreachable; a server without --events.
Exit status 0 when every check passed.
"""

import argparse
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time

FAILURES = []
connect = None
ttypes = None


def check(condition, what, detail=None):
    print(("ok    " if condition else "FAIL  ") + what)
    if not condition:
        FAILURES.append(what)
        if detail:
            print("      " + detail.replace("\n", "\n      "))


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


class Cli:
    def __init__(self, binary):
        self.binary = binary

    def run(self, *args, timeout=60, env=None):
        environment = dict(os.environ)
        environment.pop("PARTNERGRAPH_API_KEY", None)
        environment.update(env or {})
        return subprocess.run([self.binary, *args], capture_output=True, text=True,
                              timeout=timeout, env=environment)


def detail(result):
    return f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"


def log_sequence(port, key):
    with connect(port=port) as client:
        return client.Health(key).event_log_sequence


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def test_consent(cli, port, op, bakery_key_file, work):
    base = ["--port", str(port)]
    consent = write(os.path.join(work, "a", "consent.csv"),
                    "customer_id,merchant_id,channel,status,ts,source\n"
                    "c01,m_bakery,email,unsubscribed,2026-11-01T10:00:00Z,web\n"
                    "c02,m_bakery,sms,double_opt_in,2026-11-02T10:00:00Z,\n"
                    "c03,m_bakery,phone,confirmed_opt_in,2026-11-03T10:00:00Z,sales\n")
    r = cli.run("events", "append", *base, "--key-file", bakery_key_file, "--batch", "2", consent)
    check(r.returncode == 0 and "consent.csv: 3 events: 3 new, 0 duplicate" in r.stdout and
          "sent 3 events: 3 new, 0 duplicate; last sequence 3" in r.stdout,
          "append: 3 consent events recorded, summary on stdout", detail(r))
    check("events sent 3/3 (100%)" in r.stderr and "events/s" in r.stderr,
          "append: progress on stderr (events sent / total, rate)", detail(r))
    check(log_sequence(port, op) == 3, "Health: the log holds 3 events")

    r = cli.run("events", "append", *base, "--key-file", bakery_key_file, consent,
                env={"PARTNERGRAPH_API_KEY": "not-a-key"})
    check(r.returncode == 0 and "sent 3 events: 0 new, 3 duplicate; last sequence 3" in r.stdout,
          "append again (--key-file over PARTNERGRAPH_API_KEY): all duplicates, the same last "
          "sequence", detail(r))
    check(log_sequence(port, op) == 3, "Health: still 3 events")

    r = cli.run("events", "append", *base, "--prefix", "run2/", consent,
                env={"PARTNERGRAPH_API_KEY": op})
    check(r.returncode == 0 and "sent 3 events: 3 new, 0 duplicate; last sequence 6" in r.stdout,
          "--prefix (key from PARTNERGRAPH_API_KEY): other ids, recorded anew", detail(r))

    # An interrupted run, resumed: the first 2 rows were sent, then the whole file.
    rows = ["customer_id,merchant_id,channel,status,ts\n"] + [
        f"c0{i},m_bakery,newsletter,pending,2026-11-1{i}T10:00:00Z\n" for i in range(1, 6)]
    cut = write(os.path.join(work, "resume", "consent.csv"), "".join(rows[:3]))
    r = cli.run("events", "append", *base, "--key", op, "--prefix", "resume/", cut)
    check(r.returncode == 0 and "2 new" in r.stdout, "resume: the first 2 rows sent", detail(r))
    write(cut, "".join(rows))
    r = cli.run("events", "append", *base, "--key", op, "--prefix", "resume/", cut)
    check(r.returncode == 0 and
          "sent 5 events: 3 new, 2 duplicate; last sequence 11" in r.stdout,
          "resume: the whole file sends only the 3 rows not yet recorded", detail(r))


def test_refusals(cli, port, op, bakery_key, work):
    base = ["--port", str(port)]
    before = log_sequence(port, op)
    bad = write(os.path.join(work, "bad", "consent.csv"),
                "customer_id,merchant_id,channel,status,ts\n"
                "c01,m_bakery,email,unsubscribed,2026-11-01T10:00:00Z\n"
                "c02,m_bakery,fax,unsubscribed,2026-11-01T10:00:00Z\n"
                "c03,m_bakery,email,maybe,2026-11-01T10:00:00Z\n")
    r = cli.run("events", "append", *base, "--key", op, bad)
    check(r.returncode == 2 and "consent.csv:3: column channel" in r.stderr and
          "consent.csv:4: column status" in r.stderr and "nothing was sent" in r.stderr,
          "a bad row: exit 2, the error names file:line: column", detail(r))
    check(log_sequence(port, op) == before, "a bad row: nothing recorded")

    good = write(os.path.join(work, "good", "engagement.csv"),
                 "merchant_id,ts,event,points\nm_wine,2026-11-05T10:00:00Z,webinar,3\n")
    r = cli.run("events", "append", *base, "--key", op, good, bad)
    check(r.returncode == 2 and "consent.csv:3" in r.stderr and r.stdout == "",
          "a good file before a bad one: exit 2, nothing printed as sent", detail(r))
    check(log_sequence(port, op) == before, "a good file before a bad one: nothing recorded")

    other = write(os.path.join(work, "other", "consent.csv"),
                  "customer_id,merchant_id,channel,status,ts\n"
                  "c01,m_bakery,email,unsubscribed,2026-11-01T10:00:00Z\n"
                  "c05,m_florist,email,unsubscribed,2026-11-01T10:00:00Z\n")
    r = cli.run("events", "append", *base, "--key", bakery_key, "--prefix", "other/", other)
    check(r.returncode == 2 and "PermissionDenied" in r.stderr and "events[1]" in r.stderr and
          "data row 2 of consent.csv" in r.stderr and 'event id "other/consent.csv:3"' in r.stderr,
          "a merchant key sending another merchant's row: refused, events[1] and its row named",
          detail(r))
    check(log_sequence(port, op) == before, "the refused batch: nothing recorded")

    # A second batch refused after a first one was recorded: the message says how to resume.
    r = cli.run("events", "append", *base, "--key", bakery_key, "--batch", "1", "--prefix",
                "split/", other)
    check(r.returncode == 2 and "data rows 2..2" in r.stderr and
          "1 of 2 events were sent before this (1 new)" in r.stderr,
          "a refused second batch: the first batch's events are said to be recorded", detail(r))
    check(log_sequence(port, op) == before + 1, "the first batch of 1 was recorded")

    huge = write(os.path.join(work, "huge", "orders.csv"),
                 "order_id,customer_id,merchant_id,sku_id,ts,quantity,price\n"
                 "o1,c01,m_bakery,s_bread,2026-11-01T10:00:00Z,3000000000,4.5\n")
    r = cli.run("events", "append", *base, "--key", op, huge)
    check(r.returncode == 2 and "events[0].order_line.quantity" in r.stderr and
          "3000000000" in r.stderr,
          "a quantity beyond the wire's i32: refused before sending", detail(r))

    unknown = write(os.path.join(work, "unknown", "consent.csv"),
                    "customer_id,merchant_id,channel,status,ts\n"
                    "c01,m_nobody,email,unsubscribed,2026-11-01T10:00:00Z\n")
    r = cli.run("events", "append", *base, "--key", op, "--prefix", "unknown/", unknown)
    check(r.returncode == 2 and "InvalidArgument" in r.stderr and "m_nobody" in r.stderr and
          "events[0]" in r.stderr, "an unknown merchant: the server's refusal, exit 2", detail(r))

    named = write(os.path.join(work, "named", "consents-2026.csv"),
                  "customer_id,merchant_id,channel,status,ts\n"
                  "c04,m_bakery,email,unsubscribed,2026-11-01T10:00:00Z\n")
    r = cli.run("events", "append", *base, "--key", op, named)
    check(r.returncode == 2 and "cannot tell the kind" in r.stderr,
          "a file name of no kind: exit 2", detail(r))
    r = cli.run("events", "append", *base, "--key", op, "--kind", "consent_change", named)
    check(r.returncode == 0 and "1 new" in r.stdout, "--kind consent_change reads it", detail(r))

    a = write(os.path.join(work, "same1", "consent.csv"), "customer_id,merchant_id,channel,status,ts\n")
    b = write(os.path.join(work, "same2", "consent.csv"), "customer_id,merchant_id,channel,status,ts\n")
    r = cli.run("events", "append", *base, "--key", op, a, b)
    check(r.returncode == 2 and "two files named consent.csv" in r.stderr,
          "two files of the same name in one run: refused (their ids would collide)", detail(r))

    for batch in ["0", "10001"]:
        r = cli.run("events", "append", *base, "--key", op, "--batch", batch, good)
        check(r.returncode == 1, f"--batch {batch}: usage error (exit 1)", detail(r))
    r = cli.run("events", "append", *base, "--key", op, "--key-file", good, good)
    check(r.returncode == 1, "--key with --key-file: usage error", detail(r))
    r = cli.run("events", "append", "--port", str(free_port()), "--key", op, good)
    check(r.returncode == 3 and "cannot connect" in r.stderr, "no server: exit 3", detail(r))


def expected_events(mtime_of):
    """The events the kinds/ files stand for, built with the Python client."""
    merchants_ts = iso(mtime_of("merchants.csv"))
    skus_ts = iso(mtime_of("skus.csv"))
    policy_ts = iso(mtime_of("merchant_policy.csv"))
    return [
        ttypes.Event(event_id="merchants.csv:2", new_merchant=ttypes.NewMerchantEvent(
            merchant_id="m_new", name="New Shop", category="bakery", region="north",
            ts=merchants_ts)),
        ttypes.Event(event_id="skus.csv:2", new_sku=ttypes.NewSkuEvent(
            sku_id="s_new", merchant_id="m_new", category="bakery", price=5.25, ts=skus_ts)),
        ttypes.Event(event_id="orders.csv:2", order_line=ttypes.OrderLineEvent(
            order_id="o_new1", customer_id="c01", merchant_id="m_new", sku_id="s_new",
            ts="2026-11-02T10:00:00Z", quantity=2, unit_price=5.25, channel="web",
            region="north")),
        ttypes.Event(event_id="engagement.csv:2", engagement_activity=(
            ttypes.EngagementActivityEvent(merchant_id="m_new", ts="2026-11-03T10:00:00Z",
                                           activity="webinar", points=7.5))),
        ttypes.Event(event_id="engagement.csv:3", engagement_activity=(
            ttypes.EngagementActivityEvent(merchant_id="m_new", ts="2026-11-04T10:00:00Z",
                                           activity="email_open"))),
        ttypes.Event(event_id="partnerships.csv:2", partnership_change=(
            ttypes.PartnershipChangeEvent(merchant_a="m_new", merchant_b="m_bakery",
                                          kind="partner", removed=False,
                                          ts="2026-11-01T00:00:00Z"))),
        ttypes.Event(event_id="partnerships.csv:3", partnership_change=(
            ttypes.PartnershipChangeEvent(merchant_a="m_new", merchant_b="m_bakery",
                                          kind="partner", removed=True,
                                          ts="2026-11-05T00:00:00Z"))),
        ttypes.Event(event_id="merchant_policy.csv:2", policy_change=ttypes.PolicyChangeEvent(
            merchant_id="m_florist", ts=policy_ts, k_min=4, allow_coupons=True)),
        ttypes.Event(event_id="merchant_policy.csv:3", policy_change=ttypes.PolicyChangeEvent(
            merchant_id="m_new", ts=policy_ts, permission_model="full", share_overlaps=False,
            discoverable=True)),
    ]


def test_every_kind(cli, port, op, work):
    base = ["--port", str(port), "--key", op]
    d = os.path.join(work, "kinds")
    files = [
        write(os.path.join(d, "merchants.csv"),
              "merchant_id,name,category,region\nm_new,New Shop,bakery,north\n"),
        write(os.path.join(d, "skus.csv"), "sku_id,merchant_id,category,price\ns_new,m_new,bakery,5.25\n"),
        write(os.path.join(d, "orders.csv"),
              "order_id,customer_id,merchant_id,sku_id,ts,quantity,price,channel,device,region\n"
              "o_new1,c01,m_new,s_new,2026-11-02T10:00:00Z,2,5.25,web,,north\n"),
        write(os.path.join(d, "engagement.csv"),
              "merchant_id,ts,event,points\n"
              "m_new,2026-11-03T10:00:00Z,webinar,7.5\n"
              "m_new,2026-11-04T10:00:00Z,email_open,\n"),
        write(os.path.join(d, "partnerships.csv"),
              "merchant_a,merchant_b,kind,since,removed\n"
              "m_new,m_bakery,partner,2026-11-01,false\n"
              "m_new,m_bakery,partner,2026-11-05,true\n"),
        write(os.path.join(d, "merchant_policy.csv"),
              "merchant_id,permission_model,k_min,share_overlaps,discoverable,allow_coupons\n"
              "m_florist,,4,,,true\n"
              "m_new,full,,false,true,\n"),
    ]
    before = log_sequence(port, op)
    r = cli.run("events", "append", *base, *files)
    check(r.returncode == 0 and
          f"sent 9 events: 9 new, 0 duplicate; last sequence {before + 9}" in r.stdout,
          "every kind: 9 events recorded in file order", detail(r))
    # Each file again (rows without ts take the file's modification time): all duplicates.
    for f in files:
        r = cli.run("events", "append", *base, f)
        name = os.path.basename(f)
        check(r.returncode == 0 and "0 new" in r.stdout and
              f"last sequence {before + 9}" in r.stdout,
              f"{name} sent again: all duplicates", detail(r))
    # Each event as the Python client builds it, with the id the CLI gave it: a duplicate (the
    # same content), not "recorded with other content".
    for event in expected_events(lambda name: int(os.stat(os.path.join(d, name)).st_mtime)):
        try:
            with connect(port=port) as client:
                ack = client.RecordEvents(op, ttypes.RecordEventsRequest(events=[event]))
            same = ack.duplicate == [True] and ack.last_sequence == before + 9
            why = f"acknowledged {ack}"
        except (ttypes.InvalidArgument, ttypes.PermissionDenied) as e:
            same, why = False, e.message
        check(same, f"{event.event_id}: the CLI's event equals the Python client's", why)


def test_tail(cli, port, op, work):
    base = ["--port", str(port), "--key", op]
    seq = log_sequence(port, op)
    r = cli.run("events", "tail", *base)
    check(r.returncode == 0 and r.stdout == f"event_sequence {seq} event_log_sequence {seq}\n",
          f"tail: prints the sequences ({seq})", detail(r))
    r = cli.run("events", "tail", "--port", str(port), env={"PARTNERGRAPH_API_KEY": "not-a-key"})
    check(r.returncode == 2 and "PermissionDenied" in r.stderr, "tail with a bad key: exit 2",
          detail(r))

    follow = subprocess.Popen([cli.binary, "events", "tail", *base, "--follow",
                               "--interval-ms", "50"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        first = read_line(follow, 10)
        check(first.endswith(f"event_sequence {seq} event_log_sequence {seq}\n") and
              first[:4].isdigit(), f"tail --follow: a first line with the time: {first!r}")
        f = write(os.path.join(work, "follow", "consent.csv"),
                  "customer_id,merchant_id,channel,status,ts\n"
                  "c06,m_bakery,email,unsubscribed,2026-11-01T10:00:00Z\n"
                  "c07,m_bakery,email,unsubscribed,2026-11-01T10:00:00Z\n")
        r = cli.run("events", "append", *base, "--prefix", "follow/", f)
        check(r.returncode == 0, "tail --follow: 2 events appended meanwhile", detail(r))
        # (A poll between the log's write and its application may print a line in between.)
        wanted = f"event_sequence {seq + 2} event_log_sequence {seq + 2}\n"
        lines = read_lines_until(follow, wanted, 10)
        check(lines and lines[-1].endswith(wanted) and len(lines) <= 2,
              f"tail --follow: a line when the sequences change: {lines!r}")
        time.sleep(0.3)
        follow.send_signal(signal.SIGINT)
        code = follow.wait(timeout=10)
        rest = follow.stdout.read()
        check(code == 0 and rest == "", f"tail --follow: SIGINT ends it, exit 0 (got {code}, "
              f"more output {rest!r})")
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.wait()


def test_tail_log(cli, port, op, log_dir, work):
    """`tail --log DIR`: the log's last events, one line each, read beside the running server."""
    seq = log_sequence(port, op)
    r = cli.run("events", "tail", "--log", log_dir, "-n", "2")
    lines = r.stdout.splitlines()
    check(r.returncode == 0 and len(lines) == 2 and lines[0].startswith(f"{seq - 1} ") and
          lines[1].startswith(f"{seq} consent_change id=follow/consent.csv:3 ") and
          "customer_id=c07 merchant_id=m_bakery channel=email status=unsubscribed" in lines[1],
          "tail --log -n 2: the log's last two events", detail(r))
    r = cli.run("events", "tail", "--log", os.path.join(work, "no-log-here"))
    check(r.returncode == 1 and "no event log in this folder" in r.stderr,
          "tail --log of a folder without a log: exit 1, said", detail(r))

    follow = subprocess.Popen([cli.binary, "events", "tail", "--log", log_dir, "-n", "0",
                               "--follow", "--interval-ms", "50"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        f = write(os.path.join(work, "follow-log", "consent.csv"),
                  "customer_id,merchant_id,channel,status,ts,source\n"
                  "c08,m_bakery,sms,blocked,2026-11-01T10:00:00Z,call centre\n")
        r = cli.run("events", "append", "--port", str(port), "--key", op, "--prefix", "fl/", f)
        check(r.returncode == 0, "tail --log --follow: an event appended meanwhile", detail(r))
        line = read_line(follow, 10)
        check(line.startswith(f"{seq + 1} consent_change id=fl/consent.csv:2 ") and
              'source="call centre"' in line,
              f"tail --log --follow: the new event, a value with a space quoted: {line!r}")
        follow.send_signal(signal.SIGINT)
        code = follow.wait(timeout=10)
        check(code == 0, f"tail --log --follow: SIGINT ends it, exit 0 (got {code})")
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.wait()


def read_line(process, timeout_s):
    ready, _, _ = select.select([process.stdout], [], [], timeout_s)
    return process.stdout.readline() if ready else ""


def read_lines_until(process, ending, timeout_s):
    """The lines read until one ends with `ending` (the last), or [] after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    lines = []
    while time.monotonic() < deadline:
        line = read_line(process, max(0.0, deadline - time.monotonic()))
        if not line:
            break
        lines.append(line)
        if line.endswith(ending):
            return lines
    return []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--gen-py", required=True)
    parser.add_argument("--client-dir", required=True)
    parser.add_argument("--server-tests-dir", required=True)  # tests/server: server_process.py
    parser.add_argument("--data", required=True)
    parser.add_argument("--work-dir", required=True)
    args = parser.parse_args()

    sys.path[:0] = [args.gen_py, args.client_dir, args.server_tests_dir]
    global connect, ttypes
    from partnergraph_client import connect  # noqa: E402
    from partnergraph_rpc import ttypes  # noqa: E402
    from server_process import Server  # noqa: E402

    shutil.rmtree(args.work_dir, ignore_errors=True)
    os.makedirs(args.work_dir)
    cli = Cli(args.cli)
    model = os.path.join(args.work_dir, "model")
    r = cli.run("build", "--data", args.data, "--out", model, timeout=120)
    if r.returncode != 0:
        print(f"FAIL  build the model of {args.data}:\n{detail(r)}")
        return 1
    keys_file = os.path.join(args.work_dir, "keys.tsv")

    def add_key(role):
        r = cli.run("keys", "add", "--file", keys_file, "--role", role)
        if r.returncode != 0:
            raise RuntimeError(detail(r))
        return r.stdout.strip()

    op = add_key("operator")
    bakery = add_key("merchant:m_bakery")
    bakery_key_file = write(os.path.join(args.work_dir, "bakery.key"), bakery + "\n")
    files = os.path.join(args.work_dir, "files")

    plain = Server(args.server, model, ["--keys", keys_file])
    try:
        good = write(os.path.join(files, "plain", "engagement.csv"),
                     "merchant_id,ts,event\nm_wine,2026-11-05T10:00:00Z,webinar\n")
        r = cli.run("events", "append", "--port", str(plain.port), "--key", op, good)
        check(r.returncode == 2 and "Unavailable" in r.stderr,
              "a server without --events: append exits 2 (Unavailable)", detail(r))
        r = cli.run("events", "tail", "--port", str(plain.port), "--key", op)
        check(r.returncode == 2 and "keeps no event log" in r.stderr,
              "a server without --events: tail exits 2", detail(r))
    finally:
        plain.stop()

    server = Server(args.server, model,
                    ["--keys", keys_file, "--events", os.path.join(args.work_dir, "events")])
    try:
        test_consent(cli, server.port, op, bakery_key_file, files)
        test_refusals(cli, server.port, op, bakery, files)
        test_every_kind(cli, server.port, op, files)
        test_tail(cli, server.port, op, files)
        test_tail_log(cli, server.port, op, os.path.join(args.work_dir, "events"), files)
    finally:
        code = server.stop()
        check(code == 0, f"the server stops cleanly on SIGTERM (exit {code})")

    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
