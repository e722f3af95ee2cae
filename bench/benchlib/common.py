"""Constants and small helpers shared by the driver's modules: sizes of the
scenarios, statistics, files, /proc readers, the progress sampler."""
import hashlib
import json
import os
import shutil
import socket
import statistics
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MiB = 1 << 20
GiB = 1 << 30
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Sizes of the scenarios (issue 4).
BIG_SIZE = 1 * GiB            # scenario 1
SMALL_COUNT, SMALL_SIZE = 1000, 64 * 1024   # scenario 2
SMALL_JOBS = 16
MID_SIZE = 100 * MiB          # scenarios 3 and 4
RATE = 20 * MiB               # scenarios 3 (nginx limit_rate) and 4 (client limits)
MULTI_JOBS = 8                # scenario 4, second part
IDLE_JOBS = 10000             # scenario 5
CREATE_THREADS = 4            # scenario 5: SDK callers creating the jobs at once
CREATE_DEADLINE, CREATE_DEADLINE_QUICK = 60, 20   # s; creating the jobs stops there (time budget)
LIST_TIMEOUT = 45             # s; `ferry list --json` is killed after that


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def span(xs):
    xs = [x for x in xs if x is not None]
    return (min(xs), max(xs)) if xs else (None, None)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(4 * MiB)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def file_size(path):
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def clear_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)


def proc_cpu(pid):
    """utime+stime of a process (all its threads, live and exited) in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def threads_cpu_s(pid):
    """{thread name: seconds on CPU} of a process's live threads (schedstat),
    summed by name: ferryd names its threads "ferry-hash" and "ferry-worker";
    the event loop is the main thread ("ferryd")."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        out[name] = out.get(name, 0.0) + ns / 1e9
    return out


def proc_cpu_ns(pid):
    """Nanoseconds on CPU of the live threads (schedstat): finer than proc_cpu."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def proc_status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    return None


def reset_hwm(pid):
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def proc_meminfo(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def parse_json_line(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    return None


class Sampler(threading.Thread):
    """Samples the size of files every `period` seconds (anchor progress)."""

    def __init__(self, paths, period=0.1):
        super().__init__(daemon=True)
        self.paths, self.period = paths, period
        self.samples = []
        self.stop_ev = threading.Event()
        self.t0 = time.monotonic()

    def run(self):
        while True:
            self.samples.append([time.monotonic() - self.t0] + [file_size(p) for p in self.paths])
            if self.stop_ev.wait(self.period):
                self.samples.append([time.monotonic() - self.t0] + [file_size(p) for p in self.paths])
                return

    def stop(self):
        self.stop_ev.set()
        self.join(5)


def interp(samples, col, t):
    """bytes of column `col` at time t, linear between samples."""
    prev = samples[0]
    for s in samples:
        if s[0] >= t:
            if s[0] == prev[0]:
                return s[col]
            return prev[col] + (s[col] - prev[col]) * (t - prev[0]) / (s[0] - prev[0])
        prev = s
    return samples[-1][col]
