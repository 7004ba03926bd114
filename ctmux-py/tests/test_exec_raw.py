"""Exec options: raw bytes, a cap on kept output, the memory cap; and ``Pane.reset``."""

from __future__ import annotations

import asyncio

import pytest

import ctmux
from helpers import TIMEOUT, wait_job, wait_running


def test_raw_bytes_are_exact(pane: ctmux.Pane) -> None:
    result = pane.run("printf 'a\\tb\\n'", timeout=TIMEOUT, raw=True)
    assert result.exit_code == 0
    assert result.output == "a\tb\n"
    assert result.output_raw == b"a\tb\r\n"
    assert (result.output_file, result.raw_file, result.truncated) == (None, None, False)
    assert "output_raw=b'a\\tb\\r\\n'" in repr(result)


def test_without_raw_there_are_no_bytes(pane: ctmux.Pane) -> None:
    result = pane.run("echo plain", TIMEOUT)
    assert (result.output, result.output_raw, result.output_file) == ("plain\n", None, None)


def test_exec_handle_keeps_raw_bytes(pane: ctmux.Pane) -> None:
    handle = pane.exec("printf 'x\\ty\\n'", raw=True)
    result = handle.wait(TIMEOUT)
    assert (result.output, result.output_raw) == ("x\ty\n", b"x\ty\r\n")


def test_max_output_truncates(pane: ctmux.Pane) -> None:
    result = pane.run("seq 1 1000", TIMEOUT, max_output=5)
    assert result.exit_code == 0
    assert result.truncated is True
    assert len(result.output) <= 5
    handle = pane.exec("seq 1 1000", max_output=5)
    again = handle.wait(TIMEOUT)
    assert again.truncated is True and len(again.output) <= 5


def test_small_memory_cap_spills_to_a_file(pane: ctmux.Pane) -> None:
    result = pane.run("seq 1 1000", TIMEOUT, raw=True, memory_cap=64)
    assert result.exit_code == 0
    assert result.output_file is not None and result.raw_file is not None
    with open(result.output_file, encoding="utf-8") as f:
        whole = f.read()
    assert whole.splitlines() == [str(i) for i in range(1, 1001)]
    assert len(result.output) <= 64
    assert result.output_raw is not None and len(result.output_raw) <= 64


def test_run_async_takes_the_options(pane: ctmux.Pane) -> None:
    async def main() -> ctmux.ExecResult:
        return await pane.run_async("printf 'a\\tb\\n'", TIMEOUT, raw=True)

    assert asyncio.run(main()).output_raw == b"a\tb\r\n"


def test_bad_options_are_invalid_input(pane: ctmux.Pane) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        pane.run("true", TIMEOUT, memory_cap=0)
    with pytest.raises(ctmux.InvalidInputError):
        pane.exec("true", memory_cap=0)
    with pytest.raises(ctmux.InvalidInputError):
        pane.run("true", TIMEOUT, max_output=-1)
    with pytest.raises(ctmux.InvalidInputError):
        pane.exec("true", memory_cap=-5)
    with pytest.raises(TypeError):
        pane.run("true", TIMEOUT, max_output="5")  # type: ignore[arg-type]
    # Nothing was left pending: the pane takes the next exec.
    assert pane.run("echo ok", TIMEOUT).output == "ok\n"


def test_reset_clears_a_stuck_exec(pane: ctmux.Pane) -> None:
    handle = pane.exec("sleep 100")
    wait_job(pane, "sleep")
    status = pane.status()
    assert (status.exec_id, status.exec_finished) == (handle.id, False)
    pane.reset()
    status = pane.status()
    assert status.exec_id == handle.id
    assert status.exec_finished is True
    # The job itself was left alone.
    assert status.info.running is True
    assert (status.foreground_command or "").startswith("sleep")
    pane.reset()  # nothing pending: fine too
    pane.signal("SIGTERM")
    wait_running(pane, False)
    result = pane.run("echo after", TIMEOUT)
    assert result.output == "after\n"


def test_reset_of_a_gone_pane_is_not_found(session: ctmux.Session) -> None:
    extra = session.pane_create()
    extra.kill()
    with pytest.raises(ctmux.NotFoundError):
        extra.reset()
