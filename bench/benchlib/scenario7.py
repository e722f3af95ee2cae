"""Scenario 7: the swarm (issue 13; bench/README.md). Each run is one
`bench/swarm_bench` process (bench/swarm_bench.cc): it builds the netns bed,
runs one case with ferry or with the libtorrent anchor, prints one JSON line
and tears the bed down. This module runs the cases round by round and keeps
the results; render7() writes the report's section."""
import os
import subprocess
import time

from .common import REPO, MiB, log, median, parse_json_line, span

SWARM_HOSTS = 8
SWARM_SIZE, SWARM_SIZE_QUICK = 256 * MiB, 64 * MiB
SWARM_ORIGIN_RATE = 20 * MiB      # tbf on the origin's link
SWARM_HOST_RATE = 100 * MiB       # tbf on every host's link
SWARM_STAGGER = 2.0               # s between two hosts' starts (staggered)
LT_SCRIPT = os.path.join(REPO, "bench/swarm_lt.py")
PYTHON = "/usr/bin/python3"       # Debian's, with python3-libtorrent
# One round, ferry first in each pair (case, tool).
S7_ORDER = [("alone", "ferry"), ("together", "ferry"), ("together", "lt"), ("staggered", "ferry"),
            ("staggered", "lt"), ("groups", "ferry"), ("kill", "ferry")]
S7_WARMUP = [("alone", "ferry"), ("alone", "lt")]


class Scenario7:
    def s7_missing(self):
        """Why scenario 7 cannot run here, or None."""
        if os.geteuid() != 0:
            return "needs root (network namespaces)"
        if not os.access(self.s7_bench, os.X_OK):
            return f"{self.s7_bench} was not built (it needs the test support library and the torrent module)"
        if not os.access("/usr/sbin/nft", os.X_OK):
            return "nft is missing (Debian nftables; scripts/install-bench-deps)"
        r = subprocess.run([PYTHON, "-c", "import libtorrent"], capture_output=True, timeout=30)
        if r.returncode != 0:
            return "python3-libtorrent is missing (the anchor)"
        return None

    def s7_prepare(self):
        """The content (random bytes), its content id (`ferry hash`) and the
        anchor's .torrent (swarm_lt.py make: libtorrent's defaults)."""
        e = self.env
        d = os.path.join(e.work, "swarm")
        self.s7_www = os.path.join(d, "www")
        self.s7_tmp = os.path.join(d, "tmp")   # TMPDIR of swarm_bench: the hosts' state dirs and files
        os.makedirs(self.s7_www)
        os.makedirs(self.s7_tmp)
        os.chmod(d, 0o755)
        os.chmod(self.s7_www, 0o755)
        self.s7_file = os.path.join(self.s7_www, "content.bin")
        e.gen_file(self.s7_file, self.s7_size)
        os.chmod(self.s7_file, 0o644)
        r = subprocess.run([e.ferry, "hash", self.s7_file], capture_output=True, text=True, timeout=120)
        ids = [w for w in r.stdout.split() if w.startswith("cid1-")]
        if not ids:
            raise RuntimeError(f"ferry hash failed: {r.stdout} {r.stderr}")
        self.s7_cid = ids[0]
        self.s7_torrent = os.path.join(d, "content.torrent")
        r = subprocess.run([PYTHON, LT_SCRIPT, "make", self.s7_file, self.s7_torrent], capture_output=True,
                           text=True, timeout=300)
        self.s7_torrent_info = parse_json_line(r.stdout) or {}
        if r.returncode != 0:
            raise RuntimeError(f"swarm_lt.py make failed: {r.stderr[-500:]}")
        os.sync()

    def s7_timeout(self, hosts):
        """swarm_bench's own deadline: every host fetching the whole file from
        the origin, shared, with 50 % to spare, plus the stagger and a minute."""
        return hosts * self.s7_size / SWARM_ORIGIN_RATE * 1.5 + SWARM_STAGGER * (hosts - 1) + 60

    def s7_cmd(self, case, tool):
        hosts = 1 if case == "alone" else self.s7_hosts
        cmd = [self.s7_bench, "--case", case, "--tool", tool, "--hosts", str(hosts), "--file", self.s7_file,
               "--content-id", self.s7_cid, "--origin-rate", str(SWARM_ORIGIN_RATE),
               "--host-rate", str(SWARM_HOST_RATE), "--stagger", str(SWARM_STAGGER),
               "--timeout", f"{self.s7_timeout(hosts):.0f}"]
        if tool == "lt":
            cmd += ["--torrent", self.s7_torrent, "--lt-script", LT_SCRIPT]
        return cmd, self.s7_timeout(hosts)

    def s7_run(self, case, tool, rnd):
        """One swarm_bench run; SIGTERM (then SIGKILL) when it overruns its
        own deadline by 2 minutes or the driver is interrupted."""
        cmd, timeout = self.s7_cmd(case, tool)
        e = self.env
        with e.lock:
            e.seq += 1
            err_path = os.path.join(e.logs, f"{e.seq:04d}-swarm-{case}-{tool}.err")
        t0 = time.monotonic()
        with open(err_path, "wb") as err:
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                                 env=dict(os.environ, TMPDIR=self.s7_tmp))
            try:
                out, _ = p.communicate(timeout=timeout + 120)
            except subprocess.TimeoutExpired:
                out = s7_stop(p)
            except BaseException:
                s7_stop(p)
                raise
        j = parse_json_line(out.decode(errors="replace")) or {"ok": False, "error": f"no JSON, rc {p.returncode}"}
        j.update({"round": rnd, "rc": p.returncode, "process_s": time.monotonic() - t0})
        j["ok"] = bool(j.get("ok")) and p.returncode == 0
        s7_trim(j)
        self.s7_log(case, tool, rnd, j)
        return j

    @staticmethod
    def s7_log(case, tool, rnd, j):
        if not j["ok"]:
            log(f"  round {rnd} {case:9} {tool:5} FAILED: {str(j.get('error'))[:300]}")
            return
        extra = ""
        if case == "groups":
            extra = f", crossed {j['groups']['crossing_bytes']} B"
        if case == "kill":
            k = j["kill"]
            extra = f", re-fetched {k.get('refetched_pieces', -1):.1f} pieces (allowance {k.get('allowance_pieces')})"
        log(f"  round {rnd} {case:9} {tool:5} origin {j['origin_ratio']:.2f} × file, slowest host "
            f"{j['max_time_s']:.1f} s, median {j['median_time_s']:.1f} s{extra} ({j['process_s']:.0f} s)")

    def scenario7(self):
        a = self.args
        self.s7_hosts = getattr(a, "swarm_hosts", 0) or SWARM_HOSTS
        self.s7_size = (getattr(a, "swarm_size_mib", 0) or 0) * MiB or (SWARM_SIZE_QUICK if self.quick else SWARM_SIZE)
        self.s7_bench = os.path.join(os.path.abspath(self.args.build_dir), "bench/swarm_bench")
        res = {"config": {"hosts": self.s7_hosts, "size": self.s7_size, "origin_rate": SWARM_ORIGIN_RATE,
                          "host_rate": SWARM_HOST_RATE, "stagger_s": SWARM_STAGGER},
               "runs": {f"{c}/{t}": [] for c, t in S7_ORDER + S7_WARMUP}}
        self.results["7"] = res
        why = self.s7_missing()
        if why:
            log(f"scenario 7: not run: {why}")
            res["error"] = why
            return
        log(f"scenario 7: the swarm, {self.s7_hosts} hosts, {self.s7_size // MiB} MiB, origin link "
            f"{SWARM_ORIGIN_RATE // MiB} MiB/s, host links {SWARM_HOST_RATE // MiB} MiB/s, ferry and libtorrent "
            "(web seed) interleaved")
        self.s7_prepare()
        res["content_id"] = self.s7_cid
        res["torrent"] = self.s7_torrent_info
        for case, tool in S7_WARMUP:
            res["runs"][f"{case}/{tool}"].append(self.s7_run(case, tool, 0))
        for rnd in range(1, self.rounds + 1):
            for case, tool in S7_ORDER:
                res["runs"][f"{case}/{tool}"].append(self.s7_run(case, tool, rnd))
        os.remove(self.s7_file)


def s7_stop(p):
    """SIGTERM to swarm_bench (it tears its bed down and still prints its
    JSON line), SIGKILL after 60 s; returns what it printed."""
    p.terminate()
    try:
        out, _ = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    return out


def s7_trim(j):
    """Keeps latest.json readable: per host the bytes from the origin and from
    peers (not every counter), the kill's counters as payloads, the origin's
    egress at 1-s steps."""
    for h in j.get("host_detail", []):
        h.pop("in", None)
    k = j.get("kill")
    if k and isinstance(k.get("before"), dict):
        k["before"] = {label: c.get("payload") for label, c in k["before"].items()}
    tx = j.get("origin_tx")
    if tx:
        j["origin_tx"] = [[round(t, 1), b] for t, b in tx[::2]]


# ------------------------------------------------------------------ report

def _ok_runs(runs):
    return [r for r in runs if r.get("round", 1) > 0 and r.get("ok")]


def _med_range(xs, digits=2, unit=""):
    xs = [x for x in xs if x is not None]
    m = median(xs)
    if m is None:
        return "–"
    lo, hi = span(xs)
    return f"{m:.{digits}f}{unit} ({lo:.{digits}f}–{hi:.{digits}f})"


def _n(runs):
    counted = [r for r in runs if r.get("round", 1) > 0]
    ok = [r for r in counted if r.get("ok")]
    fails = len(counted) - len(ok)
    return f"{len(ok)}" + (f" ({fails} failed)" if fails else "")


def s7_alone(R):
    return median([r["max_time_s"] for r in _ok_runs(R["runs"].get("alone/ferry", []))])


def render7(rep):
    """The scenario's section of the report: the targets, the runs of every
    case, and the same-run measurements that bound the missed targets."""
    R = rep.b.results["7"]
    c = R["config"]
    rep.w(f"## 7. The swarm: {c['hosts']} hosts, {c['size'] // MiB} MiB, origin link {c['origin_rate'] // MiB} MiB/s, "
          f"host links {c['host_rate'] // MiB} MiB/s")
    rep.w()
    if R.get("error"):
        rep.w(f"Not run: {R['error']}.")
        rep.w()
        return
    t = R.get("torrent", {})
    rep.w(f"ferry: one job per host with the file's content id (`{R.get('content_id', '')[:20]}…`), FOREGROUND, "
          f"ferryd's default peering settings (LAN mode; the groups case Group mode with an opentracker). Anchor: "
          f"libtorrent {t.get('libtorrent', '?')} (python3-libtorrent) with its defaults, the origin's URL as web "
          f"seed, a {t.get('piece_length', 0) // 1024} KiB-piece hybrid torrent; hosts find each other by local "
          "service discovery. bench/README.md has the details.")
    rep.w()
    _render7_targets(rep, R)
    _render7_cases(rep, R)
    _render7_bounds(rep, R)


def _verdict_row(rep, what, ferry, anchor, goal, ok):
    rep.w(f"| {what} | {ferry} | {anchor} | {goal} | {'–' if ok is None else ('**met**' if ok else '**missed**')} |")
    rep.verdict("7 swarm", f"{what} {goal}", ferry, ok)


def _render7_targets(rep, R):
    runs = R["runs"]
    alone = s7_alone(R)
    rep.w("| target (medians over the counted runs, min–max) | ferry | libtorrent, origin as web seed | goal "
          "| met? |")
    rep.w("|---|---|---|---|---|")
    for case, label, goal in (("together", "origin egress ÷ file size, hosts start together", 1.2),
                              ("staggered", f"origin egress ÷ file size, hosts start {SWARM_STAGGER:.0f} s apart",
                               1.05)):
        f = [r["origin_ratio"] for r in _ok_runs(runs[f"{case}/ferry"])]
        a = [r["origin_ratio"] for r in _ok_runs(runs[f"{case}/lt"])]
        m = median(f)
        _verdict_row(rep, label, _med_range(f, unit=" ×"), _med_range(a, unit=" ×"), f"≤ {goal} ×",
                     None if m is None else m <= goal)
    ratios = {t: [r["max_time_s"] / alone for r in _ok_runs(runs[f"together/{t}"])] if alone else []
              for t in ("ferry", "lt")}
    m = median(ratios["ferry"])
    _verdict_row(rep, "each host's time ÷ one host alone over HTTP (slowest host, together)",
                 _med_range(ratios["ferry"], unit=" ×"), _med_range(ratios["lt"], unit=" ×"), "≤ 1.1 ×",
                 None if m is None else m <= 1.1)
    g = _ok_runs(runs["groups/ferry"])
    m = median([r["origin_ratio"] for r in g])
    h = R["config"]["hosts"]
    _verdict_row(rep, f"origin egress ÷ file size, 2 groups of {h // 2} and {h - h // 2} hosts (Group mode)",
                 _med_range([r["origin_ratio"] for r in g], unit=" ×"), "–", "≈ 2 × (≤ 2.2 ×)",
                 None if m is None else m <= 2.2)
    crossed = [r["groups"]["crossing_bytes"] for r in g]
    _verdict_row(rep, "bytes between the groups (TCP + unicast UDP, headers included)",
                 f"max {max(crossed)} B over {len(crossed)} runs" if crossed else "–", "–", "0",
                 None if not crossed else max(crossed) == 0)
    _render7_kill_targets(rep, R)
    rep.w()


def _render7_kill_targets(rep, R):
    runs = R["runs"]
    k_all = [r for r in runs["kill/ferry"] if r.get("round", 1) > 0]
    k = _ok_runs(runs["kill/ferry"])
    killed = [r for r in k_all if r.get("kill", {}).get("killed")]
    _verdict_row(rep, "host killed with -9 mid-swarm and restarted: every host finishes",
                 f"{len(k)} of {len(k_all)} runs ({len(killed)} killed)", "–", "all",
                 None if not k_all else len(k) == len(k_all) and len(killed) == len(k_all))
    ref = [r["kill"]["refetched_pieces"] for r in k if "refetched_pieces" in r["kill"]]
    rel = [r["kill"]["refetched_pieces"] / r["kill"]["allowance_pieces"] for r in k if "refetched_pieces" in r["kill"]]
    allow = [r["kill"]["allowance_pieces"] for r in k if "allowance_pieces" in r["kill"]]
    m = median(rel)
    _verdict_row(rep, "re-fetched by the restarted host, pieces (allowance: 1 per connection sending to it)",
                 f"{_med_range(ref, 1)}; allowance {_med_range(allow, 0)}", "–", "≤ 1 piece per connection",
                 None if m is None else m <= 1.0)
    tog = median([r["max_time_s"] for r in _ok_runs(runs["together/ferry"])])
    others = [r["kill"]["others_max_time_s"] / tog for r in k if tog and r["kill"].get("others_max_time_s", -1) > 0]
    m = median(others)
    _verdict_row(rep, "others unaffected: slowest other host ÷ slowest host of 'together'",
                 _med_range(others, unit=" ×"), "–", "≤ 1.1 ×", None if m is None else m <= 1.1)


def _from_origin_share(r):
    """Per host: the fraction of the file it received from the origin."""
    size = r["file_size"]
    return [h["from_origin"] / size for h in r.get("host_detail", []) if size]


def _render7_cases(rep, R):
    rep.w("Every case (counted runs; times in s from each host's own start; \"from origin\" = the median host's "
          "share of the file received from the origin's address, nftables in each host namespace):")
    rep.w()
    rep.w("| case | tool | n | origin ÷ file | slowest host s | median host s | first origin byte s | "
          "from origin, median host | hosts with ≥ 90 % from origin | cores busy |")
    rep.w("|---|---|---|---|---|---|---|---|---|---|")
    for key, runs in R["runs"].items():
        ok = _ok_runs(runs)
        if not [r for r in runs if r.get("round", 1) > 0]:
            continue
        case, tool = key.split("/")
        shares = [median(_from_origin_share(r)) for r in ok]
        mostly = [sum(1 for s in _from_origin_share(r) if s >= 0.9) for r in ok]
        rep.w(f"| {case} | {'libtorrent' if tool == 'lt' else tool} | {_n(runs)} | "
              f"{_med_range([r['origin_ratio'] for r in ok])} | {_med_range([r['max_time_s'] for r in ok], 1)} | "
              f"{_med_range([r['median_time_s'] for r in ok], 1)} | "
              f"{_med_range([r.get('origin_first_s') for r in ok], 1)} | "
              f"{_med_range([s * 100 for s in shares if s is not None], 0, ' %')} | "
              f"{_med_range(mostly, 0)} of {ok[0]['hosts'] if ok else '–'} | "
              f"{_med_range([r.get('cores_busy') for r in ok])} |")
    rep.w()
    fails = [(k, r) for k, runs in R["runs"].items() for r in runs if not r.get("ok")]
    for k, r in fails[:6]:
        rep.w(f"- failed: {k}, round {r.get('round')}: {str(r.get('error'))[:300]}")
    if fails:
        rep.w()


def _render7_bounds(rep, R):
    """Same-run measurements next to the targets they bound."""
    c = R["config"]
    runs = R["runs"]
    floor = c["size"] / c["origin_rate"]
    alone = s7_alone(R)
    rep.w(f"What bounds the targets, same run: the origin's link sends the file once in {floor:.1f} s "
          f"({c['size'] // MiB} MiB at {c['origin_rate'] // MiB} MiB/s): no host of any case can finish sooner; a "
          f"host alone over HTTP took {alone:.1f} s (median)." if alone else
          f"The origin's link sends the file once in {floor:.1f} s: no host can finish sooner.")
    tog = _ok_runs(runs["together/ferry"])
    if tog:
        first = median([r.get("origin_first_s") for r in tog])
        http = median([median([h["report"].get("bytes_from_http", 0) / r["file_size"] for h in r["host_detail"]])
                       for r in tog])
        peers = median([median([h["report"].get("bytes_from_lan_peers", 0) / r["file_size"] for h in r["host_detail"]])
                        for r in tog])
        slow = median([r["max_time_s"] for r in tog])
        rep.w(f"Hosts starting together (ferry): the origin sent its first bytes {first:.1f} s after the start "
              f"(the peers-first delay), so the earliest any host could finish is {first + floor:.1f} s; the slowest "
              f"host finished at {slow:.1f} s. The median host's FileStats: {http * 100:.0f} % of the file from "
              f"HTTP, {peers * 100:.0f} % from LAN peers (the origin's egress ÷ file size counts the copies it sent).")
    cpu = []
    for key in ("together/ferry", "together/lt"):
        ok = _ok_runs(runs.get(key, []))
        if ok:
            cpu.append(f"{'libtorrent' if key.endswith('lt') else 'ferry'}: cores busy "
                       f"{median([r.get('cores_busy') for r in ok]):.2f} of {rep.info.get('cores')}, each host's "
                       f"process {median([r.get('clients_cpu_s', 0) / r['hosts'] for r in ok]):.1f} s of CPU "
                       f"(ferryd / the libtorrent host)")
    if cpu:
        rep.w("CPU while the hosts started together (the whole machine, /proc/stat, from the first start to the "
              "last host done; anything else running on the machine counts too: see the load average in the "
              "header): " + "; ".join(cpu) + ". Every host's bytes cross the same cores (veth, tbf, hashing; the "
              "kernel's part is not in the hosts' process CPU): near the core count, with the machine otherwise "
              "quiet, the machine rather than the protocol bounds the hosts' times.")
    k = _ok_runs(runs["kill/ferry"])
    if k:
        before = median([r["kill"].get("payload_before_kill", 0) / r["file_size"] for r in k])
        at = median([r["kill"].get("at_s") for r in k])
        up = median([r["kill"].get("restart_s") for r in k])
        rng = [r["kill"]["lost_pieces_range"] for r in k if r["kill"].get("lost_pieces_range")]
        width = median([hi - lo for lo, hi in rng])
        lost = median([r["kill"]["lost_pieces"] for r in k if "lost_pieces" in r["kill"]])
        excess = median([r["kill"].get("victim_excess_bytes", 0) / r["piece_length"] for r in k])
        others = median([r["kill"].get("others_excess_median_bytes", 0) / r["piece_length"] for r in k])
        rep.w(f"Kill: the last host was killed {at:.1f} s after the start (median) with {before * 100:.0f} % of the "
              f"file received; ferryd was back in {up:.2f} s. Re-fetched = the payload it received beyond the file "
              f"over the whole run ({excess:.1f} pieces, median) less the median other host's in the same run "
              f"({others:.1f}: blocks every host receives twice, protocol messages), i.e. what the kill added. An "
              "upper bound, read at the restart: the payload it had received (nftables counters) less its job's "
              "progress (every verified byte), least over the reads of the 4 s after the kill (the restarted "
              "ferryd takes back from staging the blocks it had written since its last checkpoint while new ones "
              f"arrive): {lost:.1f} pieces (median; the counters bracket each read, {width:.1f} pieces wide), "
              "which also holds the blocks it had received twice before the kill.")
    rep.w()
