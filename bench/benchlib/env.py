"""The environment: the private bus and ferryd, nginx, the data, the TLS certificate."""
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

from .common import BIG_SIZE, MID_SIZE, MULTI_JOBS, RATE, SMALL_COUNT, SMALL_SIZE, MiB, free_port, log, proc_cpu, \
    proc_status
from .floors import child_pids, cpu_of
from .procs import SERVICES, Child, Service


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
        self.lib_floor = os.path.join(bd, "bench/lib_floor")   # optional: scenario 5's library floor
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

    def nginx_workers_cpu(self):
        """{pid: utime+stime s} of nginx's worker processes (the children of the
        master started here; one with `worker_processes 1`)."""
        return cpu_of(child_pids(self.nginx.pid))

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
