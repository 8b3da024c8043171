#!/usr/bin/python3
"""Fault injection (issue 19): `partnergraph build` and `partnergraph validate --report` under
libpg_fault_shim.so (fault_shim.cpp), which fails their Nth write, fsync, rename or allocation.

For each operation a first run counts the calls (nothing fails); then for N = 1, 2, ... up to
that count (or, with --sample K, K values of N spread over it) and N = count + 1 (the shim must
report that no call N was made) the command runs once and the outcome is checked:
  - no crash: the process exits (no signal, no abort), with no uncaught exception;
  - the fault fired: a non-zero exit status and one line on stderr, "partnergraph <command>: ...",
    saying what failed (the errno's text, "out of memory") and naming a file or the stage;
    build: the model folder is the old model, byte for byte, and `partnergraph verify` passes;
    validate: the reject report is the old one, byte for byte;
  - the fault did not fire: exit 0 (build) and the new model complete, equal to a reference
    build; validate's report complete;
  - either way no staging folder or temporary file anywhere under the parent folder.
Prints how many fault points each operation had and how many runs were checked; exits 1 listing
every failed check.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

ERRNO_TEXT = {"ENOSPC": ["No space left on device"], "EIO": ["Input/output error"],
              "ENOMEM": ["out of memory", "Cannot allocate memory"]}


def digest(folder):
    """{name: sha256} of every entry of a folder ("<dir>" for a sub-folder)."""
    out = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            out[name] = "<dir>"
        else:
            with open(path, "rb") as f:
                out[name] = hashlib.sha256(f.read()).hexdigest()
    return out


def model_identity(folder):
    """What makes a model the same model: every file's bytes, but for manifest.json (it records
    the build's date and seconds) its "files" table."""
    files = digest(folder)
    files.pop("manifest.json", None)
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    return files, json.dumps(manifest.get("files"), sort_keys=True)


def leftovers(parent):
    """Staging folders and temporary files anywhere under `parent`."""
    found = []
    for root, dirs, files in os.walk(parent):
        for name in dirs + files:
            if ".staging-" in name or name.endswith(".tmp"):
                found.append(os.path.relpath(os.path.join(root, name), parent))
    return found


class Driver:
    def __init__(self, args):
        self.args = args
        self.work = os.path.abspath(args.work_dir)
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        self.failures = []
        self.absorbed = 0  # allocation failures the program worked around
        self.old_left = 0  # builds whose old model could not be removed (the next one did)
        self.figures = []  # (command, operation, errno, points, runs)

    def run(self, argv, env_extra=None, timeout=300):
        env = dict(os.environ)
        env.update(env_extra or {})
        return subprocess.run([self.args.cli, *argv], env=env, capture_output=True, text=True,
                              timeout=timeout)

    def faulty(self, argv, op, n, errno, prefix, min_size=None):
        """Runs the CLI under the shim; returns (process, {"calls", "fired", "where"})."""
        report = os.path.join(self.work, "shim-report.txt")
        if os.path.exists(report):
            os.remove(report)
        env = {"LD_PRELOAD": self.args.shim, "PG_FAULT_OP": op, "PG_FAULT_N": str(n),
               "PG_FAULT_ERRNO": errno, "PG_FAULT_PREFIX": prefix, "PG_FAULT_REPORT": report}
        if min_size is not None:
            env["PG_FAULT_MIN_SIZE"] = str(min_size)
        proc = self.run(argv, env)
        shim = {"calls": 0, "fired": False, "where": ""}
        if os.path.exists(report):
            with open(report) as f:
                for line in f:
                    key, _, value = line.rstrip("\n").partition("=")
                    shim[key] = value
            shim["calls"] = int(shim["calls"])
            shim["fired"] = shim["fired"] == "1"
        else:
            shim["missing"] = True
        return proc, shim

    def fail(self, what, proc=None):
        detail = ""
        if proc is not None:
            detail = f"\n    exit {proc.returncode}; stderr: {proc.stderr.strip()[-800:]!r}"
        self.failures.append(what + detail)
        print("FAIL", what + detail, flush=True)

    def check_clean_exit(self, label, proc, shim):
        """No signal, no abort, no uncaught exception; the shim's report written at exit."""
        if proc.returncode < 0:
            self.fail(f"{label}: killed by signal {-proc.returncode}", proc)
            return False
        for mark in ("terminate called", "Aborted", "core dumped", "what():"):
            if mark in proc.stderr:
                self.fail(f"{label}: crashed ({mark!r} on stderr)", proc)
                return False
        if shim.get("missing"):
            self.fail(f"{label}: exited without running exit handlers (no shim report)", proc)
            return False
        return True

    def check_error_line(self, label, proc, command, errno, shim):
        """One line saying what failed: "partnergraph <command>: ..." with the errno's text."""
        if proc.returncode == 0:
            self.fail(f"{label}: the fault ({shim['where']}) fired but the command exited 0",
                      proc)
            return
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        errors = [l for l in lines if l.startswith(f"partnergraph {command}: ")]
        if len(errors) != 1 or len(lines) != 1:
            self.fail(f"{label}: expected one error line on stderr, got {len(lines)}", proc)
            return
        line = errors[0]
        expected = ERRNO_TEXT[errno]
        if not any(text in line for text in expected):
            self.fail(f"{label}: the error does not say {' or '.join(expected)!r}", proc)
        if errno != "ENOMEM" and "/" not in line:
            self.fail(f"{label}: the error names no file", proc)

    # ---- build ----

    def prepare_build(self):
        parent = os.path.join(self.work, "models")
        os.makedirs(parent)
        refs = os.path.join(self.work, "refs")
        os.makedirs(refs)
        with open(self.args.config) as f:
            config = json.load(f)
        config.setdefault("model", {})["partner_embedding"] = "walk"
        self.new_config = os.path.join(self.work, "new_config.json")
        with open(self.new_config, "w") as f:
            json.dump(config, f, indent=2)
        self.old_ref = os.path.join(refs, "old")
        self.new_ref = os.path.join(refs, "new")
        for out, cfg in ((self.old_ref, self.args.config), (self.new_ref, self.new_config)):
            proc = self.run(self.build_argv(out, cfg))
            if proc.returncode != 0:
                raise SystemExit(f"reference build failed: {proc.stderr}")
        self.parent = parent
        self.model = os.path.join(parent, "model")
        self.old_digest = digest(self.old_ref)
        self.new_identity = model_identity(self.new_ref)
        if model_identity(self.old_ref) == self.new_identity:
            raise SystemExit("the old and new reference models are the same")
        self.reset_model()

    def build_argv(self, out, config):
        return ["build", "--data", self.args.data, "--out", out, "--config", config,
                "--threads", "1"]

    def reset_model(self):
        shutil.rmtree(self.parent)
        os.makedirs(self.parent)
        shutil.copytree(self.old_ref, self.model)

    def check_build(self, op, errno, n, min_size):
        label = f"build, {op} #{n} fails with {errno}"
        proc, shim = self.faulty(self.build_argv(self.model, self.new_config), op, n, errno,
                                 self.parent, min_size)
        ok = self.check_clean_exit(label, proc, shim)
        stray = leftovers(self.parent)
        if (ok and shim["fired"] and proc.returncode == 0 and len(stray) == 1 and
                f"{stray[0]}: the old model could not be removed" in proc.stderr):
            # The new model is published; removing the old one failed (said on stderr, exit 0):
            # it is left under the staging name of this (now dead) process, and the next build
            # in the same parent removes it.
            self.old_left += 1
            if model_identity(self.model) != self.new_identity:
                self.fail(f"{label}: the new model differs from the reference", proc)
            again = self.run(self.build_argv(self.model, self.new_config))
            if again.returncode != 0 or leftovers(self.parent):
                self.fail(f"{label}: the next build did not remove {stray[0]}", again)
            self.reset_model()
            return shim
        if stray:
            self.fail(f"{label}: left {stray}", proc)
        if ok and shim["fired"] and op == "alloc" and proc.returncode == 0:
            # An allocation whose failure the program works around (stdio falls back to an
            # unbuffered stream): the result must be complete all the same.
            self.absorbed += 1
            if model_identity(self.model) != self.new_identity:
                self.fail(f"{label}: exit 0 but the new model differs from the reference", proc)
        elif ok and shim["fired"]:
            self.check_error_line(label, proc, "build", errno, shim)
            if digest(self.model) != self.old_digest:
                self.fail(f"{label}: the old model was changed", proc)
            else:
                verified = self.run(["verify", self.model])
                if verified.returncode != 0:
                    self.fail(f"{label}: verify of the old model fails", verified)
        elif ok:
            if proc.returncode != 0:
                self.fail(f"{label}: no fault fired but the build failed", proc)
            elif model_identity(self.model) != self.new_identity:
                self.fail(f"{label}: the new model differs from the reference", proc)
        if digest(self.model) != self.old_digest or stray:
            self.reset_model()
        return shim

    # ---- validate --report ----

    def prepare_validate(self):
        self.report_dir = os.path.join(self.work, "reports")
        os.makedirs(self.report_dir)
        self.report = os.path.join(self.report_dir, "rejected.csv")
        # datasets/tiny with two bad order lines: the report has rows to write.
        self.bad_data = os.path.join(self.work, "bad_data")
        shutil.copytree(self.args.data, self.bad_data)
        with open(os.path.join(self.bad_data, "orders.csv"), "a") as f:
            f.write("o_bad1,c01,m_bakery,s_bread,2026-01-05T09:00:00Z,1,\"12,5x\",web,mobile,"
                    "north\n")
            f.write("o_bad2,c01,m_bakery,s_nope,2026-01-05T09:00:00Z,1,3,web,mobile,north\n")
        reference = self.run(["validate", self.bad_data, "--report", self.report])
        if reference.returncode != 2:
            raise SystemExit(f"validate of the bad dataset: exit {reference.returncode}: "
                             f"{reference.stderr}")
        with open(self.report, "rb") as f:
            self.new_report = f.read()
        if self.new_report.count(b"\n") < 3:
            raise SystemExit(f"the reference report has no rows: {self.new_report!r}")
        self.old_report = b"file,line,column,reason,raw\nold,1,,an older report,\n"

    def check_validate(self, op, errno, n, min_size):
        label = f"validate --report, {op} #{n} fails with {errno}"
        with open(self.report, "wb") as f:
            f.write(self.old_report)
        proc, shim = self.faulty(["validate", self.bad_data, "--report", self.report], op, n,
                                 errno, self.report_dir, min_size)
        ok = self.check_clean_exit(label, proc, shim)
        stray = leftovers(self.report_dir)
        if stray:
            self.fail(f"{label}: left {stray}", proc)
            for name in stray:
                os.remove(os.path.join(self.report_dir, name))
        with open(self.report, "rb") as f:
            report = f.read()
        if ok and shim["fired"] and op == "alloc" and proc.returncode == 2 and \
                "out of memory" not in proc.stderr:
            self.absorbed += 1  # worked around (as in check_build): the report must be new
            if report != self.new_report:
                self.fail(f"{label}: the allocation failure was absorbed, but the report is "
                          f"not the new one", proc)
        elif ok and shim["fired"]:
            # The dataset has errors: exit 2 whatever; the line says the report failed.
            if proc.returncode == 0:
                self.fail(f"{label}: exit 0", proc)
            lines = [l for l in proc.stderr.splitlines()
                     if l.startswith("partnergraph validate: ")]
            if len(lines) != 1 or not any(t in lines[0] for t in ERRNO_TEXT[errno]) or (
                    errno != "ENOMEM" and self.report not in lines[0]):
                self.fail(f"{label}: expected one line naming {self.report} and saying "
                          f"{ERRNO_TEXT[errno]!r}", proc)
            if report != self.old_report:
                self.fail(f"{label}: the old report was changed", proc)
        elif ok:
            if proc.returncode != 2 or report != self.new_report:
                self.fail(f"{label}: no fault fired but the report is not the new one", proc)
        return shim

    # ---- what is made durable before what is published ----

    def trace(self, argv, prefix):
        """Runs the CLI with no fault, tracing every fsync and rename under `prefix`."""
        path = os.path.join(self.work, "shim-trace.txt")
        if os.path.exists(path):
            os.remove(path)
        env = {"LD_PRELOAD": self.args.shim, "PG_FAULT_OP": "fsync", "PG_FAULT_N": "0",
               "PG_FAULT_PREFIX": prefix, "PG_FAULT_TRACE": path}
        proc = self.run(argv, env)
        with open(path) as f:
            return proc, [line.split() for line in f]

    def check_build_durability(self):
        """Every file of the new model and the staging folder are fsynced after their last
        rename and before the staging folder is swapped in; the parent folder after that."""
        label = "build durability"
        proc, events = self.trace(self.build_argv(self.model, self.new_config), self.parent)
        if proc.returncode != 0:
            self.fail(f"{label}: the build failed", proc)
            return
        swaps = [i for i, e in enumerate(events)
                 if e[0].startswith("renameat2") and e[2] == self.model]
        if len(swaps) != 1:
            self.fail(f"{label}: expected one swap into {self.model}, found {len(swaps)}")
            return
        at = swaps[0]
        staging = events[at][1]
        for name in sorted(os.listdir(self.model)) + [None]:
            path = staging if name is None else os.path.join(staging, name)
            last_rename = max([i for i, e in enumerate(events[:at])
                               if e[0] != "fsync" and (e[2] == path or
                                                       (name is None and e[2].startswith(path)))],
                              default=-1)
            if not any(e == ["fsync", path] for e in events[last_rename + 1:at]):
                self.fail(f"{label}: {path} is not fsynced between its last rename and the swap")
        if ["fsync", self.parent] not in events[at + 1:]:
            self.fail(f"{label}: the parent folder is not fsynced after the swap")
        self.reset_model()
        print(f"{label}: {len(events)} fsyncs and renames traced, the order checked", flush=True)

    def check_validate_durability(self):
        label = "validate durability"
        tmp = self.report + ".tmp"
        proc, events = self.trace(["validate", self.bad_data, "--report", self.report],
                                  self.report_dir)
        renames = [i for i, e in enumerate(events) if e[0] != "fsync" and e[2] == self.report]
        if len(renames) != 1 or events[renames[0]][1] != tmp:
            self.fail(f"{label}: expected one rename of {tmp} to the report: {events}", proc)
            return
        at = renames[0]
        if ["fsync", tmp] not in events[:at]:
            self.fail(f"{label}: {tmp} is not fsynced before its rename: {events}")
        if ["fsync", self.report_dir] not in events[at + 1:]:
            self.fail(f"{label}: the report's folder is not fsynced after the rename: {events}")
        print(f"{label}: {len(events)} fsyncs and renames traced, the order checked", flush=True)

    # ---- the loop ----

    def loop(self, command, check, op, errno, min_size=None):
        """A run that only counts (N = 0: nothing fails, the command must succeed), then
        N = 1 .. the count (or --sample of them), then one past it: no fault may fire."""
        start = time.time()
        counted = check(op, errno, 0, min_size)
        points = counted["calls"]
        if self.args.sample and points > self.args.sample:
            step = points / self.args.sample
            ns = sorted({min(points, max(1, round(step * (i + 0.5))))
                         for i in range(self.args.sample)})
        else:
            ns = list(range(1, points + 1))
        runs = 1
        for n in ns:
            shim = check(op, errno, n, min_size)
            runs += 1
            if not shim["fired"] and not shim.get("missing"):
                self.fail(f"{command}, {op} #{n}: did not fire, but the counting run saw "
                          f"{points} calls (the count is not deterministic)")
        last = check(op, errno, points + 1, min_size)
        runs += 1
        if last["fired"]:
            self.fail(f"{command}, {op}: call {points + 1} fired, but the counting run saw "
                      f"{points} (the count is not deterministic)")
        seconds = time.time() - start
        self.figures.append((command, op, errno, points, runs, seconds))
        print(f"{command:9} {op:7} {errno:7} fault points {points:5}  runs {runs:5}  "
              f"{seconds:6.1f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--shim", required=True)
    parser.add_argument("--data", required=True, help="datasets/tiny")
    parser.add_argument("--config", required=True, help="models/default.json")
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--sample", type=int, default=0,
                        help="check this many points per operation (0: every point)")
    parser.add_argument("--only", default="", help="build or validate")
    parser.add_argument("--ops", default="write,fsync,rename,alloc",
                        help="the operations to fail, comma-separated")
    args = parser.parse_args()

    driver = Driver(args)
    ops = args.ops.split(",")
    # Allocations of at least this size: the program's data, not every small string (a build
    # of datasets/tiny makes hundreds of thousands of allocations).
    alloc_min = 4096
    if args.only in ("", "build"):
        driver.prepare_build()
        driver.check_build_durability()
        for op, errno in (("write", "ENOSPC"), ("write", "EIO"), ("fsync", "EIO"),
                          ("rename", "EIO"), ("rename", "ENOSPC")):
            if op in ops:
                driver.loop("build", driver.check_build, op, errno)
        if "alloc" in ops:
            driver.loop("build", driver.check_build, "alloc", "ENOMEM", alloc_min)
    if args.only in ("", "validate"):
        driver.prepare_validate()
        driver.check_validate_durability()
        for op, errno in (("write", "ENOSPC"), ("write", "EIO"), ("fsync", "EIO"),
                          ("rename", "EIO")):
            if op in ops:
                driver.loop("validate", driver.check_validate, op, errno)
        if "alloc" in ops:
            driver.loop("validate", driver.check_validate, "alloc", "ENOMEM", alloc_min)

    print(f"allocation failures worked around (the result complete all the same): "
          f"{driver.absorbed}; old models left after a publish and removed by the next build: "
          f"{driver.old_left}")
    if driver.failures:
        print(f"\n{len(driver.failures)} failed checks", file=sys.stderr)
        for f in driver.failures:
            print("  " + f, file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
