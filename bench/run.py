#!/usr/bin/env python3
"""make bench: ferry against curl, wget2 and aria2c on loopback (bench/README.md).

    bench/run.py [--build-dir build/release] [--only 1,3] [--rounds N] [--quick] [--keep]

Starts a private dbus-daemon, ferryd --user on it (bench config), and nginx
(one worker, sendfile on) on free loopback ports; generates the data under a
mktemp directory on disk; runs the scenarios with ferry and the anchor tools
interleaved round by round (round 0 is a warm-up and not counted); writes
bench/results/latest.md and latest.json (a run with --only or --quick writes
bench/results/partial.* instead). Python 3 standard library only.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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


# --------------------------------------------------------------------------
# Processes. Every one is started here, stopped by its PID, and every wait is
# bounded.

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


def proc_cpu(pid):
    """utime+stime of a process (all its threads, live and exited) in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


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


# --------------------------------------------------------------------------
# The environment: bus, ferryd, nginx, data.

class Ferryd:
    def __init__(self, env, name, config):
        self.env, self.name = env, name
        self.dir = os.path.join(env.work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.bus_path = os.path.join(self.dir, "bus")
        self.bus = f"unix:path={self.bus_path}"
        self.state = os.path.join(self.dir, "state")
        self.config = os.path.join(self.dir, "ferryd.json")
        with open(self.config, "w") as f:
            json.dump(config, f, indent=2)
        self.dbus = Service(f"dbus-{name}", ["dbus-daemon", "--session", f"--address={self.bus}", "--nofork",
                                             "--nopidfile"], os.path.join(self.dir, "dbus.log"))
        self.svc = None
        self.restarts = 0

    def start_bus(self):
        self.dbus.start()
        deadline = time.monotonic() + 10
        while not os.path.exists(self.bus_path):
            if time.monotonic() > deadline or not self.dbus.alive():
                raise RuntimeError(f"dbus-daemon did not start: {self.dbus.log_tail()}")
            time.sleep(0.02)

    def start(self):
        self.svc = Service(f"ferryd-{self.name}", [self.env.ferryd, "--user", "--bus-address", self.bus,
                                                    "--state-dir", self.state, "--config", self.config],
                           os.path.join(self.dir, "ferryd.log"))
        self.svc.start()
        deadline = time.monotonic() + 30
        while True:
            r = subprocess.run([self.env.ferry, "--bus-address", self.bus, "status"], capture_output=True,
                               timeout=10)
            if r.returncode == 0:
                break
            if time.monotonic() > deadline or not self.svc.alive():
                raise RuntimeError(f"ferryd did not come up: {self.svc.log_tail()}")
            time.sleep(0.05)
        return self.svc.pid

    def kill9(self):
        self.svc.kill9()
        SERVICES.remove(self.svc)

    @property
    def pid(self):
        return self.svc.pid

    def cpu(self):
        return proc_cpu(self.pid)

    def hwm_kib(self):
        return proc_status(self.pid, "VmHWM")

    def rss_kib(self):
        return proc_status(self.pid, "VmRSS")

    def cli(self, *args, timeout=30):
        return subprocess.run([self.env.ferry, "--bus-address", self.bus, *args], capture_output=True,
                              text=True, timeout=timeout)


class Env:
    def __init__(self, args):
        self.args = args
        bd = os.path.abspath(args.build_dir)
        self.ferryd = os.path.join(bd, "src/ferryd")
        self.ferry = os.path.join(bd, "src/ferry")
        self.ferry_bench = os.path.join(bd, "bench/ferry_bench")
        self.sha256_bench = os.path.join(bd, "bench/sha256_bench")
        self.bench_exec = os.path.join(bd, "bench/bench_exec")
        for exe in (self.ferryd, self.ferry, self.ferry_bench, self.bench_exec):
            if not os.access(exe, os.X_OK):
                sys.exit(f"bench: {exe} is missing; run `make build PRESET=release` first")
        base = "/var/tmp" if os.path.isdir("/var/tmp") else None   # on disk, not tmpfs
        self.work = tempfile.mkdtemp(prefix="ferry-bench.", dir=base)
        self.www = os.path.join(self.work, "www")
        self.out = os.path.join(self.work, "out")
        self.logs = os.path.join(self.work, "logs")
        self.home = os.path.join(self.work, "home")   # anchors read no ~/.curlrc etc.
        for d in (self.www, self.out, self.logs, self.home):
            os.makedirs(d)
        self.tool_env = dict(os.environ, HOME=self.home, LC_ALL="C")
        for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            self.tool_env.pop(k, None)
        self.seq = 0
        self.lock = threading.Lock()

    def child(self, cmd, tag):
        with self.lock:
            self.seq += 1
            base = os.path.join(self.logs, f"{self.seq:04d}-{tag}")
        return Child(self.bench_exec, cmd, base + ".out", base + ".err", env=self.tool_env, cwd=self.out)

    # --- data ------------------------------------------------------------
    def gen_file(self, path, size):
        h = hashlib.sha256()
        with open(path, "wb") as f:
            left = size
            while left:
                b = os.urandom(min(left, 8 * MiB))
                h.update(b)
                f.write(b)
                left -= len(b)
        return h.hexdigest()

    def gen_data(self, scenarios):
        t = time.monotonic()
        self.sha = {}
        if 1 in scenarios:
            self.sha["big.bin"] = self.gen_file(os.path.join(self.www, "big.bin"), BIG_SIZE)
        if 3 in scenarios or 4 in scenarios:
            self.sha["m100.bin"] = self.gen_file(os.path.join(self.www, "m100.bin"), MID_SIZE)
        if 4 in scenarios:
            os.makedirs(os.path.join(self.www, "j8"))
            for i in range(MULTI_JOBS):
                self.gen_file(os.path.join(self.www, f"j8/f{i}.bin"), MID_SIZE // MULTI_JOBS)
        if 2 in scenarios or 5 in scenarios:
            os.makedirs(os.path.join(self.www, "small"))
            for i in range(SMALL_COUNT):
                with open(os.path.join(self.www, f"small/f{i:04d}.bin"), "wb") as f:
                    f.write(os.urandom(SMALL_SIZE))
        os.sync()
        log(f"data generated in {time.monotonic() - t:.1f} s under {self.work}")

    # --- TLS -----------------------------------------------------------------
    def gen_cert(self):
        self.cert = os.path.join(self.work, "cert.pem")
        self.key = os.path.join(self.work, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", self.key, "-out", self.cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True, timeout=30)

    # --- nginx ---------------------------------------------------------------
    def start_nginx(self):
        self.port, self.tls_port = free_port(), free_port()
        nd = os.path.join(self.work, "nginx")
        os.makedirs(os.path.join(nd, "logs"))
        self.access_log = os.path.join(nd, "logs/access.log")
        user = "user root root;" if os.getuid() == 0 else ""
        conf = f"""{user}
daemon off;
worker_processes 1;
pid {nd}/nginx.pid;
error_log {nd}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format bench '$msec\\t$request_time\\t$status\\t$bytes_sent\\t$body_bytes_sent\\t$request_method\\t$request_uri\\t$http_range\\t$connection';
  access_log {self.access_log} bench;
  client_body_temp_path {nd}/body;
  proxy_temp_path {nd}/proxy;
  fastcgi_temp_path {nd}/fastcgi;
  uwsgi_temp_path {nd}/uwsgi;
  scgi_temp_path {nd}/scgi;
  sendfile on;
  keepalive_requests 100000;
  default_type application/octet-stream;
  server {{
    listen 127.0.0.1:{self.port};
    root {self.www};
    location /slow/ {{ alias {self.www}/; limit_rate {RATE // MiB}m; }}
  }}
  server {{
    listen 127.0.0.1:{self.tls_port} ssl;
    ssl_certificate {self.cert};
    ssl_certificate_key {self.key};
    root {self.www};
  }}
}}
"""
        with open(os.path.join(nd, "nginx.conf"), "w") as f:
            f.write(conf)
        self.nginx = Service("nginx", ["/usr/sbin/nginx", "-p", nd, "-c", os.path.join(nd, "nginx.conf")],
                             os.path.join(nd, "logs/stderr.log"))
        self.nginx.start()
        deadline = time.monotonic() + 10
        for port in (self.port, self.tls_port):
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or not self.nginx.alive():
                        raise RuntimeError(f"nginx did not start: {self.nginx.log_tail()}")
                    time.sleep(0.05)
        self.http = f"http://127.0.0.1:{self.port}"
        self.https = f"https://127.0.0.1:{self.tls_port}"

    def access_entries(self, needle):
        out = []
        with open(self.access_log) as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if len(p) < 9 or needle not in p[6]:
                    continue
                msec, rtime = float(p[0]), float(p[1])
                out.append({"start": msec - rtime, "end": msec, "status": int(p[2]), "bytes_sent": int(p[3]),
                            "body_bytes_sent": int(p[4]), "method": p[5], "uri": p[6],
                            "range": "" if p[7] == "-" else p[7], "connection": int(p[8])})
        out.sort(key=lambda e: e["start"])
        return out


# --------------------------------------------------------------------------
# Measuring a ferry run: ferryd's CPU and peak RSS around the client.

class FerryMeasure:
    def __init__(self, fd):
        self.fd = fd

    def __enter__(self):
        self.rss0 = self.fd.rss_kib()
        reset_hwm(self.fd.pid)
        self.cpu0 = self.fd.cpu()
        return self

    def finish(self, r):
        r["ferryd_cpu"] = self.fd.cpu() - self.cpu0
        r["ferryd_hwm_kib"] = self.fd.hwm_kib()
        r["ferryd_rss_before_kib"] = self.rss0
        r["client_cpu"] = r["cpu"]
        r["client_maxrss_kib"] = r["maxrss_kib"]
        r["cpu"] = r["ferryd_cpu"] + r["client_cpu"]
        r["maxrss_kib"] = r["ferryd_hwm_kib"] + r["client_maxrss_kib"]
        return r

    def __exit__(self, *a):
        return False


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


# --------------------------------------------------------------------------
# The bench

class Bench:
    def __init__(self, args):
        self.args = args
        self.env = Env(args)
        self.results = {}
        self.quick = args.quick
        self.rounds = args.rounds if args.rounds else (3 if self.quick else 5)

    def config(self, extra=None):
        c = {"log_level": "warn", "max_background_transfers": 16, "max_jobs_per_user": 20000,
             "ca_file": self.env.cert}
        c.update(extra or {})
        return c

    # ---------------------------------------------------------------- setup
    def setup(self, scenarios):
        e = self.env
        e.gen_cert()
        e.gen_data(scenarios)
        e.start_nginx()
        self.fd = Ferryd(e, "main", self.config())
        self.fd.start_bus()
        self.fd.start()
        log(f"nginx on {e.http} and {e.https}; ferryd pid {self.fd.pid} on {self.fd.bus}")

    def ferry_cmd(self, *args):
        return [self.env.ferry, "--bus-address", self.fd.bus, *args]

    def bench_cmd(self, *args, bus=None):
        return [self.env.ferry_bench, "--bus", bus or self.fd.bus, *args]

    def run_ferry(self, cmd, tag, timeout):
        with FerryMeasure(self.fd) as m:
            c = self.env.child(cmd, tag)
            r = c.wait(timeout)
            m.finish(r)
        return r

    def run_tool(self, tool, cmd, timeout):
        if tool.startswith("ferry"):
            return self.run_ferry(cmd, tool, timeout)
        return self.env.child(cmd, tool).wait(timeout)

    def check(self, r, ok, what):
        r["ok"] = bool(ok) and r["rc"] == 0
        if not r["ok"]:
            log(f"  FAILED: {what}: rc={r['rc']} {r['stderr'][-500:]!r} {r['stdout'][-300:]!r}")

    # ----------------------------------------------------------- scenario 1
    def s1_cmds(self, scheme, out):
        e = self.env
        base = e.http if scheme == "http" else e.https
        url = f"{base}/big.bin"
        tls = scheme == "https"
        d, name = os.path.dirname(out), os.path.basename(out)
        return {
            "ferry": self.ferry_cmd("get", "--sha256", e.sha["big.bin"], url, "-o", out),
            "curl": ["curl", "-sS", "-f", "-o", out, url] + (["--cacert", e.cert] if tls else []),
            "wget2": ["wget2", "-q", "-O", out, url] + ([f"--ca-certificate={e.cert}"] if tls else []),
            "aria2c": ["aria2c", "-q", "-x1", "-s1", "--file-allocation=none", "--allow-overwrite=true",
                       "--auto-file-renaming=false", "-d", d, "-o", name, url]
                      + ([f"--ca-certificate={e.cert}"] if tls else []),
        }

    def scenario1(self, scheme):
        key = f"1-{scheme}"
        log(f"scenario 1 ({scheme}): 1 GiB to disk, {self.rounds} rounds + warm-up")
        tools = ["ferry", "curl", "wget2", "aria2c"]
        runs = {t: [] for t in tools}
        out = os.path.join(self.env.out, "big.out")
        for rnd in range(self.rounds + 1):
            for tool in tools:
                clear_dir(self.env.out)
                os.sync()
                cmd = self.s1_cmds(scheme, out)[tool]
                r = self.run_tool(tool, cmd, timeout=120)
                size = file_size(out)
                ok = size == BIG_SIZE
                if ok and rnd == 0 and tool == "ferry":  # content check of the delivered file, once
                    ok = sha256_file(out) == self.env.sha["big.bin"]
                self.check(r, ok, f"{tool} {scheme} round {rnd} (size {size})")
                r["round"] = rnd
                r.pop("stdout")
                runs[tool].append(r)
                log(f"  round {rnd} {tool:7s} {r['wall']:6.2f} s  cpu {r['cpu']:5.2f} s")
            clear_dir(self.env.out)
        self.results[key] = {"runs": runs, "bytes": BIG_SIZE}

    # ----------------------------------------------------------- scenario 2
    def scenario2(self):
        log(f"scenario 2: {SMALL_COUNT} x 64 KiB, {SMALL_JOBS} jobs / 16 parallel, {self.rounds} rounds + warm-up")
        e = self.env
        lists = os.path.join(e.work, "s2")
        os.makedirs(lists, exist_ok=True)
        urls = [f"{e.http}/small/f{i:04d}.bin" for i in range(SMALL_COUNT)]
        outs = [os.path.join(e.out, f"f{i:04d}.bin") for i in range(SMALL_COUNT)]
        with open(os.path.join(lists, "ferry.tsv"), "w") as f:
            f.writelines(f"{u}\t{o}\n" for u, o in zip(urls, outs))
        with open(os.path.join(lists, "curl.cfg"), "w") as f:
            f.writelines(f'url = "{u}"\noutput = "{o}"\n' for u, o in zip(urls, outs))
        with open(os.path.join(lists, "urls.txt"), "w") as f:
            f.writelines(f"{u}\n" for u in urls)
        cmds = {
            "ferry": self.bench_cmd("run", "--list", os.path.join(lists, "ferry.tsv"), "--jobs", str(SMALL_JOBS),
                                    "--timeout", "120"),
            "curl": ["curl", "-sS", "-f", "-Z", "--parallel-max", "16", "-K", os.path.join(lists, "curl.cfg")],
            "wget2": ["wget2", "-q", "--max-threads=16", "-nd", "-P", e.out, "-i", os.path.join(lists, "urls.txt")],
            "aria2c": ["aria2c", "-q", "-j16", "--file-allocation=none", "--allow-overwrite=true",
                       "--auto-file-renaming=false", "-d", e.out, "-i", os.path.join(lists, "urls.txt")],
        }
        tools = list(cmds)
        runs = {t: [] for t in tools}
        for rnd in range(self.rounds + 1):
            for tool in tools:
                clear_dir(e.out)
                os.sync()
                r = self.run_tool(tool, cmds[tool], timeout=150)
                good = sum(1 for o in outs if file_size(o) == SMALL_SIZE)
                r["files_ok"] = good
                r["round"] = rnd
                if tool == "ferry":
                    j = parse_json_line(r["stdout"]) or {}
                    r["bench"] = {k: j.get(k) for k in ("seconds", "files_per_s", "t_first_create", "t_added",
                                                        "t_resumed", "t_last_transferred", "t_last_complete")}
                    r["seconds"] = j.get("seconds")
                else:
                    r["seconds"] = r["wall"]
                r["files_per_s"] = SMALL_COUNT / r["seconds"] if r.get("seconds") else None
                self.check(r, good == SMALL_COUNT, f"{tool} round {rnd}: {good} files")
                r.pop("stdout")
                runs[tool].append(r)
                fps = r["files_per_s"] or 0
                log(f"  round {rnd} {tool:7s} {r['wall']:6.2f} s  {fps:7.0f} files/s  cpu {r['cpu']:5.2f} s")
        clear_dir(e.out)
        self.results["2"] = {"runs": runs, "fsync_floor": self.s2_fsync_floor()}

    def s2_fsync_floor(self):
        """The disk's part of ferry's durability, measured here: SMALL_COUNT new
        files of SMALL_SIZE written one after another, without and with an
        fdatasync each (ferry syncs each finished file once), in the output
        directory's file system."""
        data = os.urandom(SMALL_SIZE)
        out = {}
        for mode in ("write", "write_fdatasync"):
            clear_dir(self.env.out)
            os.sync()
            t0 = time.monotonic()
            for i in range(SMALL_COUNT):
                fd = os.open(os.path.join(self.env.out, f"floor{i:04d}"), os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
                try:
                    os.write(fd, data)
                    if mode == "write_fdatasync":
                        os.fdatasync(fd)
                finally:
                    os.close(fd)
            out[mode] = time.monotonic() - t0
        clear_dir(self.env.out)
        log(f"  fsync floor: {SMALL_COUNT} x {SMALL_SIZE // 1024} KiB written in {out['write']:.3f} s, "
            f"with an fdatasync each {out['write_fdatasync']:.3f} s")
        return out

    # ----------------------------------------------------------- scenario 3
    def s3_wait_log(self, tag, timeout=8):
        deadline = time.monotonic() + timeout
        while True:
            ents = self.env.access_entries(f"t={tag}")
            if sum(x["body_bytes_sent"] for x in ents) >= MID_SIZE or time.monotonic() > deadline:
                return ents
            time.sleep(0.1)

    def s3_analyse(self, tag, t_kill, path):
        # nginx logs a request when it ends; give it a moment for the last one.
        time.sleep(0.3)
        ents = self.s3_wait_log(tag)
        after = [x for x in ents if x["start"] >= t_kill - 0.05]
        unranged = [x for x in after if x["method"] == "GET" and not x["range"]]
        sent = sum(x["bytes_sent"] for x in ents)
        body = sum(x["body_bytes_sent"] for x in ents)
        ok_sha = os.path.exists(path) and file_size(path) == MID_SIZE and sha256_file(path) == self.env.sha["m100.bin"]
        return {"requests": len(ents), "requests_after_restart": len(after),
                "unranged_after_restart": len(unranged), "extra_bytes": sent - MID_SIZE,
                "extra_body_bytes": body - MID_SIZE, "sha_ok": ok_sha,
                "log": [{k: x[k] for k in ("method", "status", "range", "bytes_sent")} for x in ents]}

    @staticmethod
    def s3_delay(rnd):
        """The kill comes this long after 50 % was seen: spread over 0-0.4 s
        (the same for every tool in a round) so that it does not always land
        between two of nginx's limit_rate bursts."""
        return (rnd * 0.29 + 0.05) % 0.4

    def s3_ferry(self, rnd, batch):
        e = self.env
        lst = os.path.join(e.work, f"s3-{rnd}.tsv")
        tags = [f"ferry-{rnd}-{i}" for i in range(batch)]
        paths = [os.path.join(e.out, f"s3-ferry-{i}.bin") for i in range(batch)]
        with open(lst, "w") as f:
            for tag, p in zip(tags, paths):
                f.write(f"{e.http}/slow/m100.bin?t={tag}\t{p}\t{e.sha['m100.bin']}\n")
        r1 = self.env.child(self.bench_cmd("start", "--list", lst, "--jobs", str(batch), "--until-fraction", "0.5",
                                           "--timeout", "60"), "ferry-s3-start").wait(70)
        j1 = parse_json_line(r1["stdout"]) or {}
        time.sleep(self.s3_delay(rnd))
        t_kill = time.time()
        self.fd.kill9()
        if r1["rc"] != 0 or not j1.get("ok"):
            self.fd.start()
            return [{"ok": False, "error": f"start failed: {r1['stdout'][-300:]} {r1['stderr'][-300:]}"}] * batch
        t_restart = time.monotonic()
        self.fd.start()
        t_up = time.monotonic() - t_restart
        r2 = self.env.child(self.bench_cmd("finish", "--ids", ",".join(j1["ids"]), "--timeout", "90"),
                            "ferry-s3-finish").wait(100)
        t_done = time.monotonic() - t_restart
        j2 = parse_json_line(r2["stdout"]) or {}
        out = []
        for i, (tag, p) in enumerate(zip(tags, paths)):
            a = self.s3_analyse(tag, t_kill, p)
            a.update({"tool": "ferry", "round": rnd, "fraction_at_kill": (j1.get("fractions") or [None] * batch)[i],
                      "restart_s": t_up, "after_restart_s": t_done,
                      "finish": j2 if r2["rc"] == 0 else {"rc": r2["rc"], "stdout": r2["stdout"][-300:],
                                                          "stderr": r2["stderr"][-300:]}})
            a["ok"] = r2["rc"] == 0 and a["sha_ok"]
            out.append(a)
        return out

    def s3_anchor(self, tool, rnd):
        e = self.env
        tag = f"{tool}-{rnd}"
        url = f"{e.http}/slow/m100.bin?t={tag}"
        path = os.path.join(e.out, f"s3-{tool}.bin")
        d, name = os.path.dirname(path), os.path.basename(path)
        if tool == "curl":
            first = ["curl", "-sS", "-f", "-o", path, url]
            again = ["curl", "-sS", "-f", "-C", "-", "-o", path, url]
        else:
            common = ["aria2c", "-q", "-x1", "-s1", "--file-allocation=none", "--disk-cache=0",
                      "--auto-file-renaming=false", "-d", d, "-o", name]
            first = common + [url]
            again = common + ["-c", url]
        c = self.env.child(first, f"{tool}-s3-1")
        deadline = time.monotonic() + 30
        while file_size(path) < MID_SIZE // 2 and time.monotonic() < deadline and c.p.poll() is None:
            time.sleep(0.02)
        time.sleep(self.s3_delay(rnd))
        frac = file_size(path) / MID_SIZE
        t_kill = time.time()
        c.kill9()
        c.wait(10)
        t0 = time.monotonic()
        r = self.env.child(again, f"{tool}-s3-2").wait(60)
        a = self.s3_analyse(tag, t_kill, path)
        a.update({"tool": tool, "round": rnd, "fraction_at_kill": frac, "after_restart_s": time.monotonic() - t0,
                  "rc": r["rc"]})
        a["ok"] = r["rc"] == 0 and a["sha_ok"]
        if not a["ok"]:
            log(f"  FAILED: {tool} s3 round {rnd}: rc {r['rc']} {r['stderr'][-300:]!r}")
        return a

    def scenario3(self):
        ferry_trials = 8 if self.quick else 20
        anchor_trials = 3 if self.quick else 5
        batch = 4
        rounds = max(anchor_trials, -(-ferry_trials // batch))
        log(f"scenario 3: kill -9 at ~50 % of 100 MiB at 20 MiB/s; ferry {ferry_trials} trials "
            f"({batch} jobs at a time), curl and aria2c {anchor_trials} each; "
            f"tools {'one after another' if self.args.serial else 'side by side'} in each round")
        trials = {"ferry": [], "curl": [], "aria2c": []}
        done_ferry = 0
        for rnd in range(rounds):
            clear_dir(self.env.out)
            work = []
            if done_ferry < ferry_trials:
                n = min(batch, ferry_trials - done_ferry)
                done_ferry += n
                work.append(("ferry", lambda rnd=rnd, n=n: self.s3_ferry(rnd, n)))
            for tool in ("curl", "aria2c"):
                if len(trials[tool]) < anchor_trials:
                    work.append((tool, lambda tool=tool, rnd=rnd: [self.s3_anchor(tool, rnd)]))
            for tool, res in self.run_side_by_side(work):
                trials[tool] += res
                for a in res:
                    if "extra_bytes" not in a:
                        log(f"  round {rnd} {tool:7s} FAILED: {a.get('error')}")
                        continue
                    log(f"  round {rnd} {tool:7s} extra {a['extra_bytes'] / MiB:7.2f} MiB  requests {a['requests']}  "
                        f"unranged-after-restart {a['unranged_after_restart']}  "
                        f"sha {'ok' if a['sha_ok'] else 'BAD'}  at kill {a['fraction_at_kill'] * 100:.0f} %")
        clear_dir(self.env.out)
        self.results["3"] = {"trials": trials, "side_by_side": not self.args.serial}

    def run_side_by_side(self, work):
        """Runs [(tool, fn)] at the same time (threads), or one after another
        with --serial; returns [(tool, fn's result)] in the given order. Used by
        the rate-limited scenarios 3 and 4 only."""
        out = [None] * len(work)

        def call(i, tool, fn):
            try:
                out[i] = (tool, fn())
            except Exception as ex:  # noqa: BLE001 - reported as a failed trial
                out[i] = (tool, [{"ok": False, "error": repr(ex)}])
        if self.args.serial:
            for i, (tool, fn) in enumerate(work):
                call(i, tool, fn)
        else:
            threads = [threading.Thread(target=call, args=(i, t, fn), daemon=True) for i, (t, fn) in enumerate(work)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(300)
        return [o if o is not None else (work[i][0], [{"ok": False, "error": "did not finish"}])
                for i, o in enumerate(out)]

    # ----------------------------------------------------------- scenario 4
    def s4_metrics(self, samples, cols, t_start, t_end, total_bytes):
        """samples: rows [t, b1, b2...] (t in the same clock as t_start/t_end)."""
        total = t_end - t_start
        rows = [[s[0] - t_start] + [sum(s[c] for c in cols)] + [s[c] for c in cols] for s in samples]
        rows = [r for r in rows if r[0] >= -0.05]
        windows = []
        k = 1
        while k + 1 <= total + 1e-9:
            got = interp(rows, 1, k + 1) - interp(rows, 1, k)
            windows.append(got / RATE - 1)
            k += 1
        m = {"total_s": total, "total_dev": total / (total_bytes / RATE) - 1, "windows_dev": windows,
             "worst_window_dev": max((abs(w) for w in windows), default=None)}
        if len(cols) > 1:
            # each job's share while all of them are running: up to the first one done
            finish = []
            for i in range(len(cols)):
                done_t = next((r[0] for r in rows if r[2 + i] >= total_bytes // len(cols)), rows[-1][0])
                finish.append(done_t)
            t_first = min(finish)
            got = [interp(rows, 2 + i, t_first) for i in range(len(cols))]
            fair = sum(got) / len(cols)
            m["shares"] = [g / fair - 1 if fair else None for g in got]
            m["worst_share_dev"] = max(abs(s) for s in m["shares"]) if fair else None
            m["t_first_done"] = t_first
        return m

    def s4_run(self, tool, case, cmd, paths, rnd):
        e = self.env
        if tool == "ferry":
            r = self.run_ferry(cmd, f"ferry-s4-{case}", 70)
            j = parse_json_line(r["stdout"]) or {}
            ok = bool(j.get("ok"))
            m = self.s4_metrics(j["samples"], list(range(1, len(paths) + 1)), j["t_resume"],
                                j["t_last_transferred"], MID_SIZE) if ok else {}
        else:
            sampler = Sampler(paths)
            c = e.child(cmd, f"{tool}-s4-{case}")
            sampler.t0 = c.t0
            sampler.start()
            r = c.wait(70)
            sampler.stop()
            ok = True
            m = self.s4_metrics(sampler.samples, list(range(1, len(paths) + 1)), 0.0, r["wall"], MID_SIZE)
        got = sum(file_size(p) for p in paths)
        self.check(r, ok and got == MID_SIZE, f"{tool} s4 {case} round {rnd} ({got} bytes)")
        if r["ok"]:
            r.update(m)
        r["round"] = rnd
        r.pop("stdout")
        return r

    def scenario4(self):
        log(f"scenario 4: throttling at 20 MiB/s (1 job, then {MULTI_JOBS} jobs), {self.rounds} rounds + warm-up; "
            f"tools {'one after another' if self.args.serial else 'side by side'} in each round")
        e = self.env
        lim = self.fd.cli("limits", "--background", str(RATE))
        if lim.returncode != 0:
            raise RuntimeError(f"ferry limits failed: {lim.stderr}")
        rate = f"{RATE // MiB}M"
        aria = ["aria2c", "-q", "--file-allocation=none", "--disk-cache=0", "--allow-overwrite=true",
                "--auto-file-renaming=false", f"--max-overall-download-limit={rate}"]
        eight_urls = os.path.join(e.work, "s4-eight.txt")
        with open(eight_urls, "w") as f:
            f.writelines(f"{e.http}/j8/f{i}.bin\n" for i in range(MULTI_JOBS))
        cases = {}   # case -> tool -> (cmd, output paths)
        for case, tools in (("single", ("ferry", "curl", "aria2c")), ("multi", ("ferry", "aria2c"))):
            cases[case] = {}
            for tool in tools:
                d = os.path.join(e.out, f"{case}-{tool}")
                if case == "single":
                    paths = [os.path.join(d, "m100.out")]
                    url = f"{e.http}/m100.bin"
                    lst = os.path.join(e.work, f"s4-one-{tool}.tsv")
                    with open(lst, "w") as f:
                        f.write(f"{url}\t{paths[0]}\n")
                    cmd = {"ferry": self.bench_cmd("run", "--list", lst, "--jobs", "1", "--sample-ms", "100",
                                                   "--timeout", "60"),
                           "curl": ["curl", "-sS", "-f", "--limit-rate", rate, "-o", paths[0], url],
                           "aria2c": aria + ["-x1", "-s1", "-d", d, "-o", "m100.out", url]}[tool]
                else:
                    paths = [os.path.join(d, f"f{i}.bin") for i in range(MULTI_JOBS)]
                    lst = os.path.join(e.work, f"s4-eight-{tool}.tsv")
                    with open(lst, "w") as f:
                        f.writelines(f"{e.http}/j8/f{i}.bin\t{paths[i]}\n" for i in range(MULTI_JOBS))
                    cmd = {"ferry": self.bench_cmd("run", "--list", lst, "--jobs", str(MULTI_JOBS), "--sample-ms",
                                                   "100", "--timeout", "60"),
                           "aria2c": aria + ["-j", str(MULTI_JOBS), "-d", d, "-i", eight_urls]}[tool]
                cases[case][tool] = (cmd, paths)
        res = {case: {t: [] for t in tools} for case, tools in cases.items()}
        for rnd in range(self.rounds + 1):
            for case, tools in cases.items():
                clear_dir(e.out)
                for tool, (cmd, paths) in tools.items():
                    os.makedirs(os.path.dirname(paths[0]), exist_ok=True)
                os.sync()
                work = [(tool, lambda tool=tool, cmd=cmd, paths=paths: self.s4_run(tool, case, cmd, paths, rnd))
                        for tool, (cmd, paths) in tools.items()]
                for tool, r in self.run_side_by_side(work):
                    if isinstance(r, list):  # failed with an exception
                        r = dict(r[0], round=rnd, rc=None, wall=None, cpu=None, maxrss_kib=None)
                        log(f"  round {rnd} {case:6s} {tool:7s} FAILED: {r.get('error')}")
                    res[case][tool].append(r)
                    if r.get("ok"):
                        extra = f"  worst share {r['worst_share_dev'] * 100:+.1f} %" if case == "multi" else ""
                        ww = r["worst_window_dev"]
                        log(f"  round {rnd} {case:6s} {tool:7s} total {r['total_s']:5.2f} s ({r['total_dev'] * 100:+.1f} %)"
                            f"  worst 1-s window {ww * 100 if ww is not None else float('nan'):+.1f} %{extra}")
        self.fd.cli("limits", "--background", "unlimited")
        clear_dir(e.out)
        self.results["4"] = dict(res, side_by_side=not self.args.serial)

    # ----------------------------------------------------------- scenario 5
    def s5_start_idle(self):
        """A second, fresh ferryd on its own bus: idle for 60 s (measured in a
        thread while the other scenarios run; its own CPU accounting is not
        affected by the others), then 10,000 suspended jobs."""
        self.idle = Ferryd(self.env, "idle", self.config())
        self.idle.start_bus()
        self.idle.start()
        self.idle_secs = 10 if self.quick else 60
        self.idle_result = {}

        def measure():
            time.sleep(3)  # let startup settle
            pid = self.idle.pid
            c0, n0, t0 = proc_cpu(pid), proc_cpu_ns(pid), time.monotonic()
            time.sleep(self.idle_secs)
            c1, n1, t1 = proc_cpu(pid), proc_cpu_ns(pid), time.monotonic()
            self.idle_result = {"seconds": t1 - t0, "cpu_s_stat": c1 - c0, "cpu_s_schedstat": (n1 - n0) / 1e9,
                                "rss_kib": proc_status(pid, "VmRSS"), "hwm_kib": proc_status(pid, "VmHWM"),
                                "threads": proc_status(pid, "Threads")}
        self.idle_thread = threading.Thread(target=measure, daemon=True)
        self.idle_thread.start()

    def scenario5(self):
        log(f"scenario 5: footprint (idle {self.idle_secs} s, then {IDLE_JOBS} suspended jobs)")
        self.idle_thread.join(self.idle_secs + 30)
        res = {"idle": self.idle_result}
        e = self.env
        jobs_dir = os.path.join(e.work, "s5-out")
        os.makedirs(jobs_dir, exist_ok=True)
        reset_hwm(self.idle.pid)
        cpu0 = self.idle.cpu()
        deadline = self.args.create_deadline or (CREATE_DEADLINE_QUICK if self.quick else CREATE_DEADLINE)
        # CREATE_THREADS callers on their own connections (as that many
        # applications), so that ferryd can group their commits; a lone
        # serial caller waits for two durable commits per job.
        c = e.child(self.bench_cmd("create", "--count", str(IDLE_JOBS), "--url", f"{e.http}/small/f0000.bin",
                                   "--dir", jobs_dir, "--deadline", str(deadline), "--threads", str(CREATE_THREADS),
                                   bus=self.idle.bus), "ferry-s5-create")
        r = c.wait(deadline + 60)
        j = parse_json_line(r["stdout"]) or {}
        res["create"] = {"rc": r["rc"], "wall": r["wall"], "client_cpu": r["cpu"], "ferryd_cpu": self.idle.cpu() - cpu0,
                         "created": j.get("created"), "seconds": j.get("seconds"), "jobs_per_s": j.get("jobs_per_s"),
                         "stopped_at_deadline": j.get("stopped_at_deadline"), "error": j.get("error")}
        log(f"  created {j.get('created')} jobs in {j.get('seconds') or 0:.1f} s ({j.get('jobs_per_s') or 0:.0f} jobs/s)")
        time.sleep(1)
        res["rss_kib_with_jobs"] = self.idle.rss_kib()
        res["hwm_kib_with_jobs"] = self.idle.hwm_kib()
        lists = []
        for i in range(2 if self.quick else 3):
            cpu0 = self.idle.cpu()
            c = e.child([e.ferry, "--bus-address", self.idle.bus, "--json", "list"], "ferry-s5-list")
            r = c.wait(LIST_TIMEOUT)
            n = None
            try:
                n = len(json.loads(r["stdout"]))
            except ValueError:
                pass
            lists.append({"rc": r["rc"], "timed_out": r["timed_out"], "wall": r["wall"], "client_cpu": r["cpu"], "ferryd_cpu": self.idle.cpu() - cpu0,
                          "jobs_listed": n, "round": i})
            log(f"  ferry list --json: {r['wall']:.2f} s, {n} jobs")
            if r["wall"] > 3:   # slow: one run is enough (time budget)
                break
        res["list"] = lists
        res["rss_kib_after_list"] = self.idle.rss_kib()
        self.results["5"] = res

    # ----------------------------------------------------------- scenario 6
    def scenario6(self):
        log("scenario 6: SHA-256, ferry's wrapper (Google Benchmark) and openssl speed, interleaved")
        e = self.env
        res = {"ferry_sha256_bench": [], "openssl_speed": [], "full": None}
        if not os.access(e.sha256_bench, os.X_OK):
            res["error"] = "sha256_bench was not built (libbenchmark-dev missing?)"
            self.results["6"] = res
            return
        for rnd in range(self.rounds + 1):
            r = e.child([e.sha256_bench, "--benchmark_filter=BM_Sha256Update/1048576$", "--benchmark_min_time=1",
                         "--benchmark_format=json"], "sha256_bench").wait(60)
            try:
                bps = json.loads(r["stdout"])["benchmarks"][0]["bytes_per_second"]
            except (ValueError, KeyError, IndexError):
                bps = None
            r2 = e.child(["openssl", "speed", "-evp", "sha256", "-bytes", "1048576", "-seconds", "1"],
                         "openssl-speed").wait(60)
            m = re.search(r"^sha256\s+([\d.]+)k", r2["stdout"], re.M)
            obps = float(m.group(1)) * 1000 if m else None
            res["ferry_sha256_bench"].append({"round": rnd, "bytes_per_s": bps, "rc": r["rc"]})
            res["openssl_speed"].append({"round": rnd, "bytes_per_s": obps, "rc": r2["rc"]})
            log(f"  round {rnd} ferry::crypto::Sha256 {(bps or 0) / GiB:.3f} GiB/s   openssl speed {(obps or 0) / GiB:.3f} GiB/s")
        r = e.child([e.sha256_bench, "--benchmark_min_time=0.3", "--benchmark_format=json"], "sha256_bench_all").wait(120)
        try:
            res["full"] = [{"name": b["name"], "bytes_per_s": b["bytes_per_second"]}
                           for b in json.loads(r["stdout"])["benchmarks"]]
        except (ValueError, KeyError):
            pass
        self.results["6"] = res


# --------------------------------------------------------------------------
# Report

def fmt_s(x, digits=2):
    return "–" if x is None else f"{x:.{digits}f}"


def fmt_range(xs, digits=2):
    lo, hi = span(xs)
    return "–" if lo is None else f"{lo:.{digits}f}–{hi:.{digits}f}"


def met(flag):
    return "–" if flag is None else ("**met**" if flag else "**missed**")


def counted(runs):
    return [r for r in runs if r.get("round", 1) > 0 and r.get("ok")]


def summarize(runs, key):
    xs = [r.get(key) for r in counted(runs)]
    return median(xs), xs


def machine_info():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = proc_meminfo("MemTotal")

    def first_line(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"
    commit = first_line(["git", "-C", REPO, "rev-parse", "HEAD"])
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True, timeout=10).stdout.strip()
    return {
        "cores": os.cpu_count(), "cpu_model": cpu, "kernel": platform.release(),
        "mem_gib": round(mem / (1 << 20), 1) if mem else None,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "git_commit": commit, "git_dirty": bool(dirty),
        "os": first_line(["sh", "-c", ". /etc/os-release; echo $PRETTY_NAME"]),
        "curl": first_line(["curl", "--version"]), "wget2": first_line(["wget2", "--version"]),
        "aria2c": first_line(["aria2c", "--version"]), "nginx": first_line(["/usr/sbin/nginx", "-v"]),
        "openssl": first_line(["openssl", "version"]),
    }


def proc_meminfo(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


class Report:
    def __init__(self, bench, info, runtime, load):
        self.b, self.info, self.runtime, self.load = bench, info, runtime, load
        self.lines = []
        self.verdicts = []

    def w(self, s=""):
        self.lines.append(s)

    def verdict(self, scenario, target, value, ok):
        self.verdicts.append({"scenario": scenario, "target": target, "value": value, "met": ok})

    def tool_table(self, runs, tools, ferry_key="ferry", targets=None, cpu_per_gib=None):
        """tool | wall median (min–max) | CPU median | peak RSS | ratios | target | met."""
        targets = targets or {}
        fw, _ = summarize(runs[ferry_key], "wall")
        fc, _ = summarize(runs[ferry_key], "cpu")
        self.w("| tool | n | wall s median (min–max) | CPU s median (min–max) | peak RSS MiB median | "
               "ferry/tool wall | ferry/tool CPU | target | met? |")
        self.w("|---|---|---|---|---|---|---|---|---|")
        for t in tools:
            c = counted(runs[t])
            wm, ws = summarize(runs[t], "wall")
            cm, cs = summarize(runs[t], "cpu")
            rm, _ = summarize(runs[t], "maxrss_kib")
            fails = len([r for r in runs[t] if not r.get("ok")])
            n = f"{len(c)}" + (f" ({fails} failed)" if fails else "")
            rw = fw / wm if (t != ferry_key and fw and wm) else None
            rc = fc / cm if (t != ferry_key and fc and cm) else None
            tgt, ok = targets.get(t, ("", None))
            self.w(f"| {t} | {n} | {fmt_s(wm)} ({fmt_range(ws)}) | {fmt_s(cm)} ({fmt_range(cs)}) | "
                   f"{fmt_s(rm / 1024 if rm else None, 1)} | {fmt_s(rw)} | {fmt_s(rc)} | {tgt} | {met(ok)} |")

    def render(self):
        b, info = self.b, self.info
        R = b.results
        self.w("# ferry benchmark results (`make bench`)")
        self.w()
        self.w("Generated by `bench/run.py`; bench/README.md explains the scenarios and how to read the tables. "
               "Only ratios within this one run are meaningful (shared, noisy machine).")
        self.w()
        self.w("| machine | |")
        self.w("|---|---|")
        for k in ("date_utc", "git_commit", "cores", "cpu_model", "mem_gib", "kernel", "os", "curl", "wget2", "aria2c",
                  "nginx", "openssl"):
            v = info[k]
            if k == "git_commit" and info["git_dirty"]:
                v = f"{v} (with uncommitted changes)"
            self.w(f"| {k} | {v} |")
        self.w(f"| load average (start → end) | {self.load[0]} → {self.load[1]} |")
        self.w(f"| rounds | 1 warm-up + {b.rounds} counted{' (BENCH_QUICK)' if b.quick else ''} |")
        self.w(f"| bench run time | {self.runtime:.0f} s ({self.runtime / 60:.1f} min), driver only "
               f"(data generation included, build excluded) |")
        self.w()
        body_start = len(self.lines)
        self.w("## Targets")
        self.w()
        summary_at = len(self.lines)
        self.w()
        if "1-http" in R or "1-https" in R:
            self.render1()
        if "2" in R:
            self.render2()
        if "3" in R:
            self.render3()
        if "4" in R:
            self.render4()
        if "5" in R:
            self.render5()
        if "6" in R:
            self.render6()
        summ = ["| scenario | target | measured | met? |", "|---|---|---|---|"]
        for v in self.verdicts:
            summ.append(f"| {v['scenario']} | {v['target']} | {v['value']} | {met(v['met'])} |")
        n_met = sum(1 for v in self.verdicts if v["met"])
        summ.append("")
        summ.append(f"{n_met} of {len(self.verdicts)} targets met.")
        self.lines[summary_at:summary_at] = summ
        del body_start
        return "\n".join(self.lines) + "\n"

    def render1(self):
        for scheme in ("http", "https"):
            d = self.b.results.get(f"1-{scheme}")
            if not d:
                continue
            runs = d["runs"]
            fw, _ = summarize(runs["ferry"], "wall")
            fc, _ = summarize(runs["ferry"], "cpu")
            cw, _ = summarize(runs["curl"], "wall")
            cc, _ = summarize(runs["curl"], "cpu")
            ww, _ = summarize(runs["wget2"], "wall")
            gib = d["bytes"] / GiB
            targets = {}
            if fw and cw:
                ok = fw <= 1.0 * cw
                targets["curl"] = ("wall ≤ 1.0 ×", ok)
                self.verdict(f"1 {scheme.upper()} 1 GiB", "ferry wall ≤ 1.0 × curl", f"{fw / cw:.2f} ×", ok)
            if scheme == "http" and fw and ww:
                ok = fw <= 1.15 * ww
                targets["wget2"] = ("wall ≤ 1.15 ×", ok)
                self.verdict("1 HTTP 1 GiB", "ferry wall ≤ 1.15 × wget2", f"{fw / ww:.2f} ×", ok)
            if scheme == "http" and fc is not None and cc is not None:
                ok = fc / gib <= cc / gib + 0.8
                self.verdict("1 HTTP 1 GiB", "ferry CPU/GiB ≤ curl's + 0.8 s",
                             f"{fc / gib:.2f} s vs {cc / gib:.2f} + 0.8 s", ok)
            self.w(f"## 1. One 1 GiB file over {scheme.upper()} to disk"
                   + (" (ferry with --sha256)" if scheme == "http" else " (self-signed cert, ferryd `ca_file`)"))
            self.w()
            self.tool_table(runs, ["ferry", "curl", "wget2", "aria2c"], targets=targets)
            self.w()
            f = counted(runs["ferry"])
            if f:
                self.w(f"ferry CPU split (median): ferryd {fmt_s(median([r['ferryd_cpu'] for r in f]))} s + "
                       f"`ferry get` {fmt_s(median([r['client_cpu'] for r in f]))} s; peak RSS ferryd "
                       f"{fmt_s(median([r['ferryd_hwm_kib'] for r in f]) / 1024, 1)} MiB + client "
                       f"{fmt_s(median([r['client_maxrss_kib'] for r in f]) / 1024, 1)} MiB. "
                       f"Throughput: ferry {fmt_s(gib / fw * 1024 if fw else None, 0)} MiB/s, "
                       f"curl {fmt_s(gib / cw * 1024 if cw else None, 0)} MiB/s. ferryd's RSS before the runs "
                       f"{fmt_s(median([r['ferryd_rss_before_kib'] for r in f]) / 1024, 1)} MiB.")
                self.w()

    def render2(self):
        runs = self.b.results["2"]["runs"]
        fps = {t: summarize(runs[t], "files_per_s") for t in runs}
        f = fps["ferry"][0]
        c = fps["curl"][0]
        a = fps["aria2c"][0]
        t_curl = t_aria = None
        if f and c:
            t_curl = f >= 1.0 * c
            self.verdict("2 1000 × 64 KiB", "ferry files/s ≥ 1.0 × curl -Z", f"{f / c:.2f} ×", t_curl)
        if f and a:
            t_aria = f >= 1.5 * a
            self.verdict("2 1000 × 64 KiB", "ferry files/s ≥ 1.5 × aria2c", f"{f / a:.2f} ×", t_aria)
        self.w(f"## 2. {SMALL_COUNT} files of 64 KiB, {SMALL_JOBS} jobs, one origin")
        self.w()
        self.w("ferry: `ferry_bench run` (SDK), timed from the first CreateJob to the last Complete; anchors: process "
               "wall time. ferryd runs with `max_background_transfers: 16`.")
        self.w()
        self.w("| tool | n | files/s median (min–max) | seconds median | CPU s median | peak RSS MiB | "
               "ferry/tool files/s | target | met? |")
        self.w("|---|---|---|---|---|---|---|---|---|")
        targets = {"curl": ("≥ 1.0 ×", t_curl), "aria2c": ("≥ 1.5 ×", t_aria)}
        for t in runs:
            m, xs = fps[t]
            sec, _ = summarize(runs[t], "seconds")
            cpu, _ = summarize(runs[t], "cpu")
            rss, _ = summarize(runs[t], "maxrss_kib")
            ratio = f / m if (t != "ferry" and f and m) else None
            fails = len([r for r in runs[t] if not r.get("ok")])
            tgt, ok = targets.get(t, ("", None))
            self.w(f"| {t} | {len(counted(runs[t]))}{f' ({fails} failed)' if fails else ''} | {fmt_s(m, 0)} "
                   f"({fmt_range(xs, 0)}) | {fmt_s(sec)} | {fmt_s(cpu)} | {fmt_s(rss / 1024 if rss else None, 1)} | "
                   f"{fmt_s(ratio)} | {tgt} | {met(ok)} |")
        self.w()
        fr = counted(runs["ferry"])
        if fr:
            ph = {k: median([r["bench"][k] - r["bench"]["t_first_create"] for r in fr if r["bench"].get(k) is not None])
                  for k in ("t_added", "t_resumed", "t_last_transferred", "t_last_complete")}
            self.w(f"ferry phases (median, s after the first CreateJob): jobs created and files added "
                   f"{fmt_s(ph['t_added'], 3)}, all resumed {fmt_s(ph['t_resumed'], 3)}, last TRANSFERRED "
                   f"{fmt_s(ph['t_last_transferred'], 3)}, last Complete {fmt_s(ph['t_last_complete'], 3)}; "
                   f"process wall {fmt_s(median([r['wall'] for r in fr]), 3)} s.")
            self.w()
        floor = self.b.results["2"].get("fsync_floor")
        if floor:
            self.w(f"Disk floor, same run (bench/README.md): {SMALL_COUNT} new {SMALL_SIZE // 1024} KiB files written one "
                   f"after another take {fmt_s(floor['write'], 3)} s, with an fdatasync each "
                   f"{fmt_s(floor['write_fdatasync'], 3)} s (ferry makes each finished file durable once; the "
                   f"anchors never sync).")
            self.w()

    def render3(self):
        tr = self.b.results["3"]["trials"]
        self.w("## 3. kill -9 at ~50 % of 100 MiB (nginx limit_rate 20 MiB/s), restart, finish")
        self.w()
        self.w("Extra bytes: the origin's `$bytes_sent` summed over every request for the trial's URL, minus the file "
               "size (headers included). \"Unranged\": GET requests that started after the kill without a Range header.")
        self.w()
        self.w("| tool | trials | SHA-256 right | extra MiB median (min–max) | requests median | unranged after restart "
               "(trials) | progress at kill median (ferry: when ≥ 50 % was seen) | restart→done s median | target | met? |")
        self.w("|---|---|---|---|---|---|---|---|---|---|")
        med = {}
        for t, xs in tr.items():
            ex = [x["extra_bytes"] / MiB for x in xs if "extra_bytes" in x]
            med[t] = median(ex)
        f = tr.get("ferry", [])
        sha_ok = sum(1 for x in f if x.get("sha_ok"))
        unr = sum(1 for x in f if x.get("unranged_after_restart", 1) > 0)
        t_extra = med["ferry"] <= med["curl"] + 1 if med.get("ferry") is not None and med.get("curl") is not None else None
        self.verdict("3 kill -9 at 50 %", "ferry extra bytes ≤ curl's + 1 MiB (medians)",
                     f"{fmt_s(med.get('ferry'))} MiB vs {fmt_s(med.get('curl'))} + 1 MiB", t_extra)
        self.verdict("3 kill -9 at 50 %", "no request without Range after the restart",
                     f"{unr} of {len(f)} trials had one", unr == 0 and len(f) > 0)
        self.verdict("3 kill -9 at 50 %", "ferry: every trial ends with the right SHA-256",
                     f"{sha_ok} of {len(f)}", sha_ok == len(f) and len(f) > 0)
        for t, xs in tr.items():
            ex = [x["extra_bytes"] / MiB for x in xs if "extra_bytes" in x]
            rq = [x["requests"] for x in xs if "requests" in x]
            un = sum(1 for x in xs if x.get("unranged_after_restart", 1) > 0)
            fk = [x["fraction_at_kill"] for x in xs if x.get("fraction_at_kill") is not None]
            ar = [x["after_restart_s"] for x in xs if x.get("after_restart_s") is not None]
            sha = sum(1 for x in xs if x.get("sha_ok"))
            if t == "ferry":
                tgt = "extra ≤ curl + 1 MiB; no unranged; all SHA right"
                ok = bool(t_extra) and unr == 0 and sha_ok == len(f)
            else:
                tgt, ok = "", None
            self.w(f"| {t} | {len(xs)} | {sha} of {len(xs)} | {fmt_s(median(ex))} ({fmt_range(ex)}) | "
                   f"{fmt_s(median(rq), 0)} | {un} of {len(xs)} | {fmt_s(median(fk) * 100 if fk else None, 0)} % | "
                   f"{fmt_s(median(ar))} | {tgt} | {met(ok)} |")
        self.w()
        if f:
            ru = [x.get("restart_s") for x in f if x.get("restart_s") is not None]
            self.w(f"ferryd restart (exec to answering `ferry status`) median {fmt_s(median(ru))} s. ferry's trials ran "
                   "4 jobs at a time in one ferryd (one kill per batch).")
            self.w()

    def render4(self):
        res = self.b.results["4"]
        self.w(f"## 4. Throttling: 100 MiB at 20 MiB/s (ideal {MID_SIZE / RATE:.1f} s)")
        self.w()
        self.w("ferry has no per-job limit in the SDK or CLI, so the single-job case uses the global background limit "
               "(`ferry limits --background 20971520`, i.e. SetBandwidthLimits) with one job. Total: resume (ferry) or process start (anchors) to the "
               "last byte; windows: bytes in each whole 1-s window after the first, relative to 20 MiB/s; shares: each "
               "job's bytes, while all 8 are running, relative to an equal split.")
        self.w()
        self.w("| case | tool | n | total s median (min–max) | total vs ideal median | worst 1-s window median (max) | "
               "worst share median (max) | CPU s median | peak RSS MiB | target | met? |")
        self.w("|---|---|---|---|---|---|---|---|---|---|---|")
        for case in ("single", "multi"):
            for t, runs in res[case].items():
                if not isinstance(runs, list):
                    continue
                c = counted(runs)
                tot = [r["total_s"] for r in c]
                dev = median([r["total_dev"] for r in c])
                ww = [r["worst_window_dev"] for r in c if r.get("worst_window_dev") is not None]
                sh = [r["worst_share_dev"] for r in c if r.get("worst_share_dev") is not None]
                cpu, _ = summarize(runs, "cpu")
                rss, _ = summarize(runs, "maxrss_kib")
                tgt, ok = "", None
                if t == "ferry":
                    ok_total = dev is not None and abs(dev) <= 0.03
                    if case == "single":
                        ok_win = bool(ww) and median(ww) <= 0.10
                        tgt = "total ±3 %, windows ±10 %"
                        ok = ok_total and ok_win
                        self.verdict("4 throttle, 1 job", "total within ±3 % of 5.0 s", f"{dev * 100:+.1f} %"
                                     if dev is not None else "–", ok_total)
                        self.verdict("4 throttle, 1 job", "every 1-s window within ±10 %",
                                     f"worst {median(ww) * 100:.1f} % (median of runs)" if ww else "–", ok_win)
                    else:
                        ok_sh = bool(sh) and median(sh) <= 0.15
                        tgt = "total ±3 %, shares ±15 %"
                        ok = ok_total and ok_sh
                        self.verdict("4 throttle, 8 jobs", "total within ±3 % of 5.0 s", f"{dev * 100:+.1f} %"
                                     if dev is not None else "–", ok_total)
                        self.verdict("4 throttle, 8 jobs", "each job's share within ±15 % of fair",
                                     f"worst {median(sh) * 100:.1f} % (median of runs)" if sh else "–", ok_sh)
                pct = lambda x: "–" if x is None else f"{x * 100:.1f} %"  # noqa: E731
                self.w(f"| {case} | {t} | {len(c)} | {fmt_s(median(tot))} ({fmt_range(tot)}) | "
                       f"{'–' if dev is None else f'{dev * 100:+.1f} %'} | {pct(median(ww))} ({pct(max(ww) if ww else None)}) | "
                       f"{pct(median(sh)) + ' (' + pct(max(sh)) + ')' if sh else '–'} | {fmt_s(cpu)} | "
                       f"{fmt_s(rss / 1024 if rss else None, 1)} | {tgt} | {met(ok)} |")
        self.w()
        notes = []
        for case in ("single", "multi"):
            f = counted(res[case].get("ferry", []))
            if f:
                notes.append(f"{case}: ferryd {fmt_s(median([r['ferryd_cpu'] for r in f]))} s CPU, peak RSS "
                             f"{fmt_s(median([r['ferryd_hwm_kib'] for r in f]) / 1024, 1)} MiB (RSS before the run "
                             f"{fmt_s(median([r['ferryd_rss_before_kib'] for r in f]) / 1024, 1)} MiB); ferry_bench "
                             f"{fmt_s(median([r['client_cpu'] for r in f]))} s, "
                             f"{fmt_s(median([r['client_maxrss_kib'] for r in f]) / 1024, 1)} MiB")
        if notes:
            self.w("ferry's CPU and RSS split (medians): " + "; ".join(notes) + ".")
            self.w()
        if res.get("side_by_side"):
            self.w("The tools of a round ran side by side (see bench/README.md); `--serial` runs them one after "
                   "another.")
            self.w()

    def render5(self):
        r = self.b.results["5"]
        idle = r.get("idle", {})
        cr = r.get("create", {})
        lists = [x for x in r.get("list", []) if x["rc"] == 0]
        list_med = median([x["wall"] for x in lists[1:]] or [x["wall"] for x in lists])
        rows = []

        def row(what, value, target, ok):
            rows.append(f"| {what} | {value} | {target} | {met(ok)} |")
            self.verdict("5 footprint", f"{what} {target}", value, ok)
        rss = idle.get("rss_kib")
        row("idle RSS", f"{rss / 1024:.1f} MiB" if rss else "–", "≤ 10 MiB", rss is not None and rss <= 10 * 1024)
        cpu = idle.get("cpu_s_schedstat")
        secs = idle.get("seconds") or 60
        row(f"idle CPU over {secs:.0f} s", f"{cpu * 1000:.1f} ms (stat: {idle.get('cpu_s_stat', 0) * 1000:.0f} ms)"
            if cpu is not None else "–", "≤ 10 ms", cpu is not None and cpu <= 0.010 * secs / 60)
        created = cr.get("created")
        rss2 = r.get("rss_kib_with_jobs")
        row(f"RSS with {created} suspended jobs", f"{rss2 / 1024:.1f} MiB (peak {r.get('hwm_kib_with_jobs', 0) / 1024:.1f})"
            if rss2 else "–", "≤ 64 MiB", rss2 is not None and rss2 <= 64 * 1024 and created == IDLE_JOBS)
        jps = cr.get("jobs_per_s")
        row("creating jobs through the SDK", f"{jps:.0f} jobs/s ({created} in {cr.get('seconds', 0):.1f} s, "
            f"{CREATE_THREADS} callers"
            f"{', stopped at the deadline' if cr.get('stopped_at_deadline') else ''})" if jps else f"– {cr.get('error')}",
            "≥ 1000 jobs/s", jps is not None and jps >= 1000)
        n = lists[-1]["jobs_listed"] if lists else created
        timed_out = any(x.get("timed_out") for x in r.get("list", []))
        row(f"`ferry list --json` of {n} jobs", f"{list_med:.2f} s" if list_med else
            (f"> {LIST_TIMEOUT} s (killed)" if timed_out else "– (failed)"), "≤ 1 s",
            list_med is not None and list_med <= 1.0 and n == created)
        self.w("## 5. Footprint (a separate, fresh ferryd)")
        self.w()
        self.w("| measure | value | target | met? |")
        self.w("|---|---|---|---|")
        for x in rows:
            self.w(x)
        self.w()
        self.w(f"Idle: {idle.get('threads')} threads, peak RSS {fmt_s((idle.get('hwm_kib') or 0) / 1024, 1)} MiB. "
               f"Creating the jobs cost ferryd {fmt_s(cr.get('ferryd_cpu'))} s CPU and the client "
               f"{fmt_s(cr.get('client_cpu'))} s. `ferry list --json` runs: "
               + ", ".join(f"{x['wall']:.2f} s (ferryd CPU {x['ferryd_cpu']:.2f} s, client {x['client_cpu']:.2f} s)"
                           for x in r.get("list", [])) + "; the first is a warm-up when there are more.")
        self.w()

    def render6(self):
        r = self.b.results["6"]
        self.w("## 6. SHA-256 on one core")
        self.w()
        if r.get("error"):
            self.w(r["error"])
            self.w()
            return
        fb = [x["bytes_per_s"] / GiB for x in r["ferry_sha256_bench"] if x["round"] > 0 and x["bytes_per_s"]]
        ob = [x["bytes_per_s"] / GiB for x in r["openssl_speed"] if x["round"] > 0 and x["bytes_per_s"]]
        fm, om = median(fb), median(ob)
        ok = fm is not None and fm >= 1.2
        self.verdict("6 hashing", "ferry::crypto::Sha256 ≥ 1.2 GiB/s", f"{fmt_s(fm, 3)} GiB/s", ok)
        self.w("| what | GiB/s median (min–max) | ferry/openssl | target | met? |")
        self.w("|---|---|---|---|---|")
        self.w(f"| ferry::crypto::Sha256, 1 MiB updates (bench/sha256_bench) | {fmt_s(fm, 3)} ({fmt_range(fb, 3)}) | "
               f"{fmt_s(fm / om if fm and om else None)} | ≥ 1.2 GiB/s | {met(ok)} |")
        self.w(f"| `openssl speed -evp sha256 -bytes 1048576` (anchor) | {fmt_s(om, 3)} ({fmt_range(ob, 3)}) | | | |")
        self.w()
        if r.get("full"):
            self.w("All cases of sha256_bench (one run): " + ", ".join(
                f"{x['name']} {x['bytes_per_s'] / GiB:.3f} GiB/s" for x in r["full"]) + ".")
            self.w()


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build/release"))
    ap.add_argument("--only", default=os.environ.get("SCENARIO", ""),
                    help="comma-separated scenario numbers (1-6); default all")
    ap.add_argument("--rounds", type=int, default=0, help="counted rounds (default 5, 3 with --quick)")
    ap.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK", "") not in ("", "0"),
                    help="shorter run (BENCH_QUICK=1): 3 rounds, fewer kill trials, 10 s idle")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, data)")
    ap.add_argument("--create-deadline", type=float, default=0,
                    help=f"scenario 5: stop creating jobs after this many seconds (default {CREATE_DEADLINE}, "
                    f"{CREATE_DEADLINE_QUICK} with --quick)")
    ap.add_argument("--serial", action="store_true",
                    help="scenarios 3 and 4: run the tools of a round one after another, not side by side")
    ap.add_argument("--output", default=None, help="results path without extension "
                    "(default bench/results/latest, or bench/results/partial with --only/--quick)")
    args = ap.parse_args()
    scenarios = sorted({int(x) for x in args.only.replace(" ", ",").split(",") if x.strip()} or set(range(1, 7)))
    full = set(scenarios) == set(range(1, 7)) and not args.quick and not args.rounds and not args.create_deadline
    out = args.output or os.path.join(REPO, "bench/results", "latest" if full else "partial")

    t_start = time.monotonic()
    load0 = open("/proc/loadavg").read().split()[:3]

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    b = Bench(args)
    try:
        b.setup(scenarios)
        if 5 in scenarios:
            b.s5_start_idle()
        if 6 in scenarios:
            b.scenario6()
        if 1 in scenarios:
            b.scenario1("http")
            b.scenario1("https")
        if 2 in scenarios:
            b.scenario2()
        if 3 in scenarios:
            b.scenario3()
        if 4 in scenarios:
            b.scenario4()
        if 5 in scenarios:
            b.scenario5()
    except KeyboardInterrupt:
        log("interrupted")
        cleanup()
        sys.exit(130)
    finally:
        cleanup()
        if args.keep:
            log(f"work directory kept: {b.env.work}")
        else:
            shutil.rmtree(b.env.work, ignore_errors=True)
    runtime = time.monotonic() - t_start
    load1 = open("/proc/loadavg").read().split()[:3]
    info = machine_info()
    rep = Report(b, info, runtime, (" ".join(load0), " ".join(load1)))
    md = rep.render()
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out + ".md", "w") as f:
        f.write(md)
    with open(out + ".json", "w") as f:
        json.dump({"machine": info, "runtime_s": runtime, "rounds": b.rounds, "quick": b.quick,
                   "scenarios": scenarios, "targets": rep.verdicts, "results": b.results}, f, indent=1)
    log(f"wrote {out}.md and {out}.json; {sum(1 for v in rep.verdicts if v['met'])} of {len(rep.verdicts)} "
        f"targets met; run time {runtime:.0f} s")


if __name__ == "__main__":
    main()
