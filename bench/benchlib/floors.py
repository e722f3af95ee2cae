"""Floors measured in the same run: what the machine itself costs for a part of
a target that ferry cannot avoid (bench/README.md, "What still bounds the
missed targets"). The disk (1 GiB with and without a final fdatasync; 1000
small files with and without an fdatasync each), the resident pages of
ferryd's shared libraries (bench/lib_floor), and nginx's CPU on the other end
of the loopback connection."""
import os
import subprocess
import time

from .common import MiB, clear_dir, log, median, parse_json_line, proc_cpu

# ---------------------------------------------------------------- disk


def write_floor_big(out_dir, size, pairs=3):
    """`size` bytes written in 1 MiB blocks of non-zero data to one new file in
    out_dir (the directory the tools write into), without and with a final
    fdatasync, alternating, `pairs` times each; os.sync() before each write,
    the file removed after each. Returns the medians in seconds ("write",
    "write_fdatasync", "fdatasync_extra" = the difference of the two) and the
    single times.

    First an untimed write of the same size ("warmup_write"), as the tools
    have a warm-up round: on a VM whose balloon reports free pages to the host
    (virtio-balloon free page reporting), memory that has been free for a few
    seconds is given back, and the first write after that faults every page
    cache page in again (3-4 s instead of 0.3 s per GiB on the bench machine).
    Each tool's run starts right after the previous output was removed."""
    block = memoryview(os.urandom(MiB))
    path = os.path.join(out_dir, "floor-big.bin")
    times = {"warmup_write": [], "write": [], "write_fdatasync": []}
    for mode in ["warmup_write"] + ["write", "write_fdatasync"] * pairs:
        clear_dir(out_dir)
        os.sync()
        t0 = time.monotonic()
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
        try:
            left = size
            while left:
                left -= os.write(fd, block[:min(left, MiB)])
            if mode == "write_fdatasync":
                os.fdatasync(fd)
        finally:
            os.close(fd)
        times[mode].append(time.monotonic() - t0)
        os.remove(path)
    clear_dir(out_dir)
    out = {"bytes": size, "pairs": pairs, "warmup_write": times["warmup_write"][0],
           "write": median(times["write"]), "write_fdatasync": median(times["write_fdatasync"]),
           "write_runs": times["write"], "write_fdatasync_runs": times["write_fdatasync"]}
    out["fdatasync_extra"] = out["write_fdatasync"] - out["write"]
    log(f"  disk floor: {size / MiB:.0f} MiB written in {out['write']:.2f} s, with a final fdatasync "
        f"{out['write_fdatasync']:.2f} s ({out['fdatasync_extra']:+.2f} s), medians of {pairs}; "
        f"untimed warm-up write {out['warmup_write']:.2f} s")
    return out


def write_floor_small(out_dir, count, size):
    """`count` new files of `size` bytes written one after another, without and
    with an fdatasync each (ferry syncs each finished file once), in out_dir's
    file system. Returns seconds: {"write", "write_fdatasync"}."""
    data = os.urandom(size)
    out = {}
    for mode in ("write", "write_fdatasync"):
        clear_dir(out_dir)
        os.sync()
        t0 = time.monotonic()
        for i in range(count):
            fd = os.open(os.path.join(out_dir, f"floor{i:04d}"), os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
            try:
                os.write(fd, data)
                if mode == "write_fdatasync":
                    os.fdatasync(fd)
            finally:
                os.close(fd)
        out[mode] = time.monotonic() - t0
    clear_dir(out_dir)
    log(f"  fsync floor: {count} x {size // 1024} KiB written in {out['write']:.3f} s, "
        f"with an fdatasync each {out['write_fdatasync']:.3f} s")
    return out

# ---------------------------------------------------------------- shared libraries


def ldd_libraries(binary):
    """The shared libraries the dynamic loader resolves for `binary`, in `ldd`'s
    order (vdso and the loader itself left out). Returns (paths, unresolved)."""
    r = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=30)
    paths, unresolved = [], []
    for line in r.stdout.splitlines():
        parts = line.split()
        if "=>" not in parts:   # linux-vdso.so.1 (0x...), /lib64/ld-linux-x86-64.so.2 (0x...)
            continue
        name, i = parts[0], parts.index("=>")
        if "vdso" in name or name.startswith("ld-linux"):
            continue
        if i + 1 < len(parts) and parts[i + 1].startswith("/"):
            paths.append(parts[i + 1])
        else:
            unresolved.append(name)
    return paths, unresolved


def library_floor(lib_floor, libs, runs=3):
    """Runs bench/lib_floor with `libs` `runs` times; returns the medians of its
    VmRSS, RssAnon, RssFile and RssShmem (KiB) and the runs."""
    res = []
    err = None
    for _ in range(runs):
        r = subprocess.run([lib_floor] + libs, capture_output=True, text=True, timeout=60)
        j = parse_json_line(r.stdout)
        if j is None or r.returncode != 0:
            err = f"lib_floor rc {r.returncode}: {r.stderr.strip()[-300:]}"
        if j is not None:
            res.append(j)
    out = {"libraries": len(libs), "runs": res, "error": err}
    for k in ("vm_rss_kib", "rss_anon_kib", "rss_file_kib", "rss_shmem_kib"):
        out[k] = median([x.get(k) for x in res])
    return out


def library_floors(lib_floor, binary):
    """The floor of a process that only loads `binary`'s shared libraries, and
    that of one that loads only libc (lib_floor alone), for scale."""
    if not os.access(lib_floor, os.X_OK):
        return {"error": f"{lib_floor} was not built"}
    libs, unresolved = ldd_libraries(binary)
    out = {"libs": library_floor(lib_floor, libs), "libc_only": library_floor(lib_floor, []),
           "paths": libs, "unresolved": unresolved}
    f, c = out["libs"], out["libc_only"]
    log(f"  library floor: {len(libs)} shared libraries of {os.path.basename(binary)}: "
        f"{(f['vm_rss_kib'] or 0) / 1024:.1f} MiB (anon {(f['rss_anon_kib'] or 0) / 1024:.1f}, file "
        f"{(f['rss_file_kib'] or 0) / 1024:.1f}); libc only {(c['vm_rss_kib'] or 0) / 1024:.1f} MiB")
    return out

# ---------------------------------------------------------------- nginx's CPU


def child_pids(pid):
    """The children of `pid`: /proc/PID/task/*/children, or a scan of /proc for
    the parent pid where that file does not exist."""
    kids = set()
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids.update(int(x) for x in f.read().split())
        return sorted(kids)
    except OSError:
        pass
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            kids.add(int(d))
    return sorted(kids)


def cpu_of(pids):
    """{pid: utime+stime seconds} of the processes that still exist."""
    out = {}
    for p in pids:
        try:
            out[p] = proc_cpu(p)
        except (OSError, ValueError, IndexError):
            pass
    return out


def cpu_delta(before, after):
    """CPU seconds spent between two cpu_of() samples; None when a process came
    or went in between (a worker restarted: the delta would be wrong)."""
    if not before or set(before) != set(after):
        return None
    return round(sum(after[p] - before[p] for p in before), 2)   # /proc/PID/stat counts 10-ms ticks
