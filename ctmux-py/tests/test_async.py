"""asyncio: the ``*_async`` twins of the blocking waits run in worker threads."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import ctmux
from helpers import TIMEOUT


def test_run_async(pane: ctmux.Pane) -> None:
    async def main() -> ctmux.ExecResult:
        return await pane.run_async("echo async; (exit 2)", TIMEOUT)

    result = asyncio.run(main())
    assert (result.exit_code, result.output) == (2, "async\n")


def test_exec_then_wait_async_and_wait_for_async(pane: ctmux.Pane) -> None:
    async def main() -> tuple[ctmux.PatternMatch, ctmux.ExecResult, ctmux.ExecResult | None]:
        handle = pane.exec("sleep 0.2; echo READY; sleep 0.2; echo bye")
        found = await pane.wait_for_async(r"^READY$", TIMEOUT)
        result = await handle.wait_async(TIMEOUT)
        again = await pane.wait_async(TIMEOUT)
        return found, result, again

    found, result, again = asyncio.run(main())
    assert found.line == "READY"
    assert (result.exit_code, result.output) == (0, "READY\nbye\n")
    assert again is not None and again.exec_id == result.exec_id


def test_the_event_loop_keeps_running(session: ctmux.Session) -> None:
    async def main() -> tuple[int, list[ctmux.ExecResult]]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        tick_task = asyncio.create_task(ticker())
        a, b = session.pane(0), session.pane_create("b")
        results = await asyncio.gather(
            a.run_async("sleep 0.5; echo a", TIMEOUT), b.run_async("sleep 0.5; echo b", TIMEOUT)
        )
        tick_task.cancel()
        return ticks, list(results)

    ticks, results = asyncio.run(main())
    assert [r.output for r in results] == ["a\n", "b\n"]
    assert ticks > 10


def test_errors_propagate(pane: ctmux.Pane) -> None:
    async def main() -> None:
        await pane.run_or_interrupt_async("echo begun; sleep 30", 0.3)

    with pytest.raises(ctmux.TimeoutError) as info:
        asyncio.run(main())
    assert "begun" in (info.value.partial_output or "")
    with pytest.raises(ctmux.InvalidInputError):
        asyncio.run(pane.wait_for_async("(", 1.0))


def test_cancelling_the_task_stops_the_worker_thread(pane: ctmux.Pane) -> None:
    before = threading.active_count()

    async def main() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(pane.wait_for_async(r"^never printed$"), 0.3)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(pane.run_async("sleep 100"), 0.3)

    start = time.monotonic()
    asyncio.run(main())  # returns only once the default executor's threads are done
    assert time.monotonic() - start < 5.0
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= before
    assert pane.is_running()  # the command itself was left running
    pane.signal("INT")
