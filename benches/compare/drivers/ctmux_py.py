"""ctmux's Python module as a peer of the comparison harness (see common.py).

Uses only the public ``ctmux`` API, over the backend named by ``$CTMUX_BACKEND`` (the
harness sets ``control``). Same workloads and checks as ``compare_driver.rs``.
"""

import os
import threading
import time

import common
from common import TIMEOUT, ensure, now_ms

import ctmux


def client(args):
    return ctmux.Client(socket_path=args.socket, state_dir=os.path.join(args.workdir, "state"))


def one_pane(c, name="bench"):
    s = c.session_create(name, width=120, height=40)
    p = s.pane(0)
    ensure(p.run("true", TIMEOUT).exit_code == 0, "warm-up")
    return s, p


def many_panes(c, name, n, dirs=None):
    s = c.session_create(name, cwd=dirs[0] if dirs else None, width=200, height=60)
    panes = [s.pane(0)] + [s.pane_create_with_layout(f"p{i}", "tiled") for i in range(1, n)]
    for i, p in enumerate(panes):
        cmd = f"cd '{dirs[i]}'" if dirs and i > 0 else "true"
        ensure(p.run(cmd, TIMEOUT).exit_code == 0, f"warm-up of pane {i}")
    return s, panes


def exec_true(args, out, cmd="true", metric="exec_true"):
    c = client(args)
    _, p = one_pane(c)
    for i in range(args.iters):
        if i % 50 == 0:
            common.tmux(args, "clear-history", "-t", p.id)  # untimed, as in every driver
        t = now_ms()
        r = p.run(cmd, TIMEOUT)
        out.push(metric, now_ms() - t)
        ensure(r.exit_code == 0, f"exit code {r.exit_code}")
    r = p.run("(exit 7)", TIMEOUT)
    ensure(r.exit_code == 7, f"(exit 7) gave {r.exit_code}")
    return f"{args.iters} x exit 0 seen; (exit 7) reported 7"


def exec_sleep(args, out):
    """A command that outlasts a poller's first look."""
    return exec_true(args, out, "sleep 0.02", "exec_sleep_20ms")


def exec_output_1mb(args, out):
    """A command writing 1 MB: time until exit status and the whole output are back."""
    c = client(args)
    _, p = one_pane(c)
    for _ in range(args.iters):
        common.tmux(args, "clear-history", "-t", p.id)  # untimed, as in every driver
        t = now_ms()
        r = p.run(common.OUTPUT_1MB_CMD, TIMEOUT)
        out.push("exec_output_1mb", now_ms() - t)
        ensure(r.exit_code == 0, f"exit code {r.exit_code}")
        got = len(r.output.encode())
        out.push("exec_output_1mb_bytes", got)
        ensure(got == common.OUTPUT_1MB_BYTES, f"got {got} bytes of output")
        ensure(r.output == common.OUTPUT_1MB_TEXT, "output is not 10000 lines of 99 x")
    return (f"{args.iters} x exit 0 and all {common.OUTPUT_1MB_BYTES} bytes (10000 lines of "
            "99 x) received")


def pattern_latency(args, out):
    c = client(args)
    _, p = one_pane(c)
    for i in range(args.iters):
        h = p.exec(common.stamp_command(i))
        m = p.wait_for(common.stamp_pattern(i), TIMEOUT)
        seen = time.time()
        ensure(m.line.startswith(f"TOKEN-{i} "), f"matched {m.line!r}")
        latency = (seen - float(m.line.split()[1])) * 1e3
        ensure(0 <= latency < 5000, f"latency {latency}")
        out.push("pattern_latency", latency)
        ensure(h.wait(TIMEOUT).exit_code == 0, "echo exit code")
    return f"{args.iters} stamped lines matched"


def send_keys(args, out):
    c = client(args)
    _, p = one_pane(c)
    typed = 0
    for i in range(args.iters):
        if i % 50 == 0:
            p.send_keys("C-u")
            typed = 0
        t = now_ms()
        p.send_text("x")
        out.push("send_keys", now_ms() - t)
        typed += 1
    want = "$ " + "x" * typed
    deadline = time.monotonic() + TIMEOUT
    while p.capture().splitlines()[-1] != want:
        ensure(time.monotonic() < deadline, f"prompt line never became {want!r}")
        time.sleep(0.005)
    return f"all {typed} keys since the last C-u on the line"


def capture(args, out):
    c = client(args)
    _, p = one_pane(c)
    p.send_text("clear; seq 1 3000")  # typed, not exec'd: exec leaves its end marker line
    p.send_keys("Enter")
    deadline = time.monotonic() + TIMEOUT
    while [x.rstrip() for x in p.capture().splitlines()[-2:]] != ["3000", "$"]:
        ensure(time.monotonic() < deadline, "seq never ended")
        time.sleep(0.005)
    for _ in range(args.iters):
        for n in (50, 2000):
            t = now_ms()
            text = p.capture(n - 40)  # the 40-row screen plus n - 40 lines of history
            out.push(f"capture_{n}", now_ms() - t)
            lines = text.splitlines()
            ensure(len(lines) == n and lines[0] == str(3002 - n),
                   lambda: f"capture {n}: {len(lines)} lines, first {lines[0]!r}")
    return "every capture had exactly 50 / 2000 lines, the right first line"


def build_32_tiled(args, out):
    c = client(args)
    for i in range(args.iters):
        t = now_ms()
        s = c.session_create(f"tiled-{i}", width=200, height=60)
        for j in range(1, 32):
            s.pane_create_with_layout(f"p{j}", "tiled")
        out.push("build_32_tiled", now_ms() - t)
        n = s.pane_count()
        ensure(n == 32, f"{n} panes")
        s.kill()
    return "32 panes counted in every session"


def sessions(args, out):
    c = client(args)
    for i in range(args.iters):
        t = now_ms()
        made = [c.session_create(f"s{i}-{k}", width=80, height=24) for k in range(args.count)]
        created = now_ms() - t
        live = [s for s in c.sessions() if s.name.startswith(f"s{i}-")]
        ensure(len(live) == args.count, f"{len(live)} sessions after create")
        t = now_ms()
        for s in made:
            s.kill()
        out.push(f"sessions_{args.count}", created + now_ms() - t)
        ensure(not c.sessions(), "sessions left after kill")
    return f"{args.count} sessions listed after create, 0 after kill"


def save_restore_10(args, out):
    c = client(args)
    dirs = [os.path.realpath(os.path.join(args.workdir, f"d{i}")) for i in range(10)]
    for d in dirs:
        os.makedirs(d, exist_ok=True)
    many_panes(c, "snap", 10, dirs)
    saved = [p.cwd for p in c.session("snap").panes()]  # pane-index order
    ensure(sorted(saved) == dirs, f"cwds before save {saved}")
    for i in range(args.iters):
        f = os.path.join(args.workdir, f"snap-{i}.json")
        t = now_ms()
        report = c.session_save("snap", file=f)
        out.push("save_10", now_ms() - t)
        ensure(report["panes"] == 10, f"saved {report['panes']} panes")
        c.session_kill("snap")
        t = now_ms()
        c.session_restore(f)
        out.push("restore_10", now_ms() - t)
        got = common.retry_while_empty(lambda: [p.cwd for p in c.session("snap").panes()])
        ensure(got == saved, f"restored cwds {got}, saved {saved}")
    return "restored session has 10 panes in the 10 saved directories"


def metrics_10(args, out):
    c = client(args)
    s, _ = many_panes(c, "m", 10)
    for _ in range(args.iters):
        time.sleep(0.06)
        t = now_ms()
        # The binding builds a fresh sampler per call, so every reading is cold and samples
        # for interval_ms: the smallest allowed (10 ms) is used.
        m = s.metrics(interval_ms=10)
        out.push("metrics_10", now_ms() - t)
        ensure(len(m["panes"]) == 10, f"{len(m['panes'])} rows")
        ensure(all(p["process_count"] >= 1 for p in m["panes"]), "a pane with 0 processes")
    return "10 rows, every process_count >= 1"


def cpu_watch_20(args, out):
    c = client(args)
    s, panes = many_panes(c, "w", 20)
    server_pid = int(common.tmux(args, "display-message", "-p", "#{pid}"))
    me = os.getpid()
    for _ in range(args.iters):
        errors = []

        def watch(p):
            try:
                m = p.wait_for(r"NEVER-\d{12}", args.watch_secs)
                errors.append(f"matched {m.line!r}")
            except ctmux.TimeoutError:
                pass
            except Exception as e:  # noqa: BLE001 - reported as a failed check
                errors.append(repr(e))

        mine, server = common.tree_cpu_ms(me), common.self_cpu_ms(server_pid)
        start = time.monotonic()
        threads = [threading.Thread(target=watch, args=(p,)) for p in panes]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.monotonic() - start
        mine, server = common.tree_cpu_ms(me) - mine, common.self_cpu_ms(server_pid) - server
        ensure(not errors, lambda: f"watch errors: {errors}")
        ensure(wall >= args.watch_secs, f"watch ended after {wall} s")
        out.push("cpu_watch_20", mine)
        out.push("cpu_watch_20_server", server)
    return f"20 watches timed out after {args.watch_secs} s (no false match)"


if __name__ == "__main__":
    common.main({f.__name__: f for f in (exec_true, exec_sleep, exec_output_1mb, pattern_latency,
                                         send_keys, capture, build_32_tiled, sessions,
                                         save_restore_10, metrics_10, cpu_watch_20)})
