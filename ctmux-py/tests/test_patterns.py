"""Pane text: capture, check for a pattern once, wait for one."""

from __future__ import annotations

import threading

import pytest

import ctmux
from helpers import TIMEOUT


def test_capture_shows_output(pane: ctmux.Pane) -> None:
    pane.run("echo captured-marker", timeout=TIMEOUT)
    assert "captured-marker" in pane.capture()
    assert "captured-marker" in pane.capture(lines=50)


def test_has_pattern(pane: ctmux.Pane) -> None:
    pane.run("echo 'port 8123 ready'", timeout=TIMEOUT)
    found = pane.has_pattern(r"port (\d+) ready")
    assert isinstance(found, ctmux.PatternMatch)
    assert found.matched_text == "port 8123 ready"
    assert found.line == "port 8123 ready"
    assert pane.has_pattern(r"^nothing like this$") is None
    assert "PatternMatch(line=" in repr(found)


def test_wait_for_a_line_that_appears_later(pane: ctmux.Pane) -> None:
    pane.exec("sleep 0.3; echo READY")
    found = pane.wait_for(r"^READY$", timeout=TIMEOUT)
    assert found.line == "READY"
    # Text already on screen counts at once.
    assert pane.wait_for(r"^READY$", timeout=1.0, lines=100).matched_text == "READY"


def test_wait_for_times_out_with_the_screen(pane: ctmux.Pane) -> None:
    pane.run("echo visible-text", timeout=TIMEOUT)
    with pytest.raises(ctmux.TimeoutError) as info:
        pane.wait_for(r"^never$", timeout=0.3)
    assert "visible-text" in (info.value.partial_output or "")


@pytest.mark.parametrize("pattern", ["(", "", "a{99999999}"])
def test_bad_regex_is_invalid_input(pane: ctmux.Pane, pattern: str) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        pane.has_pattern(pattern)
    with pytest.raises(ctmux.InvalidInputError):
        pane.wait_for(pattern, timeout=5)


def test_wait_for_in_other_threads(pane: ctmux.Pane) -> None:
    # Off the main thread and without a token nothing can stop a wait early, so it sleeps
    # until output (no 50 ms checks); it must still see the line and still time out.
    results: dict[str, object] = {}

    def seen() -> None:
        results["seen"] = pane.wait_for(r"^THREAD-READY$", timeout=TIMEOUT).line

    def never() -> None:
        try:
            pane.wait_for(r"^never$", timeout=0.3)
        except ctmux.TimeoutError as e:
            results["timeout"] = e

    threads = [threading.Thread(target=seen), threading.Thread(target=never)]
    for t in threads:
        t.start()
    pane.exec("sleep 0.2; echo THREAD-READY")
    for t in threads:
        t.join(timeout=TIMEOUT)
    assert results["seen"] == "THREAD-READY"
    assert isinstance(results["timeout"], ctmux.TimeoutError)
