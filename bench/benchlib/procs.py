"""Processes: measured clients (through bench_exec) and background services.
Every one is started here, stopped by its PID, and every wait is bounded."""
import json
import os
import signal
import subprocess
import threading
import time


class Child:
    """A measured client process. bench_exec (bench/bench_exec.cc) runs it and
    reports its own accounting: wall time, CPU (user+sys) and peak RSS from
    wait4's rusage. kill9() SIGKILLs the command (through bench_exec)."""

    def __init__(self, exec_wrapper, cmd, out_path, err_path, env=None, cwd=None):
        self.cmd = cmd
        self.out_path, self.err_path = out_path, err_path
        self.res_path = out_path + ".rusage"
        self.out = open(out_path, "wb")
        self.err = open(err_path, "wb")
        self.t0 = time.monotonic()
        self.p = subprocess.Popen([exec_wrapper, self.res_path] + cmd, stdout=self.out, stderr=self.err,
                                  stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        self.pid = self.p.pid
        self.result = None
        RUNNING.add(self)

    def kill9(self):
        if self.result is None and self.p.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)  # bench_exec SIGKILLs the command
            except ProcessLookupError:
                pass

    def wait(self, timeout):
        if self.result is not None:
            return self.result
        timed_out = []
        timer = threading.Timer(timeout, lambda: (timed_out.append(1), self.kill9()))
        timer.start()
        try:
            self.p.wait(timeout + 15)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(5)
        finally:
            timer.cancel()
        wall = time.monotonic() - self.t0
        RUNNING.discard(self)
        self.out.close()
        self.err.close()
        with open(self.out_path, "rb") as f:
            stdout = f.read().decode(errors="replace")
        with open(self.err_path, "rb") as f:
            stderr = f.read().decode(errors="replace")
        try:
            with open(self.res_path) as f:
                ru = json.load(f)
        except (OSError, ValueError):
            ru = {"rc": self.p.returncode, "wall": wall, "cpu": None, "maxrss_kib": None}
        self.result = {
            "rc": ru["rc"],
            "wall": ru["wall"],
            "cpu": ru["cpu"],
            "maxrss_kib": ru["maxrss_kib"],
            "stdout": stdout,
            "stderr": stderr[-2000:],
            "timed_out": bool(timed_out),
        }
        return self.result


RUNNING = set()      # measured children still running
SERVICES = []        # background services (nginx, dbus-daemon, ferryd)


class Service:
    def __init__(self, name, cmd, log_path, env=None):
        self.name, self.cmd, self.log_path, self.env = name, cmd, log_path, env
        self.p = None

    def start(self):
        self.logf = open(self.log_path, "ab")
        self.p = subprocess.Popen(self.cmd, stdout=self.logf, stderr=self.logf, stdin=subprocess.DEVNULL,
                                  env=self.env)
        if self not in SERVICES:
            SERVICES.append(self)

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def stop(self, timeout=10):
        if self.p is None:
            return
        if self.p.poll() is None:
            try:
                self.p.terminate()
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self.logf.close()

    def kill9(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(10)
        self.logf.close()

    def log_tail(self, n=2000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""


def cleanup():
    for c in list(RUNNING):
        c.kill9()
        try:
            c.p.wait(10)
        except subprocess.TimeoutExpired:
            c.p.kill()
    RUNNING.clear()
    for s in reversed(SERVICES):
        try:
            s.stop(timeout=5)
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
