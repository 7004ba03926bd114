"""ctmux: drive tmux exactly and fast.

Sessions and panes on an explicit tmux server, commands run in panes with their real exit
status and output, and typed errors. The work is done by the Rust core (``ctmux._ctmux``);
this package re-exports it.

>>> import ctmux
>>> with ctmux.IsolatedServer() as server:            # private server, removed on close
...     client = server.client()
...     _ = client.session_create("demo")
...     result = client.pane_run("demo", 0, "echo hi; false", timeout=10)
>>> (result.exit_code, result.output)
(1, 'hi\\n')
"""

from ctmux._ctmux import Client, ExecResult, IsolatedServer, __version__
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

__all__ = [
    "__version__",
    "Client",
    "ExecResult",
    "IsolatedServer",
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
