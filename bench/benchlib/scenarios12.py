"""Scenarios 1 (one 1 GiB file, HTTP and HTTPS) and 2 (1000 small files)."""
import os

from .common import BIG_SIZE, SMALL_COUNT, SMALL_JOBS, SMALL_SIZE, clear_dir, file_size, log, median, \
    parse_json_line, sha256_file
from .floors import cpu_delta, write_floor_big, write_floor_small


class Scenarios12:
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
                n0 = self.env.nginx_workers_cpu()
                r = self.run_tool(tool, cmd, timeout=120)
                # The other end: nginx's worker (sendfile or TLS) on the other core.
                r["nginx_cpu"] = cpu_delta(n0, self.env.nginx_workers_cpu())
                r["cores_busy"] = ((r["cpu"] + r["nginx_cpu"]) / r["wall"]
                                   if r["cpu"] is not None and r["nginx_cpu"] is not None and r["wall"] else None)
                size = file_size(out)
                ok = size == BIG_SIZE
                if ok and rnd == 0 and tool == "ferry":  # content check of the delivered file, once
                    ok = sha256_file(out) == self.env.sha["big.bin"]
                self.check(r, ok, f"{tool} {scheme} round {rnd} (size {size})")
                r["round"] = rnd
                r.pop("stdout")
                runs[tool].append(r)
                log(f"  round {rnd} {tool:7s} {r['wall']:6.2f} s  cpu {r['cpu']:5.2f} s  nginx cpu "
                    f"{r['nginx_cpu'] if r['nginx_cpu'] is not None else float('nan'):5.2f} s")
            clear_dir(self.env.out)
        self.results[key] = {"runs": runs, "bytes": BIG_SIZE, "cpu_saturation": self.s1_saturation(runs),
                             "disk_floor": write_floor_big(self.env.out, BIG_SIZE),
                             "receive_floor": self.s1_receive_floor(scheme)}

    def s1_receive_floor(self, scheme, pairs=3):
        """The network end alone, same run: curl (libcurl, which ferry's
        transfers use) and wget2 writing the 1 GiB to /dev/null, alternating,
        `pairs` times each: wall and CPU medians. Nothing touches the disk."""
        e = self.env
        url = f"{e.http if scheme == 'http' else e.https}/big.bin"
        tls = scheme == "https"
        cmds = {"curl": ["curl", "-sS", "-f", "-o", "/dev/null", url] + (["--cacert", e.cert] if tls else []),
                "wget2": ["wget2", "-q", "-O", "/dev/null", url] + ([f"--ca-certificate={e.cert}"] if tls else [])}
        got = {t: [] for t in cmds}
        for _ in range(pairs):
            for tool, cmd in cmds.items():
                r = self.run_tool(tool, cmd, timeout=120)
                if r["rc"] == 0:
                    got[tool].append(r)
        out = {t: {"n": len(rs), "wall": median([r["wall"] for r in rs]), "cpu": median([r["cpu"] for r in rs])}
               for t, rs in got.items()}
        log("  receive floor (to /dev/null): " + ", ".join(
            f"{t} {v['wall'] or float('nan'):.2f} s (cpu {v['cpu'] or float('nan'):.2f} s)" for t, v in out.items()))
        return out

    @staticmethod
    def s1_saturation(runs):
        """Per tool, medians over the counted rounds: wall, the tool's CPU
        (ferry: ferryd + client), nginx's worker CPU, and cores busy = (tool +
        nginx CPU) / wall (the machine has os.cpu_count() cores)."""
        out = {}
        for tool, rs in runs.items():
            c = [r for r in rs if r.get("round", 1) > 0 and r.get("ok")]
            out[tool] = {"n": len(c), "wall_median": median([r["wall"] for r in c]),
                         "tool_cpu_median": median([r["cpu"] for r in c]),
                         "nginx_cpu_median": median([r.get("nginx_cpu") for r in c]),
                         "cores_busy_median": median([r.get("cores_busy") for r in c])}
        return out

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
        self.results["2"] = {"runs": runs, "fsync_floor": write_floor_small(e.out, SMALL_COUNT, SMALL_SIZE)}
