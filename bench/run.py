#!/usr/bin/env python3
"""make bench: ferry against curl, wget2 and aria2c on loopback, and a swarm of
network namespaces against libtorrent (bench/README.md).

    bench/run.py [--build-dir build/release] [--only 1,3] [--rounds N] [--quick] [--keep]
                 [--swarm-hosts N] [--swarm-size-mib M]

Starts a private dbus-daemon, ferryd --user on it (bench config), and nginx
(one worker, sendfile on) on free loopback ports; generates the data under a
mktemp directory on disk; runs the scenarios with ferry and the anchor tools
interleaved round by round (round 0 is a warm-up and not counted); writes
bench/results/latest.md and latest.json (a run with --only or --quick writes
bench/results/partial.* instead). Python 3 standard library only.
"""
import argparse
import json
import os
import shutil
import signal
import sys
import time

from benchlib.bench import Bench
from benchlib.common import CREATE_DEADLINE, CREATE_DEADLINE_QUICK, REPO, log
from benchlib.procs import cleanup
from benchlib.report import Report, machine_info


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build/release"))
    ap.add_argument("--only", default=os.environ.get("SCENARIO", ""),
                    help="comma-separated scenario numbers (1-7); default all")
    ap.add_argument("--rounds", type=int, default=0, help="counted rounds (default 5, 3 with --quick)")
    ap.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK", "") not in ("", "0"),
                    help="shorter run (BENCH_QUICK=1): 3 rounds, fewer kill trials, 10 s idle")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, data)")
    ap.add_argument("--create-deadline", type=float, default=0,
                    help=f"scenario 5: stop creating jobs after this many seconds (default {CREATE_DEADLINE}, "
                    f"{CREATE_DEADLINE_QUICK} with --quick)")
    ap.add_argument("--serial", action="store_true",
                    help="scenarios 3 and 4: run the tools of a round one after another, not side by side")
    ap.add_argument("--swarm-hosts", type=int, default=0, help="scenario 7: hosts (default 8)")
    ap.add_argument("--swarm-size-mib", type=int, default=0,
                    help="scenario 7: the file's size in MiB (default 256, 64 with --quick)")
    ap.add_argument("--output", default=None, help="results path without extension "
                    "(default bench/results/latest, or bench/results/partial with --only/--quick)")
    args = ap.parse_args()
    scenarios = sorted({int(x) for x in args.only.replace(" ", ",").split(",") if x.strip()} or set(range(1, 8)))
    full = set(scenarios) == set(range(1, 8)) and not args.quick and not args.rounds and not args.create_deadline \
        and not args.swarm_hosts and not args.swarm_size_mib
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
        if 7 in scenarios:
            b.scenario7()   # last: nothing else runs beside the swarm
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
