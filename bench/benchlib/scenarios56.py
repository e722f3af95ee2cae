"""Scenarios 5 (footprint of a fresh ferryd) and 6 (SHA-256)."""
import json
import os
import re
import subprocess
import threading
import time

from .common import CREATE_DEADLINE, CREATE_DEADLINE_QUICK, CREATE_THREADS, GiB, IDLE_JOBS, LIST_TIMEOUT, \
    log, parse_json_line, proc_cpu, proc_cpu_ns, proc_status, reset_hwm
from .env import Ferryd
from .floors import library_floors


class Scenarios56:
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
            res = {"seconds": t1 - t0, "cpu_s_stat": c1 - c0, "cpu_s_schedstat": (n1 - n0) / 1e9,
                   "rss_kib": proc_status(pid, "VmRSS"), "hwm_kib": proc_status(pid, "VmHWM"),
                   "rss_anon_kib": proc_status(pid, "RssAnon"), "rss_file_kib": proc_status(pid, "RssFile"),
                   "rss_shmem_kib": proc_status(pid, "RssShmem"), "threads": proc_status(pid, "Threads")}
            self.idle_result = res
        self.idle_thread = threading.Thread(target=measure, daemon=True)
        self.idle_thread.start()

    def scenario5(self):
        log(f"scenario 5: footprint (idle {self.idle_secs} s, then {IDLE_JOBS} suspended jobs)")
        self.idle_thread.join(self.idle_secs + 30)
        res = {"idle": self.idle_result}
        e = self.env
        # The floor under the idle RSS, while the idle ferryd still runs (and
        # nothing else does): a process that only loads ferryd's shared
        # libraries (bench/lib_floor), and one that loads only libc.
        try:
            res["library_floor"] = library_floors(e.lib_floor, e.ferryd)
        except (OSError, subprocess.SubprocessError) as ex:
            res["library_floor"] = {"error": repr(ex)}
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
