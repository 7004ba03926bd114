"""ctmux: drive tmux exactly and fast.

Sessions and panes on an explicit tmux server, addressed by tmux's own ids; commands run in
panes with their real exit status and output; waits for a line to appear; metadata, keys and
signals; typed errors. The work is done by the Rust core (``ctmux._ctmux``); this package
re-exports it.

Every call releases the GIL, and the blocking waits (``Pane.run``, ``Pane.wait_for``,
``ExecHandle.wait``, ...) stop on Ctrl-C (``KeyboardInterrupt``) within about 50 ms. Their
``*_async`` twins are awaitable (run in a worker thread).

Live output and events: ``pane.stream()`` / ``session.stream()`` iterate over output lines as
they are printed, ``pane.tail(n)`` gives the last lines, ``client.subscribe(...)`` iterates
over events (dicts) from the server's daemon (``client.daemon_start()``) or an in-process
watcher; ``next(timeout=...)`` and ``next_async`` on both.

>>> import ctmux
>>> with ctmux.IsolatedServer() as server:            # private server, removed on close
...     session = server.client().session_create("demo")
...     result = session.pane(0).run("echo hi; false", timeout=10)
>>> (result.exit_code, result.output)
(1, 'hi\\n')
"""

from ctmux._ctmux import (
    CancelToken,
    Client,
    ExecHandle,
    ExecResult,
    IsolatedServer,
    OutputStream,
    Pane,
    PaneInfo,
    PaneStatus,
    PatternMatch,
    Session,
    SessionInfo,
    StreamLine,
    Subscription,
    SyncReport,
    __version__,
)
from ctmux.exceptions import (
    AlreadyExistsError,
    BusyError,
    CorruptError,
    CtmuxError,
    InvalidInputError,
    IoError,
    NotFoundError,
    PermissionDeniedError,
    ServerUnavailableError,
    TimeoutError,
    TmuxError,
    UnsupportedError,
)
from ctmux.types import Event, PaneRef, SignalRef, StrPath

__all__ = [
    "__version__",
    "CancelToken",
    "Client",
    "Event",
    "ExecHandle",
    "ExecResult",
    "IsolatedServer",
    "OutputStream",
    "Pane",
    "PaneInfo",
    "PaneRef",
    "PaneStatus",
    "PatternMatch",
    "Session",
    "SessionInfo",
    "SignalRef",
    "StrPath",
    "StreamLine",
    "Subscription",
    "SyncReport",
    "AlreadyExistsError",
    "BusyError",
    "CorruptError",
    "CtmuxError",
    "InvalidInputError",
    "IoError",
    "NotFoundError",
    "PermissionDeniedError",
    "ServerUnavailableError",
    "TimeoutError",
    "TmuxError",
    "UnsupportedError",
]
