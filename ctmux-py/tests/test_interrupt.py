"""Ctrl-C stops a blocking wait: every wait releases the GIL and notices KeyboardInterrupt.

A timer thread sends SIGINT to this process during a long wait; the wait must end with
KeyboardInterrupt soon after (the bound is generous: this is not a performance test).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator

import pytest

import ctmux
from helpers import TIMEOUT, wait_job

#: Seconds after the start of the wait at which SIGINT arrives.
DELAY = 0.3

WAITS: dict[str, Callable[[ctmux.Pane], object]] = {
    "run": lambda p: p.run("sleep 100"),
    "run_or_interrupt": lambda p: p.run_or_interrupt("sleep 100", 100.0),
    "wait_for": lambda p: p.wait_for(r"^never printed$", timeout=60.0),
    "exec_handle_wait": lambda p: p.exec("sleep 100").wait(),
    "pane_wait": lambda p: (p.exec("sleep 100"), p.wait()),
}


@pytest.fixture(autouse=True)
def sigint_raises_keyboard_interrupt() -> Iterator[None]:
    """Python leaves SIGINT ignored when it starts with SIGINT ignored (a background job of a
    non-interactive shell, as some CI runners start the suite): install the default handler
    for these tests, and put back what was there."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("name", list(WAITS))
def test_ctrl_c_stops_a_long_wait(pane: ctmux.Pane, name: str) -> None:
    timer = threading.Timer(DELAY, os.kill, (os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            WAITS[name](pane)
    finally:
        timer.cancel()
    elapsed = time.monotonic() - start
    assert elapsed < DELAY + 1.0, f"{name}: KeyboardInterrupt after {elapsed:.3f} s"
    # Only the wait stopped: a command is still running, and can be stopped for real.
    if name != "wait_for":
        wait_job(pane, "sleep")
        pane.signal("SIGINT")
        result = pane.wait(timeout=TIMEOUT)
        assert result is not None and result.exit_code == 130


def test_raise_signal_from_a_thread(pane: ctmux.Pane) -> None:
    timer = threading.Timer(DELAY, signal.raise_signal, (signal.SIGINT,))
    start = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        pane.wait_for(r"^never printed$", timeout=60.0)
    assert time.monotonic() - start < DELAY + 1.0


def test_cancel_token_stops_a_wait_in_another_thread(pane: ctmux.Pane) -> None:
    token = ctmux.CancelToken()
    assert not token.cancelled and "cancelled=False" in repr(token)
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            pane.run("sleep 100", cancel=token)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=waiter)
    thread.start()
    wait_job(pane, "sleep")
    token.cancel()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert token.cancelled
    assert len(errors) == 1 and isinstance(errors[0], ctmux.IoError), errors
    assert "cancelled" in str(errors[0])
    pane.signal("INT")


def test_a_cancelled_token_stops_at_once_but_never_before_the_command_starts(
    pane: ctmux.Pane,
) -> None:
    token = ctmux.CancelToken()
    token.cancel()
    with pytest.raises(ctmux.IoError):
        pane.run("sleep 100", cancel=token)
    wait_job(pane, "sleep")  # the command was started; only the wait was cancelled
    pane.signal("INT")


def test_other_threads_run_during_a_wait(pane: ctmux.Pane) -> None:
    ticks = 0
    stop = threading.Event()

    def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.01)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        pane.run("sleep 0.5", timeout=TIMEOUT)
    finally:
        stop.set()
        thread.join()
    assert ticks > 10  # the GIL was released while waiting
