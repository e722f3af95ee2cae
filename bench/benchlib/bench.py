"""The bench: setup, running and measuring one tool; the scenarios are mixins
(scenarios12.py, scenarios34.py, scenarios56.py, scenario7.py)."""
import threading

from .common import log, reset_hwm, threads_cpu_s
from .env import Env, Ferryd
from .scenarios12 import Scenarios12
from .scenarios34 import Scenarios34
from .scenarios56 import Scenarios56
from .scenario7 import Scenario7


# --------------------------------------------------------------------------
# Measuring a ferry run: ferryd's CPU and peak RSS around the client.

class FerryMeasure:
    def __init__(self, fd):
        self.fd = fd

    def __enter__(self):
        self.rss0 = self.fd.rss_kib()
        reset_hwm(self.fd.pid)
        self.cpu0 = self.fd.cpu()
        self.threads0 = threads_cpu_s(self.fd.pid)
        return self

    def finish(self, r):
        r["ferryd_cpu"] = self.fd.cpu() - self.cpu0
        t1 = threads_cpu_s(self.fd.pid)
        # Per thread name (loop "ferryd", "ferry-hash", "ferry-worker", sd-bus's, ...).
        r["ferryd_threads_cpu"] = {k: round(v - self.threads0.get(k, 0.0), 3) for k, v in t1.items()}
        r["ferryd_hwm_kib"] = self.fd.hwm_kib()
        r["ferryd_rss_before_kib"] = self.rss0
        r["client_cpu"] = r["cpu"]
        r["client_maxrss_kib"] = r["maxrss_kib"]
        r["cpu"] = r["ferryd_cpu"] + r["client_cpu"]
        r["maxrss_kib"] = r["ferryd_hwm_kib"] + r["client_maxrss_kib"]
        return r

    def __exit__(self, *a):
        return False


class Bench(Scenarios12, Scenarios34, Scenarios56, Scenario7):
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
