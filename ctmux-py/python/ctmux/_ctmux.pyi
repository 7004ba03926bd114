"""Type stubs for the compiled module ``ctmux._ctmux`` (kept by hand; see src/*.rs).

``mypy.stubtest`` checks them against the built module in ``scripts/test.sh``.
"""

import builtins
from pathlib import Path
from types import TracebackType
from typing import Literal, final

from ctmux.types import (
    DaemonStartReport,
    DaemonStatus,
    Event,
    GroupInfo,
    GroupUp,
    HealthReport,
    MemberExec,
    MemberKill,
    Overview,
    PaneMetrics,
    PaneRef,
    PaneTotals,
    RestoreReport,
    SaveReport,
    SessionMatches,
    SessionMetrics,
    SignalRef,
    SnapshotEntry,
    StrPath,
)
from ctmux.limits_types import (
    GcConfig,
    GcReport,
    GcStatus,
    LimitKind,
    LimitMode,
    MetricsHistory,
    PaneLimits,
)

__version__: str
__all__ = [
    "__version__",
    "AlreadyExistsError",
    "BusyError",
    "CancelToken",
    "Client",
    "CorruptError",
    "CtmuxError",
    "ExecHandle",
    "ExecResult",
    "InvalidInputError",
    "IoError",
    "IsolatedServer",
    "NotFoundError",
    "OutputStream",
    "Pane",
    "PaneInfo",
    "PaneStatus",
    "PatternMatch",
    "PermissionDeniedError",
    "ServerUnavailableError",
    "Session",
    "SessionInfo",
    "StreamLine",
    "Subscription",
    "SyncReport",
    "TimeoutError",
    "TmuxError",
    "UnsupportedError",
    "daemon_run_from_args",
]

# --- values ------------------------------------------------------------------------------

@final
class ExecResult:
    """A finished command: its real exit status and its own output."""

    @property
    def exit_code(self) -> int:
        """The shell's ``$?`` (130 after SIGINT, 127 command not found, ...)."""
    @property
    def output(self) -> str:
        """What the command printed (no prompt, no echoed command line), as a terminal shows
        it; beyond the memory cap its last part (the whole text is in ``output_file``)."""
    @property
    def duration(self) -> float:
        """Seconds from the exec's start until ctmux saw it finish."""
    @property
    def exec_id(self) -> str:
        """The exec's id."""
    @property
    def truncated(self) -> bool:
        """Whether ``output`` is incomplete (cut by ``max_output``, or not collectable)."""
    @property
    def output_raw(self) -> bytes | None:
        """The bytes the command wrote to the terminal, exactly (with ``raw=True``)."""
    @property
    def output_file(self) -> str | None:
        """The file holding the whole text, when it was larger than the memory cap."""
    @property
    def raw_file(self) -> str | None:
        """The file holding all raw bytes, when they were larger than the memory cap."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class PatternMatch:
    """A line that matched a pattern."""

    @property
    def line(self) -> str:
        """The whole matching line."""
    @property
    def matched_text(self) -> str:
        """The matched text within it."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class SessionInfo:
    """One session as listed by tmux."""

    @property
    def id(self) -> str:
        """tmux session id (``$3``)."""
    @property
    def name(self) -> str: ...
    @property
    def windows(self) -> int: ...
    @property
    def panes(self) -> int:
        """Number of panes over all windows."""
    @property
    def attached(self) -> int:
        """Number of attached clients."""
    @property
    def created(self) -> int:
        """Creation time, Unix seconds."""
    @property
    def activity(self) -> int:
        """Last activity, Unix seconds."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class PaneInfo:
    """A pane as tmux lists it, plus whether a foreground job runs in it."""

    @property
    def pane_id(self) -> str:
        """tmux pane id (``%3``)."""
    @property
    def index(self) -> int: ...
    @property
    def window_id(self) -> str: ...
    @property
    def window_index(self) -> int: ...
    @property
    def window_active(self) -> bool: ...
    @property
    def label(self) -> str | None: ...
    @property
    def pid(self) -> int:
        """Pid of the pane's process (usually its shell)."""
    @property
    def command(self) -> str:
        """The foreground command's short name (``pane_current_command``)."""
    @property
    def cwd(self) -> str: ...
    @property
    def dead(self) -> bool: ...
    @property
    def dead_status(self) -> int | None: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def active(self) -> bool: ...
    @property
    def running(self) -> bool:
        """Whether a foreground job other than the shell runs (from ``/proc``)."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class PaneStatus:
    """A pane's listing, its foreground job and the last exec ctmux started in it."""

    @property
    def info(self) -> PaneInfo: ...
    @property
    def foreground_pgid(self) -> int | None: ...
    @property
    def foreground_command(self) -> str | None: ...
    @property
    def exec_id(self) -> str | None: ...
    @property
    def exec_finished(self) -> bool | None: ...
    @property
    def exit_code(self) -> int | None: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class SyncReport:
    """What ``Client.state_sync()`` changed."""

    @property
    def dropped(self) -> list[str]: ...
    @property
    def repaired(self) -> list[str]: ...
    @property
    def session_count(self) -> int: ...
    @property
    def pane_count(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class StreamLine:
    """One line of live output (``OutputStream``)."""

    @property
    def pane(self) -> str:
        """The pane that printed it (``%3``)."""
    @property
    def seq(self) -> int:
        """1 for the pane's first line in this stream, then 2, 3, ..."""
    @property
    def time_ms(self) -> int:
        """When it arrived, milliseconds since the Unix epoch."""
    @property
    def text(self) -> str:
        """The text, without line end and escape sequences."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class CancelToken:
    """Stops blocking waits given it as ``cancel=`` (within 50 ms, raising ``IoError``)."""

    def __new__(cls) -> CancelToken: ...
    def cancel(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...

# --- handles -----------------------------------------------------------------------------

@final
class OutputStream:
    """Live output lines of a pane or session; ``None``/``StopIteration`` once it is over."""

    def next(
        self, timeout: float | None = None, *, cancel: CancelToken | None = None
    ) -> StreamLine | None: ...
    async def next_async(self, timeout: float | None = None) -> StreamLine | None: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    def __iter__(self) -> OutputStream: ...
    def __next__(self) -> StreamLine: ...
    def __aiter__(self) -> OutputStream: ...
    async def __anext__(self) -> StreamLine: ...
    def __enter__(self) -> OutputStream: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> Literal[False]: ...

@final
class Subscription:
    """Events (dicts) matching a filter; ``None``/``StopIteration`` once it is over."""

    def next(
        self, timeout: float | None = None, *, cancel: CancelToken | None = None
    ) -> Event | None: ...
    async def next_async(self, timeout: float | None = None) -> Event | None: ...
    @property
    def via_daemon(self) -> bool: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    def __iter__(self) -> Subscription: ...
    def __next__(self) -> Event: ...
    def __aiter__(self) -> Subscription: ...
    async def __anext__(self) -> Event: ...
    def __enter__(self) -> Subscription: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> Literal[False]: ...

def daemon_run_from_args(args: list[str]) -> None:
    """Run the event daemon in this process (``python -m ctmux._daemon``)."""

@final
class ExecHandle:
    """A command started with ``Pane.exec``; ``wait()`` collects its result."""

    @property
    def id(self) -> str: ...
    @property
    def pane(self) -> Pane: ...
    def wait(
        self, timeout: float | None = None, *, cancel: CancelToken | None = None
    ) -> ExecResult: ...
    async def wait_async(self, timeout: float | None = None) -> ExecResult: ...
    def partial_output(self) -> str | None: ...

@final
class Pane:
    """A pane, addressed by its tmux id (``%3``)."""

    @property
    def id(self) -> str: ...
    @property
    def session(self) -> Session: ...
    def info(self) -> PaneInfo: ...
    def status(self) -> PaneStatus: ...
    def is_running(self) -> bool: ...
    def exec(
        self,
        command: str,
        raw: bool = False,
        max_output: int | None = None,
        memory_cap: int | None = None,
        if_pending: Literal["clear", "fail"] = "clear",
    ) -> ExecHandle: ...
    def run(
        self,
        command: str,
        timeout: float | None = None,
        raw: bool = False,
        max_output: int | None = None,
        memory_cap: int | None = None,
        if_pending: Literal["clear", "fail"] = "clear",
        *,
        cancel: CancelToken | None = None,
    ) -> ExecResult: ...
    async def run_async(
        self,
        command: str,
        timeout: float | None = None,
        raw: bool = False,
        max_output: int | None = None,
        memory_cap: int | None = None,
        if_pending: Literal["clear", "fail"] = "clear",
    ) -> ExecResult: ...
    def run_or_interrupt(
        self, command: str, timeout: float, *, cancel: CancelToken | None = None
    ) -> ExecResult: ...
    async def run_or_interrupt_async(self, command: str, timeout: float) -> ExecResult: ...
    def wait(
        self, timeout: float | None = None, *, cancel: CancelToken | None = None
    ) -> ExecResult | None: ...
    async def wait_async(self, timeout: float | None = None) -> ExecResult | None: ...
    def capture(self, lines: int | None = None) -> str: ...
    def has_pattern(self, pattern: str, lines: int | None = None) -> PatternMatch | None: ...
    def wait_for(
        self,
        pattern: str,
        timeout: float | None = None,
        lines: int | None = None,
        *,
        cancel: CancelToken | None = None,
    ) -> PatternMatch: ...
    async def wait_for_async(
        self, pattern: str, timeout: float | None = None, lines: int | None = None
    ) -> PatternMatch: ...
    def stream(self) -> OutputStream: ...
    def tail(self, lines: int) -> list[str]: ...
    def label(self) -> str | None: ...
    def set_label(self, label: str) -> None: ...
    def metadata_set(self, key: str, value: str) -> None: ...
    def metadata_get(self, key: str) -> str: ...
    def metadata_list(self) -> dict[str, str]: ...
    def metadata_delete(self, key: str) -> None: ...
    def send_keys(self, *keys: str) -> None: ...
    def send_text(self, text: str) -> None: ...
    def signal(self, signal: SignalRef) -> list[int]: ...
    def metrics(self, interval_ms: int = 250, processes: bool = False) -> PaneMetrics: ...
    def kill(self) -> None: ...
    def reset(self) -> None: ...
    def set_limit(
        self,
        kind: LimitKind,
        value: float,
        *,
        mode: LimitMode | None = None,
        grace: float | None = None,
    ) -> PaneLimits: ...
    def limits(self) -> PaneLimits: ...
    def clear_limit(self, kind: LimitKind | None = None) -> PaneLimits: ...
    def metrics_history(self, seconds: float | None = None) -> MetricsHistory: ...

@final
class Session:
    """A tmux session, addressed by its id; ``with session:`` kills it on exit."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def client(self) -> Client: ...
    def panes(self) -> list[PaneInfo]: ...
    def pane(self, pane: PaneRef) -> Pane: ...
    def pane_create(self, label: str | None = None) -> Pane: ...
    def pane_create_with_layout(self, label: str, layout: str) -> Pane: ...
    def pane_find(self, label: str) -> Pane: ...
    def pane_count(self) -> int: ...
    def stream(self) -> OutputStream: ...
    def metrics(self, interval_ms: int = 250) -> SessionMetrics: ...
    def kill(self) -> None: ...
    def __enter__(self) -> Session: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> Literal[False]: ...
    def set_keep(self, keep: bool) -> None: ...
    @property
    def keep(self) -> bool: ...

@final
class Client:
    """A client of one tmux server (``-L socket_name``, ``-S socket_path`` or the default)."""

    def __new__(
        cls,
        socket_name: str | None = None,
        socket_path: StrPath | None = None,
        state_dir: StrPath | None = None,
        backend: Literal["process", "control"] | None = None,
        ready_timeout: float | None = None,
    ) -> Client: ...
    @property
    def ready_timeout(self) -> float: ...
    def session_create(
        self,
        name: str,
        cwd: StrPath | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> Session: ...
    def session(self, name: str) -> Session: ...
    def sessions(self) -> list[SessionInfo]: ...
    def session_kill(self, name: str) -> None: ...
    def state_sync(self) -> SyncReport: ...
    def gc_enable(self, ttl: int | str | None = None) -> GcConfig: ...
    def gc_disable(self) -> GcConfig: ...
    def gc_run(self, force: bool = False, dry_run: bool = False) -> GcReport: ...
    def gc_status(self) -> GcStatus: ...
    def group_create(self, name: str, meta: dict[str, str] | None = None) -> GroupInfo: ...
    def group_add(
        self,
        group: str,
        session: str,
        command: str | None = None,
        cwd: StrPath | None = None,
    ) -> None: ...
    def group_remove(self, group: str, session: str) -> None: ...
    def group_list(self, name: str | None = None) -> list[GroupInfo]: ...
    def group_delete(self, name: str) -> None: ...
    def group_exec(
        self,
        group: str,
        cmd: str,
        pane: PaneRef | None = None,
        wait: bool = False,
        timeout: float | None = None,
    ) -> list[MemberExec]: ...
    def group_kill(self, group: str) -> list[MemberKill]: ...
    def group_up(self, group: str, timeout: float | None = None) -> GroupUp: ...
    def session_depends(self, a: str, b: str) -> None: ...
    def session_depends_remove(self, a: str, b: str) -> None: ...
    def start_order(self, group: str | None = None) -> list[str]: ...
    def session_health(self, name: str) -> HealthReport: ...
    def session_wait_healthy(self, name: str, timeout: float | None = None) -> HealthReport: ...
    def sessions_list_all(self) -> Overview: ...
    def panes_count_global(self) -> PaneTotals: ...
    def sessions_find_pattern(
        self, regex: str, lines: int | None = None
    ) -> list[SessionMatches]: ...
    def session_save(
        self,
        name: str,
        file: StrPath | None = None,
        format: Literal["ctmux", "tmuxp"] = "ctmux",
        with_contents: bool = False,
        contents_lines: int | None = None,
        exclude_env: str | None = None,
        no_env: bool = False,
        include_secrets: bool = False,
        secret_patterns: list[str] | None = None,
    ) -> SaveReport: ...
    def session_restore(
        self,
        file: StrPath,
        name: str | None = None,
        dry_run: bool = False,
        no_exec: bool = False,
        replace: bool = False,
        keep_partial: bool = False,
    ) -> RestoreReport: ...
    def session_snapshots(self, name: str | None = None) -> list[SnapshotEntry]: ...
    def session_snapshot_delete(self, file: StrPath) -> None: ...
    def subscribe(
        self,
        session: str | None = None,
        pane: str | None = None,
        kinds: list[str] | None = None,
        pattern: str | None = None,
        *,
        local: bool = False,
    ) -> Subscription: ...
    def daemon_start(
        self, program: StrPath | None = None, args: list[str] | None = None
    ) -> DaemonStartReport: ...
    def daemon_stop(self) -> bool: ...
    def daemon_status(self) -> DaemonStatus: ...
    def daemon_logs(self, n: int = 20) -> list[Event]: ...
    def autosave(self, session: str, interval: int) -> None: ...
    def autosave_stop(self, session: str) -> bool: ...

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

# --- errors (src/errors.rs) --------------------------------------------------------------

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
