"""Live output and events: pane/session streams, tail, subscriptions, the daemon, autosave.

Every test talks to its own isolated server; a test that starts the daemon stops it in a
``finally`` (before the server fixture removes the state dir the daemon lives in).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import ctmux
from helpers import TIMEOUT


def lines_until(stream: ctmux.OutputStream, text: str) -> list[ctmux.StreamLine]:
    """Lines of `stream` up to the first whose text is `text` (bounded wait)."""
    seen: list[ctmux.StreamLine] = []
    deadline = time.monotonic() + TIMEOUT
    while not seen or seen[-1].text != text:
        line = stream.next(timeout=max(deadline - time.monotonic(), 0.0))
        assert line is not None, f"stream ended before {text!r}; saw {seen!r}"
        seen.append(line)
    return seen


def event_where(
    sub: ctmux.Subscription, want: Callable[[ctmux.Event], bool]
) -> ctmux.Event:
    """The first event of `sub` for which `want` holds (bounded wait)."""
    seen: list[ctmux.Event] = []
    deadline = time.monotonic() + TIMEOUT
    while True:
        event = sub.next(timeout=max(deadline - time.monotonic(), 0.0))
        assert event is not None, f"subscription ended; saw {seen!r}"
        if want(event):
            return event
        seen.append(event)


@pytest.fixture
def daemon(client: ctmux.Client, session: ctmux.Session) -> Iterator[ctmux.Client]:
    """`client` with the server's daemon started (as `python -m ctmux._daemon`) once
    `session` runs, stopped afterwards."""
    report = client.daemon_start()
    try:
        assert report["started"] is True
        yield client
    finally:
        client.daemon_stop()


# -- streams -------------------------------------------------------------------------------


def test_pane_stream_yields_the_lines_printed(pane: ctmux.Pane) -> None:
    with pane.stream() as stream:
        pane.exec("printf 'one\\ntwo\\n'; echo three")
        lines = lines_until(stream, "three")
    texts = [line.text for line in lines]
    assert texts[-3:] == ["one", "two", "three"]
    assert all(line.pane == pane.id for line in lines)
    assert [line.seq for line in lines] == list(range(1, len(lines) + 1))
    assert lines[-1].time_ms > 1_600_000_000_000
    assert stream.closed
    assert stream.next(timeout=0.1) is None


def test_pane_stream_ends_when_the_pane_is_killed(session: ctmux.Session) -> None:
    pane = session.pane_create("doomed")
    stream = pane.stream()
    pane.exec("echo last-words")
    lines_until(stream, "last-words")
    pane.kill()
    # Iteration stops (the for loop ends) once the pane is gone.
    rest = list(stream)
    assert all(line.pane == pane.id for line in rest)
    assert stream.closed and stream.next() is None


def test_session_stream_sees_every_pane(session: ctmux.Session) -> None:
    a, b = session.pane(0), session.pane_create("b")
    with session.stream() as stream:
        a.exec("echo from-a")
        b.exec("echo from-b")
        seen: dict[str, str] = {}
        deadline = time.monotonic() + TIMEOUT
        while set(seen) != {"from-a", "from-b"}:
            line = stream.next(timeout=max(deadline - time.monotonic(), 0.0))
            assert line is not None
            if line.text in ("from-a", "from-b"):
                seen[line.text] = line.pane
    assert seen == {"from-a": a.id, "from-b": b.id}


def test_stream_next_times_out_and_stays_usable(pane: ctmux.Pane) -> None:
    with pane.stream() as stream:
        start = time.monotonic()
        with pytest.raises(ctmux.TimeoutError) as caught:
            stream.next(timeout=0.2)
        assert 0.15 < time.monotonic() - start < 0.2 + 2.0
        assert isinstance(caught.value, TimeoutError) and caught.value.kind == "Timeout"
        pane.exec("echo after-timeout")
        assert lines_until(stream, "after-timeout")[-1].text == "after-timeout"


def test_stream_next_async(pane: ctmux.Pane) -> None:
    async def main() -> list[str]:
        with pane.stream() as stream:
            pane.exec("echo via-async")
            texts: list[str] = []
            while "via-async" not in texts:
                line = await stream.next_async(TIMEOUT)
                assert line is not None
                texts.append(line.text)
            return texts

    assert asyncio.run(main())[-1] == "via-async"


def test_async_for_over_a_stream_and_a_subscription(
    client: ctmux.Client, session: ctmux.Session
) -> None:
    pane = session.pane_create("async-for")

    async def main() -> tuple[list[str], list[str]]:
        texts: list[str] = []
        kinds: list[str] = []
        with pane.stream() as stream, client.subscribe(pane=pane.id) as sub:
            pane.exec("echo async-for-line")
            async for line in stream:
                texts.append(line.text)
                if line.text == "async-for-line":
                    break
            await asyncio.to_thread(pane.kill)
            async for event in sub:
                kinds.append(event["kind"])
                if event["kind"] == "pane_exited":
                    break
        # A stream that is over ends `async for` (StopAsyncIteration).
        async for _ in stream:
            raise AssertionError("a closed stream yielded a line")
        return texts, kinds

    texts, kinds = asyncio.run(main())
    assert texts[-1] == "async-for-line"
    assert kinds[-1] == "pane_exited"


def test_close_from_another_thread_ends_a_wait(pane: ctmux.Pane) -> None:
    stream = pane.stream()
    timer = threading.Timer(0.2, stream.close)
    timer.start()
    try:
        assert stream.next(timeout=TIMEOUT) is None
    finally:
        timer.cancel()
    assert "closed=True" in repr(stream)


def test_stream_of_a_gone_pane_or_bad_timeout(session: ctmux.Session) -> None:
    pane = session.pane_create("gone")
    pane.kill()
    with pytest.raises(ctmux.NotFoundError):
        pane.stream()
    with session.pane(0).stream() as stream, pytest.raises(ctmux.InvalidInputError):
        stream.next(timeout=-1.0)


def test_tail(pane: ctmux.Pane) -> None:
    pane.run("for i in 1 2 3 4 5; do echo line-$i; done", timeout=TIMEOUT)
    tail = pane.tail(3)
    assert len(tail) == 3
    assert "line-5" in tail
    assert all(isinstance(t, str) for t in tail)
    with pytest.raises(ctmux.InvalidInputError):
        pane.tail(0)
    with pytest.raises(ctmux.InvalidInputError):
        pane.tail(-1)


# -- events --------------------------------------------------------------------------------


def test_subscribe_sees_sessions_commands_and_patterns(
    client: ctmux.Client, pane: ctmux.Pane
) -> None:
    with client.subscribe() as sub:
        assert sub.via_daemon is False
        client.session_create("second")
        created = event_where(sub, lambda e: e["kind"] == "session_created")
        assert created["session"] == "second"
        assert isinstance(created["seq"], int) and isinstance(created["time_ms"], int)
        pane.run("echo done; (exit 3)", timeout=TIMEOUT)
        finished = event_where(sub, lambda e: e["kind"] == "command_finished")
        assert (finished["pane"], finished["exit_code"]) == (pane.id, 3)

    with client.subscribe(session="t", pattern=r"port (\d+)") as matches:
        pane.exec("echo 'listening on port 8123'")
        matched = event_where(matches, lambda e: True)
    assert matched["kind"] == "pattern_matched"
    assert matched["line"] == "listening on port 8123"
    assert matched["matched_text"] == "port 8123"
    assert matched["pane"] == pane.id


def test_subscribe_filters_by_kind(client: ctmux.Client, pane: ctmux.Pane) -> None:
    with client.subscribe(kinds=["command_finished"], pane=pane.id) as sub:
        pane.run("echo noise", timeout=TIMEOUT)
        event = sub.next(timeout=TIMEOUT)
    assert event is not None and event["kind"] == "command_finished"


def test_subscription_next_times_out_and_next_async(
    client: ctmux.Client, pane: ctmux.Pane
) -> None:
    with client.subscribe(kinds=["session_created"]) as sub:
        with pytest.raises(ctmux.TimeoutError):
            sub.next(timeout=0.2)

        async def main() -> ctmux.Event | None:
            waiting = asyncio.create_task(sub.next_async(TIMEOUT))
            await asyncio.sleep(0.1)
            await asyncio.to_thread(client.session_create, "async-made")
            return await waiting

        event = asyncio.run(main())
    assert event is not None and event["session"] == "async-made"


@pytest.mark.parametrize(
    ("kwargs", "what"),
    [
        ({"pattern": "("}, "regex"),
        ({"kinds": ["no_such_kind"]}, "kind"),
        ({"kinds": ["unknown"]}, "kind"),
        ({"pane": "3"}, "pane"),
        ({"session": "a:b"}, "session"),
    ],
)
def test_subscribe_bad_filter_is_invalid_input(
    client: ctmux.Client, session: ctmux.Session, kwargs: dict[str, object], what: str
) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        client.subscribe(**kwargs)  # type: ignore[arg-type]


def test_server_gone_is_server_unavailable(
    server: ctmux.IsolatedServer, client: ctmux.Client, pane: ctmux.Pane, tmp_path: Path
) -> None:
    # Its state dir outlives the server's temp dir.
    other = server.client(state_dir=tmp_path / "state")
    sub = client.subscribe()
    stream = pane.stream()
    server.close()
    with pytest.raises(ctmux.ServerUnavailableError):
        while True:
            sub.next(timeout=TIMEOUT)
    assert sub.closed and sub.next() is None
    with pytest.raises(ctmux.ServerUnavailableError):
        while True:
            stream.next(timeout=TIMEOUT)
    assert stream.closed and list(stream) == []
    with pytest.raises(ctmux.ServerUnavailableError):
        other.subscribe()


# -- the daemon ----------------------------------------------------------------------------


def test_daemon_start_status_subscribe_stop(client: ctmux.Client, pane: ctmux.Pane) -> None:
    assert client.daemon_status()["running"] is False
    report = client.daemon_start()
    try:
        assert report["started"] is True and report["already_running"] is False
        status = client.daemon_status()
        assert status["running"] and status["reachable"]
        assert status["pid"] is not None and status["pid"] != os.getpid()
        again = client.daemon_start()
        assert again["started"] is False and again["already_running"] is True
        with client.subscribe(kinds=["command_finished"]) as sub:
            assert sub.via_daemon is True
            pane.run("(exit 4)", timeout=TIMEOUT)
            event = sub.next(timeout=TIMEOUT)
            assert event is not None and event["exit_code"] == 4
        logs = client.daemon_logs(100)
        assert any(e["kind"] == "daemon_started" for e in logs)
    finally:
        assert client.daemon_stop() is True
    assert client.daemon_status()["running"] is False
    assert client.daemon_stop() is False
    with pytest.raises(ctmux.InvalidInputError):
        client.daemon_logs(-1)


def test_daemon_start_with_an_explicit_program(client: ctmux.Client, pane: ctmux.Pane) -> None:
    report = client.daemon_start(sys.executable, ["-m", "ctmux._daemon"])
    try:
        assert report["started"] is True
        assert report["status"]["running"] is True
    finally:
        client.daemon_stop()


def test_daemon_run_from_args_refuses_garbage() -> None:
    with pytest.raises(ctmux.InvalidInputError):
        ctmux._ctmux.daemon_run_from_args(["no", "such", "arguments"])


def test_autosave_makes_snapshot_saved_events(daemon: ctmux.Client, session: ctmux.Session) -> None:
    with daemon.subscribe(kinds=["snapshot_saved"]) as sub:
        assert sub.via_daemon
        daemon.autosave(session.name, 1)
        event = sub.next(timeout=TIMEOUT)
    assert event is not None and event["session"] == session.name
    assert os.path.exists(event["file"])
    status = daemon.daemon_status()
    assert [a["session"] for a in status["autosaves"]] == [session.name]
    assert daemon.autosave_stop(session.name) is True
    assert daemon.autosave_stop(session.name) is False
    with pytest.raises(ctmux.InvalidInputError):
        daemon.autosave(session.name, 0)
    with pytest.raises(ctmux.NotFoundError):
        daemon.autosave("no-such-session", 5)


# -- Ctrl-C --------------------------------------------------------------------------------


@pytest.fixture
def sigint_raises_keyboard_interrupt() -> Iterator[None]:
    """The default SIGINT handler for the test (see test_interrupt.py), put back after."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("sigint_raises_keyboard_interrupt")
@pytest.mark.parametrize("which", ["stream", "subscription"])
def test_ctrl_c_stops_next(client: ctmux.Client, pane: ctmux.Pane, which: str) -> None:
    live: ctmux.OutputStream | ctmux.Subscription = (
        pane.stream() if which == "stream" else client.subscribe(kinds=["snapshot_saved"])
    )
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            live.next()
    finally:
        timer.cancel()
    assert time.monotonic() - start < 0.3 + 1.0
    # Only the wait stopped: the stream or subscription is still usable.
    with pytest.raises(ctmux.TimeoutError):
        live.next(timeout=0.1)
    live.close()


def test_cancel_token_stops_next(pane: ctmux.Pane) -> None:
    token = ctmux.CancelToken()
    with pane.stream() as stream:
        timer = threading.Timer(0.2, token.cancel)
        timer.start()
        try:
            with pytest.raises(ctmux.IoError):
                stream.next(cancel=token)
        finally:
            timer.cancel()
