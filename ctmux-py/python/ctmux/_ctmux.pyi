"""Type stubs for the compiled module ``ctmux._ctmux`` (kept by hand; see src/lib.rs)."""

import builtins
from pathlib import Path
from types import TracebackType
from typing import Literal, final

from ctmux.types import SessionInfo, SessionRef, StrPath

__version__: str
__all__ = [
    "__version__",
    "AlreadyExistsError",
    "BusyError",
    "Client",
    "CorruptError",
    "CtmuxError",
    "ExecResult",
    "InvalidInputError",
    "IoError",
    "IsolatedServer",
    "NotFoundError",
    "PermissionDeniedError",
    "ServerUnavailableError",
    "TimeoutError",
    "TmuxError",
    "UnsupportedError",
]

@final
class ExecResult:
    """A finished command: real exit status, its own output, wall time in seconds."""

    @property
    def exit_code(self) -> int: ...
    @property
    def output(self) -> str: ...
    @property
    def duration(self) -> float: ...

@final
class Client:
    """A client of one tmux server (``-L socket_name``, ``-S socket_path`` or the default)."""

    def __new__(
        cls,
        socket_name: str | None = None,
        socket_path: StrPath | None = None,
        state_dir: StrPath | None = None,
    ) -> Client: ...
    def session_create(
        self,
        name: str,
        cwd: StrPath | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> SessionRef: ...
    def session_list(self) -> list[SessionInfo]: ...
    def session_kill(self, name: str) -> None: ...
    def pane_run(
        self, session: str, pane: int | str, command: str, timeout: float | None = None
    ) -> ExecResult: ...
    def pane_capture(self, session: str, pane: int | str, lines: int | None = None) -> str: ...

@final
class IsolatedServer:
    """A private tmux server in a temp dir; ``close()`` kills it and removes the dir."""

    def __new__(cls) -> IsolatedServer: ...
    @property
    def socket_path(self) -> Path: ...
    @property
    def closed(self) -> bool: ...
    def client(self, state_dir: StrPath | None = None) -> Client: ...
    def close(self) -> None: ...
    def __enter__(self) -> IsolatedServer: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> Literal[False]: ...

class CtmuxError(Exception):
    """Root of every ctmux error; ``.kind`` names the core ErrorKind."""

    kind: str | None

class NotFoundError(CtmuxError, LookupError):
    kind: str

class AlreadyExistsError(CtmuxError):
    kind: str

class InvalidInputError(CtmuxError, ValueError):
    kind: str

class TimeoutError(CtmuxError, builtins.TimeoutError):
    kind: str
    partial_output: str | None

class BusyError(CtmuxError):
    kind: str

class ServerUnavailableError(CtmuxError, ConnectionError):
    kind: str

class PermissionDeniedError(CtmuxError, PermissionError):
    kind: str

class CorruptError(CtmuxError):
    kind: str

class UnsupportedError(CtmuxError):
    kind: str

class IoError(CtmuxError, OSError):
    kind: str

class TmuxError(CtmuxError):
    kind: str
