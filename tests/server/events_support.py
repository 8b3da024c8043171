"""What the live-event tests over Thrift share (events_test.py, events_kill_test.py): the
generated client loaded from the build tree, the check/failure bookkeeping, event constructors,
a work folder with a model of the dataset, and API keys.

Call load_client() before anything that makes an event or a call: `connect` and `ttypes` are
the generated package's, and they exist only once its folder is on sys.path.
"""

import argparse
import datetime
import os
import shutil
import subprocess
import sys

connect = None
ttypes = None
FAILURES = []


def argument_parser():
    """The arguments every live-event test takes from ctest (tests/server/CMakeLists.txt): the
    server and CLI binaries, the generated client, the dataset and a work folder."""
    parser = argparse.ArgumentParser()
    for name in ["--server", "--cli", "--gen-py", "--client-dir", "--data", "--work-dir"]:
        parser.add_argument(name, required=True)
    return parser


def load_client(gen_py, client_dir):
    """Puts the generated package (--gen-py) and partnergraph_client (--client-dir) on sys.path;
    returns (connect, ttypes)."""
    global connect, ttypes
    sys.path[:0] = [gen_py, client_dir]
    from partnergraph_client import connect as connect_
    from partnergraph_rpc import ttypes as ttypes_
    connect, ttypes = connect_, ttypes_
    return connect, ttypes


def check(condition, what, quiet=False):
    """Prints `ok` or `FAIL` and the check (a passed check not at all when quiet); a failed one
    is kept in FAILURES. Returns the condition."""
    if not condition or not quiet:
        print(("ok    " if condition else "FAIL  ") + what, flush=True)
    if not condition:
        FAILURES.append(what)
    return condition


def iso(t):
    """A datetime as the events' ISO-8601 UTC text ("2026-12-07T10:00:00Z")."""
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso(offset_s=0):
    return iso(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_s))


def consent(event_id, customer, merchant, channel, status, source="web", ts=None):
    return ttypes.Event(event_id=event_id, consent_change=ttypes.ConsentChangeEvent(
        customer_id=customer, merchant_id=merchant, channel=channel, status=status,
        ts=ts or now_iso(), source=source))


def policy(event_id, merchant, ts=None, **fields):
    return ttypes.Event(event_id=event_id, policy_change=ttypes.PolicyChangeEvent(
        merchant_id=merchant, ts=ts or now_iso(), **fields))


def record(port, key, events):
    with connect(port=port) as client:
        return client.RecordEvents(key, ttypes.RecordEventsRequest(events=events))


def health(port, key):
    with connect(port=port) as client:
        return client.Health(key)


def fresh_work_dir(cli, data, work_dir):
    """Empties `work_dir` and builds a model of `data` in work_dir/model; returns its path."""
    shutil.rmtree(work_dir, ignore_errors=True)
    os.makedirs(work_dir)
    model = os.path.join(work_dir, "model")
    subprocess.run([cli, "build", "--data", data, "--out", model], check=True,
                   capture_output=True)
    return model


def add_key(cli, keys_file, role):
    """A new API key of `role` ("operator", "merchant:<id>") in `keys_file`."""
    return subprocess.run([cli, "keys", "add", "--file", keys_file, "--role", role],
                          check=True, capture_output=True, text=True).stdout.strip()
