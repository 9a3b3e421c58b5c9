#!/usr/bin/env python3
"""CPU time and peak memory of a process tree, from /proc, for the benches
(mugai's spawner and sandbox workers are children of `mugai serve`).

    proctree.py cpu PID   CPU seconds (user+sys) of PID and its descendants,
                          including reaped children (workers replaced after
                          max-jobs: the stat line's cutime/cstime)
    proctree.py rss PID   "FRONT_KB LARGEST_DESCENDANT_KB" (VmHWM); the
                          workers share libclamav's database copy-on-write,
                          so these do not add up
    proctree.py names PID CPU seconds of the tree by process name, and of
                          the children that exited (reaped, nameless)
"""
import os
import sys


def _stat_fields(pid):
    with open("/proc/%d/stat" % pid) as f:
        st = f.read()
    return st[st.rindex(")") + 2:].split()  # after "pid (comm) "


def children():
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                ppid = int(_stat_fields(int(p))[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(p))
    return kids


def descendants(pid):
    kids = children()
    out, pending = [], list(kids.get(pid, []))
    while pending:
        q = pending.pop()
        out.append(q)
        pending += kids.get(q, [])
    return out


def cpu_seconds(pid):
    tot = 0
    for q in [pid] + descendants(pid):
        try:
            f = _stat_fields(q)
            tot += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
        except (OSError, ValueError, IndexError):
            pass
    return tot / os.sysconf("SC_CLK_TCK")


def peak_rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return int(next(l.split()[1] for l in f if l.startswith("VmHWM")))
    except (OSError, StopIteration, ValueError):
        return 0


def cpu_by_name(pid):
    tck = os.sysconf("SC_CLK_TCK")
    names, reaped = {}, 0
    for q in [pid] + descendants(pid):
        try:
            f = _stat_fields(q)
            with open("/proc/%d/comm" % q) as c:
                comm = c.read().strip()
        except (OSError, ValueError, IndexError):
            continue
        names[comm] = names.get(comm, 0) + (int(f[11]) + int(f[12])) / tck
        reaped += (int(f[13]) + int(f[14])) / tck
    return names, reaped


if __name__ == "__main__":
    what, pid = sys.argv[1], int(sys.argv[2])
    if what == "cpu":
        print("%.2f" % cpu_seconds(pid))
    elif what == "rss":
        print(peak_rss_kb(pid), max([peak_rss_kb(d) for d in descendants(pid)] or [0]))
    elif what == "names":
        names, reaped = cpu_by_name(pid)
        print("  ".join("%s %.2f" % kv for kv in sorted(names.items(), key=lambda kv: -kv[1]))
              + "  exited %.2f" % reaped)
    else:
        sys.exit("usage: proctree.py cpu|rss|names PID")
