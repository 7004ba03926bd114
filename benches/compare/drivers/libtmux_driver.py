"""libtmux (pinned by run.sh) as a peer of the comparison harness (see common.py).

libtmux has no exec-with-exit-status, pattern wait, snapshot or metrics API, so this driver
writes what a libtmux user writes: a printed marker carrying ``$?`` and a capture loop for
exec; a capture loop for patterns; a JSON file of pane directories and the layout for save
and restore (tmux-resurrect style); ``ps`` per pane for metrics. Loops poll every
POLL seconds (10 ms: fast, close to the best latency libtmux can give).
Same workloads and checks as ``compare_driver.rs``.
"""

import json
import os
import re
import subprocess
import time

import common
import libtmux
from common import TIMEOUT, ensure, now_ms

POLL = 0.01


def server(args):
    return libtmux.Server(socket_path=args.socket)


def wait_for(panes, regex, timeout):
    """Poll every pane's screen until ``regex`` matches a line: (match, pane) or None."""
    deadline = time.monotonic() + timeout
    while True:
        for p in panes:
            for line in reversed(p.capture_pane()):
                m = regex.search(line)
                if m:
                    return m, p
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL)


PROMPT = re.compile(r"^\$$")


def wait_prompt(pane):
    ensure(wait_for([pane], PROMPT, TIMEOUT), "no prompt")


def one_pane(srv):
    s = srv.new_session("bench", x=120, y=40)
    p = s.active_window.active_pane
    wait_prompt(p)
    return s, p


def many_panes(srv, name, n, dirs=None):
    s = srv.new_session(name, x=200, y=60, start_directory=dirs[0] if dirs else None)
    w = s.active_window
    for i in range(1, n):
        w.split(start_directory=dirs[i] if dirs else None)
        w.select_layout("tiled")
    panes = w.panes
    for p in panes:
        wait_prompt(p)
    return s, w, panes


def run(pane, cmd, i):
    """Type ``cmd`` plus a marker carrying $?, poll until the marker shows: the exit code."""
    pane.send_keys(f"{cmd}; printf 'DONE_%s:%s\\n' {i} $?")
    hit = wait_for([pane], re.compile(rf"^DONE_{i}:(\d+)$"), TIMEOUT)
    ensure(hit, f"no marker for {cmd!r}")
    return int(hit[0].group(1))


def exec_true(args, out, cmd="true", metric="exec_true"):
    _, p = one_pane(server(args))
    for i in range(args.iters):
        if i % 50 == 0:
            p.cmd("clear-history")
        t = now_ms()
        code = run(p, cmd, i)
        out.push(metric, now_ms() - t)
        ensure(code == 0, f"exit code {code}")
    code = run(p, "(exit 7)", args.iters)
    ensure(code == 7, f"(exit 7) gave {code}")
    return f"{args.iters} x exit 0 seen; (exit 7) reported 7"


def exec_sleep(args, out):
    """A command that outlasts a poller's first look."""
    return exec_true(args, out, "sleep 0.02", "exec_sleep_20ms")


def exec_output_1mb(args, out):
    """A command writing 1 MB, run as ``run`` runs any command (marker + 10 ms capture loop on
    the screen), then what a libtmux user does to get the output: one capture of the whole
    scrollback (``capture_pane(start="-")``), the lines between the typed command and the
    marker. It gets what the pane's history still holds (``history-limit``), not more: the
    received bytes are reported, not checked."""
    _, p = one_pane(server(args))
    for i in range(args.iters):
        p.cmd("clear-history")  # untimed, as in every driver
        t = now_ms()
        code = run(p, common.OUTPUT_1MB_CMD, i)
        lines = p.capture_pane(start="-")
        done = max(k for k, line in enumerate(lines) if line == f"DONE_{i}:{code}")
        typed = [k for k in range(done) if lines[k].startswith("$ ")
                 and lines[k].endswith(f"{i} $?")]
        body = lines[typed[-1] + 1 if typed else 0 : done]
        got = sum(len(line.encode()) + 1 for line in body)
        out.push("exec_output_1mb", now_ms() - t)
        ensure(code == 0, f"exit code {code}")
        out.push("exec_output_1mb_bytes", got)
    return f"{args.iters} x exit 0 seen; output bytes as the scrollback held them"


def pattern_latency(args, out):
    _, p = one_pane(server(args))
    for i in range(args.iters):
        p.send_keys(common.stamp_command(i))
        hit = wait_for([p], re.compile(common.stamp_pattern(i)), TIMEOUT)
        seen = time.time()
        ensure(hit, f"TOKEN-{i} never seen")
        latency = (seen - float(hit[0].group(1))) * 1e3
        ensure(0 <= latency < 5000, f"latency {latency}")
        out.push("pattern_latency", latency)
        wait_prompt(p)
    return f"{args.iters} stamped lines matched"


def send_keys(args, out):
    _, p = one_pane(server(args))
    typed = 0
    for i in range(args.iters):
        if i % 50 == 0:
            p.send_keys("C-u", enter=False)
            typed = 0
        t = now_ms()
        p.send_keys("x", enter=False, literal=True)
        out.push("send_keys", now_ms() - t)
        typed += 1
    want = "$ " + "x" * typed
    ensure(wait_for([p], re.compile("^" + re.escape(want) + "$"), TIMEOUT),
           f"prompt line never became {want!r}")
    return f"all {typed} keys since the last C-u on the line"


def capture(args, out):
    _, p = one_pane(server(args))
    p.send_keys("clear; seq 1 3000")
    ensure(wait_for([p], re.compile(r"^3000$"), TIMEOUT), "seq")
    wait_prompt(p)
    for _ in range(args.iters):
        for n in (50, 2000):
            t = now_ms()
            lines = p.capture_pane(start=-(n - 40))
            out.push(f"capture_{n}", now_ms() - t)
            ensure(len(lines) == n and lines[0] == str(3002 - n),
                   lambda: f"capture {n}: {len(lines)} lines, first {lines[0]!r}")
    return "every capture had exactly 50 / 2000 lines, the right first line"


def build_32_tiled(args, out):
    srv = server(args)
    for i in range(args.iters):
        t = now_ms()
        s = srv.new_session(f"tiled-{i}", x=200, y=60)
        w = s.active_window
        for _ in range(1, 32):
            w.split()
            w.select_layout("tiled")
        out.push("build_32_tiled", now_ms() - t)
        ensure(len(w.panes) == 32, f"{len(w.panes)} panes")
        s.kill()
    return "32 panes counted in every session"


def sessions(args, out):
    srv = server(args)
    for i in range(args.iters):
        t = now_ms()
        made = [srv.new_session(f"s{i}-{k}", x=80, y=24) for k in range(args.count)]
        created = now_ms() - t
        live = [s for s in srv.sessions if s.session_name.startswith(f"s{i}-")]
        ensure(len(live) == args.count, f"{len(live)} sessions after create")
        t = now_ms()
        for s in made:
            s.kill()
        out.push(f"sessions_{args.count}", created + now_ms() - t)
        ensure(not srv.sessions, "sessions left after kill")
    return f"{args.count} sessions listed after create, 0 after kill"


def save(srv, name, path):
    """Panes' directories and the window layout, as JSON (one window)."""
    s = srv.sessions.get(session_name=name)
    w = s.active_window
    state = {"layout": w.window_layout,
             "dirs": [p.pane_current_path for p in w.panes]}
    with open(path, "w") as f:
        json.dump(state, f)
    return len(state["dirs"])


def restore(srv, name, path):
    with open(path) as f:
        state = json.load(f)
    dirs = state["dirs"]
    s = srv.new_session(name, x=200, y=60, start_directory=dirs[0])
    w = s.active_window
    last = w.active_pane
    for d in dirs[1:]:
        last = last.split(start_directory=d)  # after the last one: pane order kept
        w.select_layout("tiled")
    w.select_layout(state["layout"])
    return s


def save_restore_10(args, out):
    srv = server(args)
    dirs = [os.path.realpath(os.path.join(args.workdir, f"d{i}")) for i in range(10)]
    for d in dirs:
        os.makedirs(d, exist_ok=True)
    _, w, _ = many_panes(srv, "snap", 10, dirs)
    saved = [p.pane_current_path for p in w.panes]  # pane-index order
    ensure(sorted(saved) == dirs, f"cwds before save {saved}")
    for i in range(args.iters):
        f = os.path.join(args.workdir, f"snap-{i}.json")
        t = now_ms()
        n = save(srv, "snap", f)
        out.push("save_10", now_ms() - t)
        ensure(n == 10, f"saved {n} panes")
        srv.kill_session("snap")
        t = now_ms()
        s = restore(srv, "snap", f)
        out.push("restore_10", now_ms() - t)
        got = common.retry_while_empty(
            lambda: [p.pane_current_path for p in s.active_window.panes])
        ensure(got == saved, f"restored cwds {got}, saved {saved}")
    return "restored session has 10 panes in the 10 saved directories"


def ps_tree(pid):
    """One ``ps`` for a pane: its shell and the shell's children."""
    r = subprocess.run(["ps", "-o", "pid=,pcpu=,rss=,nlwp=", "-p", str(pid), "--ppid", str(pid)],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    rows = [line.split() for line in r.stdout.splitlines() if line.strip()]
    return {"process_count": len(rows),
            "cpu_percent": sum(float(row[1]) for row in rows),
            "memory_kb": sum(int(row[2]) for row in rows)}


def metrics_10(args, out):
    _, w, _ = many_panes(server(args), "m", 10)
    for _ in range(args.iters):
        time.sleep(0.06)
        t = now_ms()
        rows = [ps_tree(p.pane_pid) for p in w.panes]
        out.push("metrics_10", now_ms() - t)
        ensure(len(rows) == 10, f"{len(rows)} rows")
        ensure(all(r["process_count"] >= 1 for r in rows), "a pane with 0 processes")
    return "10 rows, every process_count >= 1"


def cpu_watch_20(args, out):
    _, _, panes = many_panes(server(args), "w", 20)
    server_pid = int(common.tmux(args, "display-message", "-p", "#{pid}"))
    me = os.getpid()
    for _ in range(args.iters):
        mine, srv_cpu = common.tree_cpu_ms(me), common.self_cpu_ms(server_pid)
        start = time.monotonic()
        hit = wait_for(panes, re.compile(r"NEVER-\d{12}"), args.watch_secs)
        wall = time.monotonic() - start
        mine = common.tree_cpu_ms(me) - mine
        srv_cpu = common.self_cpu_ms(server_pid) - srv_cpu
        ensure(hit is None, "false match")
        ensure(wall >= args.watch_secs, f"watch ended after {wall} s")
        out.push("cpu_watch_20", mine)
        out.push("cpu_watch_20_server", srv_cpu)
    return f"20 panes polled for {args.watch_secs} s (no false match)"


if __name__ == "__main__":
    common.main({f.__name__: f for f in (exec_true, exec_sleep, exec_output_1mb, pattern_latency,
                                         send_keys, capture, build_32_tiled, sessions,
                                         save_restore_10, metrics_10, cpu_watch_20)})
