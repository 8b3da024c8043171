#!/usr/bin/python3
"""kill -9 during `partnergraph build` into a folder that holds a model (issue 13 item 2): the
folder is then the old model or the new one, byte for byte, never a mix, and
`partnergraph verify` passes.

Two references are built from datasets/tiny: "old" (models/default.json) and "new" (the same
with model.partner_embedding = "walk": other files). The folder under test starts as the old
model; each round starts a build of the model it does not hold and kills it with SIGKILL:
  - timed: after delays spread over the length of a build (--kills of them, the last ones
    past its end, so that some builds complete);
  - exact (with --shim, libpg_fault_shim.so's PG_FAULT_ACTION=stop): the build stops itself
    just before its Nth rename or fsync under the folder's parent, for every N (the publish's
    fsyncs of every file, the exchange and the parent's fsync included), and is killed there.
After each kill: verify passes, the folder is exactly one of the two models, and at most one
staging folder (the killed build's) is left beside it: each build removes those of dead
processes. A last complete build leaves none.
"""
import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time


def identity(folder):
    """Every file's bytes, but for manifest.json (it records the build's date and seconds) its
    "files" table: what makes two builds the same model."""
    out = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            out[name] = "<dir>"
            continue
        with open(path, "rb") as f:
            data = f.read()
        if name == "manifest.json":
            data = json.dumps(json.loads(data).get("files"), sort_keys=True).encode()
        out[name] = hashlib.sha256(data).hexdigest()
    return out


def staging_folders(parent):
    return [n for n in os.listdir(parent) if ".staging-" in n]


class KillTest:
    def __init__(self, args):
        self.args = args
        self.work = os.path.abspath(args.work_dir)
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        self.failures = []
        self.outcomes = {"old": 0, "new": 0}
        self.kills = 0
        self.timed_kills = 0

    def argv(self, out, config):
        return [self.args.cli, "build", "--data", self.args.data, "--out", out, "--config",
                config, "--threads", "1"]

    def prepare(self):
        with open(self.args.config) as f:
            config = json.load(f)
        config.setdefault("model", {})["partner_embedding"] = "walk"
        self.configs = {"old": self.args.config,
                        "new": os.path.join(self.work, "new_config.json")}
        with open(self.configs["new"], "w") as f:
            json.dump(config, f, indent=2)
        self.identities = {}
        self.build_seconds = 0.0
        for name in ("old", "new"):
            start = time.time()
            proc = subprocess.run(self.argv(os.path.join(self.work, "ref_" + name),
                                            self.configs[name]), capture_output=True, text=True)
            self.build_seconds = max(self.build_seconds, time.time() - start)
            if proc.returncode != 0:
                raise SystemExit(f"reference build {name} failed: {proc.stderr}")
            self.identities[name] = identity(os.path.join(self.work, "ref_" + name))
        if self.identities["old"] == self.identities["new"]:
            raise SystemExit("the two reference models are the same")
        self.parent = os.path.join(self.work, "models")
        self.model = os.path.join(self.parent, "model")
        os.makedirs(self.parent)
        shutil.copytree(os.path.join(self.work, "ref_old"), self.model)
        self.state = "old"

    def fail(self, what):
        self.failures.append(what)
        print("FAIL", what, flush=True)

    def check(self, label):
        """The folder is one whole model that verifies; returns which."""
        verified = subprocess.run([self.args.cli, "verify", self.model], capture_output=True,
                                  text=True)
        if verified.returncode != 0:
            self.fail(f"{label}: verify fails: {verified.stdout.strip()[-600:]}")
        now = identity(self.model) if os.path.isdir(self.model) else {}
        which = [name for name, ident in self.identities.items() if ident == now]
        if not which:
            self.fail(f"{label}: the folder is neither model: {sorted(now)}")
            return self.state
        stray = staging_folders(self.parent)
        if len(stray) > 1:
            self.fail(f"{label}: {len(stray)} staging folders left: {stray}")
        self.outcomes[which[0]] += 1
        return which[0]

    def other(self):
        return "new" if self.state == "old" else "old"

    def timed(self):
        count = self.args.kills
        for i in range(count):
            # Spread over 1.2 builds (the slower reference build): the last ones may let the
            # build finish.
            delay = self.build_seconds * 1.2 * (i + 1) / count
            target = self.other()
            proc = subprocess.Popen(self.argv(self.model, self.configs[target]),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            finished = proc.poll() is not None
            if not finished:
                proc.send_signal(signal.SIGKILL)
                self.kills += 1
                self.timed_kills += 1
            proc.wait()
            label = f"timed kill {i + 1} after {delay:.3f} s ({'finished' if finished else 'killed'})"
            self.state = self.check(label)
            if finished and self.state != target:
                self.fail(f"{label}: the build finished but the folder is the {self.state} model")

    def exact(self):
        """Stops before every rename and fsync under the parent, kills there."""
        for op in ("rename", "fsync"):
            report = os.path.join(self.work, "shim-report.txt")
            env = dict(os.environ, LD_PRELOAD=self.args.shim, PG_FAULT_OP=op,
                       PG_FAULT_PREFIX=self.parent, PG_FAULT_REPORT=report, PG_FAULT_N="0")
            counted = subprocess.run(self.argv(self.model, self.configs[self.other()]), env=env,
                                     capture_output=True, text=True)
            if counted.returncode != 0:
                self.fail(f"counting {op}s: the build failed: {counted.stderr}")
                return
            self.state = self.check(f"counting {op}s")
            with open(report) as f:
                points = int(f.readline().split("=")[1])
            print(f"exact kills before each of {points} {op}s", flush=True)
            for n in range(1, points + 1):
                target = self.other()
                env.update(PG_FAULT_N=str(n), PG_FAULT_ACTION="stop")
                proc = subprocess.Popen(self.argv(self.model, self.configs[target]), env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                _, status = os.waitpid(proc.pid, os.WUNTRACED)
                if not os.WIFSTOPPED(status):
                    self.fail(f"{op} #{n}: the build did not stop there (status {status})")
                    proc.returncode = 0
                    self.state = self.check(f"{op} #{n}")
                    continue
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                self.kills += 1
                self.state = self.check(f"killed before {op} #{n}")

    def finish(self):
        target = self.other()
        proc = subprocess.run(self.argv(self.model, self.configs[target]), capture_output=True,
                              text=True)
        if proc.returncode != 0:
            self.fail(f"the last build failed: {proc.stderr}")
        self.state = self.check("the last build")
        if self.state != target:
            self.fail(f"the last build did not publish the {target} model")
        stray = staging_folders(self.parent)
        if stray:
            self.fail(f"the last build left staging folders: {stray}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--shim", default="", help="libpg_fault_shim.so: exact kill points")
    parser.add_argument("--kills", type=int, default=24)
    args = parser.parse_args()
    test = KillTest(args)
    start = time.time()
    test.prepare()
    test.timed()
    if args.shim:
        test.exact()
    test.finish()
    print(f"{test.kills} builds killed ({test.timed_kills} of {args.kills} timed ones, the rest "
          f"finished first; the others exactly before a rename or fsync); the folder was the old model {test.outcomes['old']} "
          f"times and the new one {test.outcomes['new']} times after a kill or build "
          f"(a build takes {test.build_seconds:.2f} s; {time.time() - start:.1f} s in all)")
    if test.failures:
        print(f"{len(test.failures)} failed checks", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
