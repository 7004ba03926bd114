"""Interactive input: keys, literal text, signals to the foreground job."""

from __future__ import annotations

import signal

import pytest

import ctmux
from helpers import TIMEOUT, wait_job


def test_send_text_then_enter(pane: ctmux.Pane) -> None:
    pane.send_text("echo typed-$((6*7))")
    pane.send_keys("Enter")
    assert pane.wait_for(r"^typed-42$", timeout=TIMEOUT).line == "typed-42"


def test_long_text_arrives_whole(pane: ctmux.Pane) -> None:
    pane.send_text("echo " + "y" * 3000)  # over 512 bytes: goes through a paste buffer
    pane.send_keys("Enter")
    assert pane.wait_for(r"^y{3000}$", timeout=TIMEOUT, lines=200).line == "y" * 3000


def test_send_keys_ctrl_c_interrupts(pane: ctmux.Pane) -> None:
    handle = pane.exec("sleep 30")
    wait_job(pane, "sleep")
    pane.send_keys("C-c")
    assert handle.wait(timeout=TIMEOUT).exit_code == 130


@pytest.mark.parametrize("sig", ["SIGINT", "INT", "int", 2, signal.SIGINT])
def test_signal_reaches_the_job_not_the_shell(pane: ctmux.Pane, sig: ctmux.SignalRef) -> None:
    handle = pane.exec("sleep 30")
    wait_job(pane, "sleep")
    groups = pane.signal(sig)
    assert len(groups) == 1 and groups[0] > 0
    assert handle.wait(timeout=TIMEOUT).exit_code == 130
    assert pane.run("echo shell-alive", timeout=TIMEOUT).output == "shell-alive\n"


def test_signal_without_a_job_is_not_found(pane: ctmux.Pane) -> None:
    with pytest.raises(ctmux.NotFoundError):
        pane.signal("SIGINT")


@pytest.mark.parametrize("sig", ["", "SIGFOO", 0, 99, -1])
def test_bad_signal_is_invalid_input(pane: ctmux.Pane, sig: ctmux.SignalRef) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        pane.signal(sig)


@pytest.mark.parametrize("keys", [(), ("",), ("a\x00b",)])
def test_bad_keys_are_invalid_input(pane: ctmux.Pane, keys: tuple[str, ...]) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        pane.send_keys(*keys)


def test_bad_text_is_invalid_input(pane: ctmux.Pane) -> None:
    for text in ["", "a\x00b"]:
        with pytest.raises(ctmux.InvalidInputError):
            pane.send_text(text)
