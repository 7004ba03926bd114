"""Scheduling for the ``*_async`` methods: run a blocking method in a worker thread.

The compiled methods (``Pane.run_async``, ``Pane.wait_for_async``, ``ExecHandle.wait_async``,
...) call :func:`in_thread`; ``async for`` over a stream or subscription calls
:func:`next_or_stop`. It holds no logic: it hands the blocking method a
:class:`~ctmux.CancelToken` and runs it with :func:`asyncio.to_thread`; if the awaiting task
is cancelled (``asyncio.wait_for`` timing out, ``TaskGroup`` failing, Ctrl-C under
``asyncio.run``), it cancels the token, so the worker thread stops waiting within 50 ms
instead of blocking the event loop's shutdown.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, TypeVar

from ctmux._ctmux import CancelToken

T = TypeVar("T")


async def in_thread(method: Callable[..., T], args: tuple[Any, ...]) -> T:
    """``await`` ``method(*args, cancel=token)`` run in a worker thread."""
    token = CancelToken()
    try:
        return await asyncio.to_thread(method, *args, cancel=token)
    except asyncio.CancelledError:
        token.cancel()
        raise


async def next_or_stop(method: Callable[..., T | None], args: tuple[Any, ...]) -> T:
    """``await`` ``method(*args)`` as :func:`in_thread` does; ``None`` (the stream or
    subscription is over) raises :class:`StopAsyncIteration` (for ``async for``)."""
    item = await in_thread(method, args)
    if item is None:
        raise StopAsyncIteration
    return item
