"""Running commands in panes: real exit status and exact output; handles, waits, busy panes."""

from __future__ import annotations

import pytest

import ctmux
from helpers import TIMEOUT, wait_job, wait_running


@pytest.mark.parametrize("code", [0, 1, 3, 42, 255])
def test_exit_code_is_real(pane: ctmux.Pane, code: int) -> None:
    result = pane.run(f"sh -c 'exit {code}'", timeout=TIMEOUT)
    assert result.exit_code == code
    assert result.output == ""


def test_output_is_the_commands_own(pane: ctmux.Pane) -> None:
    result = pane.run("echo hello; echo world", timeout=TIMEOUT)
    assert (result.exit_code, result.output) == (0, "hello\nworld\n")
    assert isinstance(result.duration, float) and result.duration >= 0.0
    assert result.exec_id and result.truncated is False
    assert repr(result).startswith("ExecResult(exit_code=0,")


def test_exec_right_after_create(client: ctmux.Client) -> None:
    fresh = client.session_create("fresh").pane("0")
    result = fresh.run("printf 'ok'", timeout=TIMEOUT)
    assert (result.exit_code, result.output) == (0, "ok")


def test_awkward_text_arrives_intact(pane: ctmux.Pane) -> None:
    text = "quotes ' \" $HOME `x` \\ unicode \u00e9\u2603"
    result = pane.run("cat <<'EOF'\n" + text + "\nEOF", timeout=TIMEOUT)
    assert (result.exit_code, result.output) == (0, text + "\n")


def test_exec_handle_then_wait(pane: ctmux.Pane) -> None:
    handle = pane.exec("sleep 0.2; echo done; (exit 4)")
    assert isinstance(handle, ctmux.ExecHandle)
    assert handle.pane.id == pane.id
    assert repr(handle).startswith("ExecHandle(")
    result = handle.wait(timeout=TIMEOUT)
    assert (result.exit_code, result.output, result.exec_id) == (4, "done\n", handle.id)


def test_pane_wait_reports_the_last_exec(pane: ctmux.Pane) -> None:
    assert pane.wait(timeout=TIMEOUT) is None  # nothing started yet
    handle = pane.exec("sleep 0.2; echo late")
    result = pane.wait(timeout=TIMEOUT)
    assert result is not None
    assert (result.exec_id, result.output) == (handle.id, "late\n")


def test_busy_pane_refuses_a_second_exec(pane: ctmux.Pane) -> None:
    handle = pane.exec("sleep 30")
    wait_job(pane, "sleep")
    with pytest.raises(ctmux.BusyError):
        pane.exec("echo never")
    assert handle.partial_output() is not None
    pane.signal("SIGINT")
    assert handle.wait(timeout=TIMEOUT).exit_code == 130


def test_timeout_keeps_the_job_and_its_output(pane: ctmux.Pane) -> None:
    with pytest.raises(ctmux.TimeoutError) as info:
        pane.run("echo started; sleep 30", timeout=0.5)
    assert "started" in (info.value.partial_output or "")
    assert pane.is_running()


def test_run_or_interrupt(pane: ctmux.Pane) -> None:
    with pytest.raises(ctmux.TimeoutError) as info:
        pane.run_or_interrupt("echo begun; sleep 30", 0.5)
    assert "begun" in (info.value.partial_output or "")
    wait_running(pane, False)  # the job was interrupted
    assert pane.run_or_interrupt("echo quick", TIMEOUT).output == "quick\n"


def test_empty_command_is_invalid(pane: ctmux.Pane) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        pane.exec("   ")
    assert pane.run("echo still fine", timeout=TIMEOUT).output == "still fine\n"


def test_pending_text_cleared_or_reported(pane: ctmux.Pane) -> None:
    """Text typed at the prompt is cleared by default; ``if_pending="fail"`` names it."""
    import time

    assert pane.run("true", timeout=TIMEOUT).exit_code == 0
    assert pane.run("echo a", timeout=TIMEOUT, if_pending="fail").output == "a\n"
    pane.send_text("git sta")
    time.sleep(0.3)
    with pytest.raises(ctmux.BusyError, match="git sta"):
        pane.run("echo never", timeout=TIMEOUT, if_pending="fail")
    assert pane.run("echo ok", timeout=TIMEOUT).output == "ok\n"
    with pytest.raises(ctmux.InvalidInputError):
        pane.exec("true", if_pending="maybe")  # type: ignore[arg-type]
