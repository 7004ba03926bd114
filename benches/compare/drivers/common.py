"""Shared by the Python drivers of the comparison harness (stdlib only).

Every driver takes the same arguments as the Rust one (``compare_driver.rs``)::

    --socket PATH --workdir DIR --workload NAME --iters N [--count N] [--watch-secs S]

talks only to the tmux server at ``--socket`` (started and killed by ``compare.py``), checks
each result, and prints one JSON line ``{"results": {metric: [ms, ...]}, "check": "..."}``.
A failed check raises ``CheckFailed``: the driver exits 1 and the harness stops.
"""

import argparse
import json
import os
import subprocess
import sys
import time

TIMEOUT = 10.0
#: Linux reports CPU times in USER_HZ = 100 ticks per second.
TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")


class CheckFailed(Exception):
    """A workload's result was wrong."""


def ensure(cond, what):
    """Raise CheckFailed(what) unless cond."""
    if not cond:
        raise CheckFailed(what() if callable(what) else what)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--socket", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--workload", required=True)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--watch-secs", type=float, default=10.0)
    return p.parse_args()


class Metrics:
    """Samples per metric, in milliseconds."""

    def __init__(self):
        self.results = {}

    def push(self, metric, value_ms):
        self.results.setdefault(metric, []).append(value_ms)


#: The command of ``exec_output_1mb`` (the same in every driver): 10 000 lines of 99 ``x``
#: and a newline, exactly 1 000 000 bytes.
OUTPUT_1MB_CMD = "printf '%099d\\n' $(seq 10000) | tr 0-9 x"
OUTPUT_1MB_BYTES = 1_000_000
OUTPUT_1MB_TEXT = ("x" * 99 + "\n") * 10_000


def delay(i):
    """Sleep before the stamped line: 50-100 ms, spread over a 50 ms poll period."""
    return 0.05 + ((i * 0.61803398875) % 1.0) * 0.05


def stamp_command(i):
    return f"sleep {delay(i):.3f}; echo TOKEN-{i} $EPOCHREALTIME"


def stamp_pattern(i):
    return rf"TOKEN-{i} (\d+\.\d+)"


def proc_ticks(pid):
    """(ppid, utime + stime + cutime + cstime) of pid, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[1]), sum(int(v) for v in fields[11:15])


def tree_cpu_ms(root):
    """CPU ms used by root and every live descendant (reaped children included)."""
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            t = proc_ticks(int(name))
            if t:
                stats[int(name)] = t
    total, todo = 0, [root]
    while todo:
        p = todo.pop()
        total += stats.get(p, (0, 0))[1]
        todo.extend(pid for pid, (ppid, _) in stats.items() if ppid == p)
    return total * TICK_MS


def self_cpu_ms(pid):
    """CPU ms of pid alone (the tmux server: its panes' shells are not counted)."""
    t = proc_ticks(pid)
    return t[1] * TICK_MS if t else 0.0


def retry_while_empty(read):
    """read() again (untimed, up to TIMEOUT) while a value in it is empty: a pane whose shell
    is still starting can report an empty current path."""
    deadline = time.monotonic() + TIMEOUT
    values = read()
    while any(not v for v in values) and time.monotonic() < deadline:
        time.sleep(0.005)
        values = read()
    return values


def tmux(args, *argv):
    """Run one tmux command on the driver's server (untimed helpers only); its stdout."""
    r = subprocess.run(["tmux", "-S", args.socket, *argv], capture_output=True, text=True,
                       check=True, stdin=subprocess.DEVNULL)
    return r.stdout.strip()


def now_ms():
    return time.perf_counter() * 1e3


def main(workloads):
    """Run the workload named on the command line from the dict ``workloads``."""
    args = parse_args()
    out = Metrics()
    try:
        fn = workloads[args.workload]
    except KeyError:
        sys.exit(f"unknown workload {args.workload}")
    try:
        check = fn(args, out)
    except CheckFailed as e:
        print(f"check failed: {e}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"results": out.results, "check": check}))
