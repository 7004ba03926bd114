"""Shared test helpers."""

from __future__ import annotations

import time

import ctmux

#: Generous bound for any wait, so a broken build fails instead of hanging the suite.
TIMEOUT = 30.0


def wait_running(pane: ctmux.Pane, want: bool = True) -> None:
    """Wait (bounded) until ``pane.is_running()`` is ``want``."""
    deadline = time.monotonic() + TIMEOUT
    while pane.is_running() != want:
        assert time.monotonic() < deadline, f"pane never became running={want}"
        time.sleep(0.01)


def wait_job(pane: ctmux.Pane, program: str) -> None:
    """Wait (bounded) until the pane's foreground job runs ``program``.

    ``is_running()`` turns true as soon as the shell has forked the job, before the child has
    exec'd the program; a signal sent in that window can be lost, so tests that signal a job
    wait for the program itself.
    """
    deadline = time.monotonic() + TIMEOUT
    while not (pane.status().foreground_command or "").startswith(program):
        assert time.monotonic() < deadline, f"pane never ran {program}"
        time.sleep(0.01)
