#!/usr/bin/env python3
"""Orchestrator of the comparison harness: ctmux vs libtmux vs tmux CLI + polling.

Started by ``run.sh`` (which builds and installs the peers); stdlib only. For every workload
and every round it runs each peer's driver once, in an order that rotates from round to
round, each run on a fresh tmux server of its own (``tmux -S <tmpdir>/sock -f <conf>``, shell
pinned to ``bash --noprofile --norc``), killed and removed afterwards. It never talks to the
default tmux server and never kills anything by name.

A driver prints ``{"results": {metric: [ms, ...]}, "check": "..."}``; a driver that exits
non-zero (a failed check: wrong exit code, no match, wrong pane count...) stops the run.
At the end it writes the medians, p90s and ratios to ctmux (Rust API, control-mode backend)
to a Markdown file (``benches/RESULTS.md`` for a full run).

    compare.py --driver-rust PATH --python-ctmux PATH --python-libtmux PATH
               [--quick] [--out FILE] [--only WORKLOAD,...]
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVERS = os.path.join(HERE, "drivers")

# The server every driver gets: the same settings as ctmux's IsolatedServer, plus
# exit-empty off so the server started here outlives its (so far) empty session list.
# history-limit is 50 000 there, and tmux's own default (2000, what users have) for the
# workloads in DEFAULT_HISTORY.
CONF = """\
set -g exit-empty off
set -g default-shell /bin/sh
set -g default-command "exec env -u PROMPT_COMMAND -u BASH_ENV -u ENV -u HISTFILE PS1='$ ' \
HISTFILE=/dev/null /bin/bash --noprofile --norc -i"
set -g history-limit {history_limit}
set -g status off
set -g escape-time 0
"""

# Workloads run on a server with tmux's default history-limit.
DEFAULT_HISTORY = {"exec_output_1mb"}

REF = "ctmux-rust"
QUICK = False  # set from --quick
# (key, label) in table order; REF first.
PEERS = [
    ("ctmux-rust", "ctmux Rust (control)"),
    ("ctmux-rust-process", "ctmux Rust (process)"),
    ("ctmux-py", "ctmux Python (control)"),
    ("libtmux", "libtmux 0.62.0"),
    ("shell", "tmux CLI + polling (bash)"),
]

# workload: (iterations per run full/quick, rounds full/quick, extra driver args full/quick)
WORKLOADS = {
    "exec_true": ((30, 5), (5, 2), ([], [])),
    "exec_sleep": ((15, 4), (5, 2), ([], [])),
    "exec_output_1mb": ((5, 2), (2, 1), ([], [])),
    "pattern_latency": ((12, 4), (5, 2), ([], [])),
    "send_keys": ((100, 20), (5, 2), ([], [])),
    "capture": ((50, 10), (5, 2), ([], [])),
    "build_32_tiled": ((2, 1), (4, 1), ([], [])),
    "sessions": ((1, 1), (4, 1), (["--count", "100"], ["--count", "20"])),
    "save_restore_10": ((5, 2), (4, 1), ([], [])),
    "metrics_10": ((20, 5), (5, 2), ([], [])),
    "cpu_watch_20": ((1, 1), (3, 1), (["--watch-secs", "10"], ["--watch-secs", "2"])),
}

# Metric rows of the table: (metric, what one sample is). `sessions_N` is filled in later.
METRICS = [
    ("exec_true", "run `true`, detect completion and read its exit status"),
    ("exec_sleep_20ms", "run `sleep 0.02`, detect completion and exit status (20 ms of it "
                        "is the command)"),
    ("exec_output_1mb", "run a command writing 1 MB (10 000 lines of 99 `x`), detect completion, "
                        "exit status and get its output (peers: one capture of the scrollback "
                        "after the marker)"),
    ("exec_output_1mb_bytes", "bytes of that output the driver got back, of 1 000 000 (cell: "
                              "median / min, no ratio): ctmux reads the pane's byte stream; "
                              "the peers get what the scrollback still holds, at most "
                              "`history-limit` lines (tmux's default 2000 for this workload: "
                              "~200 kB)"),
    ("pattern_latency", "pane prints a stamped line; watcher sees it (seen - stamp)"),
    ("send_keys", "send one literal key"),
    ("capture_50", "capture 50 lines (screen + 10 of history)"),
    ("capture_2000", "capture 2000 lines (screen + 1960 of history)"),
    ("build_32_tiled", "one session of 32 panes, tiled"),
    ("sessions_N", "N sessions created, then killed"),
    ("save_10", "save a 10-pane session (dirs + layout)"),
    ("restore_10", "restore it (10 panes, same dirs, layout)"),
    ("metrics_10", "CPU/memory/process count of 10 panes"),
    ("cpu_watch_20", "CPU ms of the watcher (process tree) over the watch"),
    ("cpu_watch_20_server", "CPU ms of its tmux server over the same watch"),
]


def peer_command(peer, args, workload, iters, extra, sock, workdir):
    common = ["--socket", sock, "--workdir", workdir, "--workload", workload,
              "--iters", str(iters)] + extra
    if peer == "ctmux-rust":
        return [args.driver_rust, "--backend", "control"] + common
    if peer == "ctmux-rust-process":
        return [args.driver_rust, "--backend", "process"] + common
    if peer == "ctmux-py":
        return [args.python_ctmux, os.path.join(DRIVERS, "ctmux_py.py")] + common
    if peer == "libtmux":
        return [args.python_libtmux, os.path.join(DRIVERS, "libtmux_driver.py")] + common
    if peer == "shell":
        return ["bash", os.path.join(DRIVERS, "shell.sh")] + common
    raise ValueError(peer)


def driver_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TMUX", "CTMUX_"))}
    env["CTMUX_BACKEND"] = "control"  # the Python module's backend (the Rust one is explicit)
    env["LC_ALL"] = "C.UTF-8"  # $EPOCHREALTIME with a '.' in the panes
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


class TmuxServer:
    """A private server: own dir, socket and config; killed (by its pid) and removed."""

    def __init__(self, env, history_limit=50000):
        self.dir = tempfile.mkdtemp(prefix="ctmux-compare-")
        self.sock = os.path.join(self.dir, "sock")
        conf = os.path.join(self.dir, "tmux.conf")
        with open(conf, "w") as f:
            f.write(CONF.format(history_limit=history_limit))
        self.workdir = os.path.join(self.dir, "work")
        os.mkdir(self.workdir)
        self.tmux = ["tmux", "-S", self.sock]
        subprocess.run(self.tmux + ["-f", conf, "start-server"], env=env, check=True,
                       stdin=subprocess.DEVNULL)
        out = subprocess.run(self.tmux + ["display-message", "-p", "#{pid}"], env=env,
                             check=True, capture_output=True, text=True,
                             stdin=subprocess.DEVNULL)
        self.pid = int(out.stdout.strip())

    def close(self):
        subprocess.run(self.tmux + ["kill-server"], capture_output=True,
                       stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 2
        while self._ours() and time.monotonic() < deadline:
            time.sleep(0.01)
        if self._ours():  # a stuck control client can keep it alive: kill this pid only
            os.kill(self.pid, signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _ours(self):
        try:
            with open(f"/proc/{self.pid}/cmdline", "rb") as f:
                return self.sock.encode() in f.read()
        except OSError:
            return False


def run_one(peer, args, workload, iters, extra, env):
    srv = TmuxServer(env, 2000 if workload in DEFAULT_HISTORY else 50000)
    try:
        cmd = peer_command(peer, args, workload, iters, extra, srv.sock, srv.workdir)
        try:
            r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            sys.exit(f"FAILED: {peer} {workload}: no answer in 600 s")
        if r.returncode != 0:
            sys.exit(f"FAILED: {peer} {workload} (exit {r.returncode}):\n{r.stderr}{r.stdout}")
        return json.loads(r.stdout.strip().splitlines()[-1])
    finally:
        srv.close()


def p90(xs):
    xs = sorted(xs)
    return xs[max(0, -(-9 * len(xs) // 10) - 1)]  # nearest rank


def fmt(ms):
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    if ms >= 1:
        return f"{ms:.2f}"
    return f"{ms:.3f}"


def ratio(x, ref):
    if ref <= 0:
        return "n/a" if x <= 0 else "∞"
    return f"{x / ref:.1f}x" if x / ref >= 10 else f"{x / ref:.2f}x"


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError):
        pass
    return {
        "uname": " ".join(platform.uname()),
        "cpu": f"{os.cpu_count()} x {cpu}",
        "memory": mem,
        "tmux": subprocess.run(["tmux", "-V"], capture_output=True, text=True).stdout.strip(),
        "python": platform.python_version(),
        "rustc": subprocess.run(["rustc", "--version"], capture_output=True,
                                text=True).stdout.strip(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--driver-rust", required=True)
    ap.add_argument("--python-ctmux", required=True)
    ap.add_argument("--python-libtmux", required=True)
    ap.add_argument("--quick", action="store_true", help="few iterations (~2 min)")
    ap.add_argument("--out", help="Markdown file to write")
    ap.add_argument("--only", help="comma-separated workloads (default: all)")
    ap.add_argument("--peers", help="comma-separated peers (default: all)")
    args = ap.parse_args()
    q = 1 if args.quick else 0
    global QUICK
    QUICK = args.quick
    env = driver_env()
    workloads = args.only.split(",") if args.only else list(WORKLOADS)
    peers = args.peers.split(",") if args.peers else [p for p, _ in PEERS]
    for given, known, what in ((workloads, list(WORKLOADS), "workload"),
                               (peers, [p for p, _ in PEERS], "peer")):
        unknown = [g for g in given if g not in known]
        if unknown:
            sys.exit(f"unknown {what} {', '.join(unknown)}: expected some of {', '.join(known)}")
    info = machine()
    started = datetime.datetime.now(datetime.timezone.utc)
    samples = {}  # (metric, peer) -> [ms]
    checks = {}  # (workload, peer) -> check text
    t0 = time.monotonic()
    for w in workloads:
        (iters, rounds, extra) = (WORKLOADS[w][0][q], WORKLOADS[w][1][q], WORKLOADS[w][2][q])
        for r in range(rounds):
            order = peers[r % len(peers):] + peers[:r % len(peers)]
            for peer in order:
                out = run_one(peer, args, w, iters, extra, env)
                checks[(w, peer)] = out["check"]
                for metric, xs in out["results"].items():
                    samples.setdefault((metric, peer), []).extend(xs)
        print(f"[{time.monotonic() - t0:6.1f} s] {w}: done", file=sys.stderr, flush=True)
    elapsed = time.monotonic() - t0
    text = report(samples, checks, peers, info, started, elapsed, args.quick)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
        print(f"wrote {args.out}", file=sys.stderr)
    with open(os.path.join(HERE, "last-run.json"), "w") as f:
        json.dump({"machine": info, "samples": {f"{m}|{p}": xs for (m, p), xs in
                                                 samples.items()}}, f, indent=1)
    print(text)


def report(samples, checks, peers, info, started, elapsed, quick):
    labels = dict(PEERS)
    metric_names = sorted({m for m, _ in samples})
    rows = []
    for metric, what in METRICS:
        if metric == "sessions_N":
            found = [m for m in metric_names if m.startswith("sessions_")]
            if not found:
                continue
            metric = found[0]
            what = what.replace("N", metric.split("_")[1])
        if not any((metric, p) in samples for p in peers):
            continue
        rows.append((metric, what))
    ref = {m: statistics.median(samples[(m, REF)]) for m, _ in rows if (m, REF) in samples}
    lines = [
        "# ctmux compared with its peers",
        "",
        f"Written by `benches/compare/run.sh{' --quick' if quick else ''}` on "
        f"{started:%Y-%m-%d %H:%M} UTC ({elapsed / 60:.1f} min).",
        "",
        f"- machine: {info['cpu']}, {info['memory']} RAM; load average at start "
        f"{info['load']}",
        f"- system: `{info['uname']}`",
        f"- {info['tmux']}; {info['rustc']}; Python {info['python']}",
        "- peers (each run on its own fresh tmux server, peer order rotating every round):",
    ]
    peer_notes = {
        "ctmux-rust": "ctmux-core's public API in a release binary "
                      "(`benches/src/bin/compare_driver.rs`), **control-mode backend** "
                      "(one persistent `tmux -C` connection); the reference of every ratio",
        "ctmux-rust-process": "the same binary over the process backend "
                              "(one `tmux` process per command, the default)",
        "ctmux-py": "ctmux's Python module (release build, `CTMUX_BACKEND=control`), "
                    "`benches/compare/drivers/ctmux_py.py`",
        "libtmux": "libtmux 0.62.0 from PyPI in its own venv, "
                   "`drivers/libtmux_driver.py`: marker + capture loop for exec, capture loop "
                   "for patterns (10 ms poll), JSON of dirs + layout for save/restore, `ps` per "
                   "pane for metrics",
        "shell": "bash spawning one `tmux` per step (`drivers/shell.sh`), the seed's "
                 "approach: `capture-pane` every 100 ms for exec (plus a `$?` marker, so it "
                 "reports exit status where the seed could not) and patterns, "
                 "tmux-resurrect-style save/restore, `ps` per pane for metrics",
    }
    for p in peers:
        lines.append(f"  - **{labels[p]}**: {peer_notes[p]}")
    lines += [
        "",
        "Each cell: **median** / p90 in milliseconds (CPU rows: CPU milliseconds), then the "
        "ratio of the median to ctmux Rust (control): above 1x the peer is slower or uses more.",
        "",
        "| workload | " + " | ".join(labels[p] for p in peers) + " |",
        "|---|" + "---|" * len(peers),
    ]
    for metric, what in rows:
        cells = []
        for p in peers:
            xs = samples.get((metric, p))
            if not xs:
                cells.append("-")
                continue
            med = statistics.median(xs)
            if metric.endswith("_bytes"):  # a count, not a time: median / min, no ratio
                cells.append(f"**{med:.0f}** / {min(xs):.0f}")
                continue
            cell = f"**{fmt(med)}** / {fmt(p90(xs))}"
            if p != REF and metric in ref:
                cell += f" ({ratio(med, ref[metric])})"
            cells.append(cell)
        lines.append(f"| `{metric}`: {what} | " + " | ".join(cells) + " |")
    counts = sorted({len(samples[k]) for k in samples})
    lines += ["", f"Samples per cell: {counts[0]}-{counts[-1]}.", ""]
    lines += ["## Checks every run passed", ""]
    for (w, p), c in sorted(checks.items()):
        if p == REF:
            lines.append(f"- `{w}`: {c}")
    lines.append("- every other peer ran the same check on its own result")
    lines += ["", "## Goals (DESIGN.md) and where ctmux is not ahead", ""]
    lines += goals(samples, ref, peers)
    return "\n".join(lines) + "\n"


def med(samples, metric, peer):
    xs = samples.get((metric, peer))
    return statistics.median(xs) if xs else None


def goals(samples, ref, peers):
    out = []

    def goal(text, ok):
        out.append(f"- {'met' if ok else '**not met**'}: {text}")

    for m, limit in (("exec_true", 1.0), ("pattern_latency", 1.0), ("send_keys", 0.2),
                     ("capture_50", 0.2)):
        if m in ref:
            goal(f"`{m}` ≤ {limit} ms: {fmt(ref[m])} ms", ref[m] <= limit)
    for m in ("send_keys", "capture_50", "capture_2000"):
        lib = med(samples, m, "libtmux")
        if lib is not None and m in ref:
            py = med(samples, m, "ctmux-py")
            extra = f"; ctmux Python is {lib / py:.1f}x libtmux" if py else ""
            goal(f"≥ 10x libtmux on `{m}`: {lib / ref[m]:.1f}x{extra}", lib / ref[m] >= 10)
    cw = ref.get("cpu_watch_20")
    if cw is not None:
        secs = float(WORKLOADS["cpu_watch_20"][2][1 if QUICK else 0][1])
        pct = cw / (secs * 10)
        server = med(samples, "cpu_watch_20_server", REF) or 0
        goal(f"~0 CPU while watching 20 idle panes: {fmt(cw)} CPU ms over {secs:.0f} s = "
             f"{pct:.1f}% of one core (its tmux server: {server / (secs * 10):.1f}%)",
             pct < 0.5)
    sh = med(samples, "pattern_latency", "shell")
    if sh is not None and "pattern_latency" in ref:
        goal(f"≥ 50x the polling shell on `pattern_latency`: "
             f"{sh / ref['pattern_latency']:.1f}x", sh / ref["pattern_latency"] >= 50)
    behind = []
    for (m, p), xs in sorted(samples.items()):
        if p in ("ctmux-rust", "ctmux-rust-process", "ctmux-py") or m not in ref \
                or m.endswith("_bytes"):
            continue
        if statistics.median(xs) <= ref[m]:
            behind.append(f"`{m}` vs {dict(PEERS)[p]} ({ratio(statistics.median(xs), ref[m])})")
    out.append("")
    if behind:
        out.append("ctmux Rust (control) is **not ahead** on: " + ", ".join(behind) + ".")
    else:
        out.append("ctmux Rust (control) is ahead of every peer on every workload.")
    out += ["", "## Why, and what would fix it", ""]
    flagged = {m for m, _ in (b.strip("`").split("` vs ") for b in behind)} if behind else set()
    flagged |= {m for m, limit in (("exec_true", 1.0), ("pattern_latency", 1.0))
                if m in ref and ref[m] > limit}
    lib = med(samples, "capture_2000", "libtmux")
    if lib is not None and "capture_2000" in ref and lib / ref["capture_2000"] < 10:
        flagged.add("capture_2000")
    cw = ref.get("cpu_watch_20")
    secs = float(WORKLOADS["cpu_watch_20"][2][1 if QUICK else 0][1])
    if cw is not None and cw / (secs * 10) >= 0.5:
        flagged.add("cpu_watch_20")
    py = med(samples, "metrics_10", "ctmux-py")
    if py is not None and "metrics_10" in ref and py > 10 * ref["metrics_10"]:
        flagged.add("metrics_10")
    for m in sorted(flagged):
        out.append(f"- `{m}`: {NOTES.get(m, 'no explanation recorded yet: investigate.')}")
    out += ["", "Method notes: " + METHOD]
    return out


# Why ctmux is behind a peer or a goal on a workload, and the fix; printed for flagged rows.
NOTES = {
    "exec_true": (
        "over control mode `pane.run` costs 2 round trips on the open connection (~0.35 ms) "
        "plus the shell's own work until its start marker (~0.85 ms: readline handling the "
        "line-clearing keys and the typed line, sourcing the wrapper, the /dev/tty markers "
        "and the status file), the price of never typing onto pending text and of markers a "
        "command cannot swallow. Next: skip the clearing keys when the line is known empty."),
    "exec_output_1mb": (
        "ctmux's `run` returns the command's whole output from the pane's byte stream "
        "(docs/exec.md), parsed and cleaned; the peers wait for their marker and read back "
        "the scrollback in one `capture-pane -S -`, which costs tmux little for 10 000 lines "
        "but holds at most `history-limit` lines: compare `exec_output_1mb_bytes` before the "
        "times."),
    "pattern_latency": (
        "`Pane::watch` / `wait_for` re-read the pane every 50 ms whatever the backend "
        "(ctmux-core/src/watch.rs), so latency is spread over 0-50 ms plus one capture. The "
        "libtmux driver polls every 10 ms (each poll a tmux process): lower latency, paid for "
        "in CPU (`cpu_watch_20`). Fix: the push-driven watch over control mode (`%output`, "
        "0.34 ms in DESIGN.md's baseline), being built on another branch; the harness calls "
        "the public API, so its numbers move when that lands."),
    "capture_2000": (
        "control mode removes the ~2 ms process spawn, not tmux's own work: formatting and "
        "sending 2000 lines costs the server ~0.2 ms whoever asks, so the ratio to "
        "spawn-bound peers is ~2 ms / 0.25 ms and swings between ~8x and ~18x with load. "
        "Capturing only what changed (tracking `%output`) would avoid re-reading history."),
    "build_32_tiled": (
        "the time is mostly tmux forking 32 shells and re-laying out the window. "
        "`pane_create_with_layout` adds 3 round trips per pane (`list-panes` to check the "
        "label is free, `split-window`, `set-option` label + `select-layout`) where the "
        "shell chains `split-window \\; select-layout` in one tmux process, and the attached "
        "control client makes the server send it `%layout-change`/`%output` for every new "
        "pane. Fix: a batch `panes_create(n, layout)` that splits and lays out in one chained "
        "command (and skips the label check when no label is given)."),
    "save_10": (
        "ctmux's save does more than the resurrect-style peer: 3 round trips (~0.3 ms over "
        "control mode), then per pane the foreground job from `/proc`, labels, metadata, "
        "environment and exec history; it serializes, re-parses and validates the file and "
        "writes it atomically with fsync (temp + fsync + rename). The shell peer redirects one "
        "`list-panes` into a file (no fsync, no check, no commands or metadata). Both are far "
        "under the 20 ms goal; an opt-out of the self-check or of fsync would close the gap "
        "at the cost of the guarantees."),
    "restore_10": (
        "restore is dominated by tmux forking 10 shells and their ptys; ctmux also validates "
        "the file first and sets labels and metadata."),
    "metrics_10": (
        "every reading after the first is warm: the client's sampler keeps two samples per "
        "tree and its processes' `/proc` files open, so a reading is one lean `list-panes` "
        "plus a `pread` of 3 files per process (~17 µs per pane after an idle gap). What is "
        "left is the tmux round trip and the machine's wake-up after sleeping between "
        "samples."),
    "cpu_watch_20": (
        "a pushed watch sleeps until its pane prints (no polling; a re-read every 10 s as a "
        "safety net); what remains is start-up, the 10 s re-read and, for Python, each "
        "waiting thread's 50 ms cancel check."),
    "sessions_100": (
        "dominated by tmux forking 100 shells; ctmux adds no extra round trip per session."),
}

METHOD = (
    "latencies are wall-clock times around one call, measured inside each driver (Rust "
    "`Instant`, Python `perf_counter`, bash `$EPOCHREALTIME`); pattern latency is the time the "
    "watcher saw the line minus the `$EPOCHREALTIME` the pane's shell stamped into it (same "
    "clock); CPU is utime + stime (+ reaped children) from `/proc`, in 10 ms ticks, of the "
    "driver and every live descendant (the control client `tmux -C` included), and "
    "separately of the tmux server. Untimed between samples: clearing the line or the "
    "history every 50 samples (before every sample of `exec_output_1mb`), waiting for the "
    "prompt, killing sessions. Numbers move with "
    "machine load (2 shared cores here): compare rows of the same run, not across runs."
)


if __name__ == "__main__":
    main()
