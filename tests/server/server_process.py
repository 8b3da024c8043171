"""partnergraph-server as a child process for the Python tests (python_client_test.py,
privacy_attack_test.py): started on a free loopback port, its ready line read for the port, its
log (stderr) kept in a file, stopped with SIGTERM."""
import os
import re
import signal
import subprocess
import time


class Server:
    def __init__(self, binary, model, args, log_dir=None):
        log_dir = log_dir or os.path.dirname(model)
        self.log_path = os.path.join(log_dir, f"server-{len(args)}-{time.time()}.log")
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
        """SIGTERM, then the exit code (a kill after 20 s, whose code is then returned)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.log.close()
        return code
