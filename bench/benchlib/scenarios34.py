"""Scenarios 3 (kill -9 at 50 %, restart) and 4 (throttling)."""
import os
import time

from .common import MID_SIZE, MULTI_JOBS, RATE, MiB, Sampler, clear_dir, file_size, interp, log, parse_json_line, \
    sha256_file


class Scenarios34:
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
