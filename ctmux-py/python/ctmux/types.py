"""Type aliases used in ctmux's signatures."""

import os
from typing import Any, Dict, List, Literal, Optional, TypedDict, Union

#: A path argument: ``str`` or any ``os.PathLike[str]`` (``pathlib.Path``, ...).
StrPath = Union[str, "os.PathLike[str]"]

#: A pane reference: its index (``0``), its tmux id (``"%3"``) or its label.
PaneRef = Union[int, str]

#: A signal: its number or ``signal.Signals`` member, or its name (``"SIGINT"``, ``"INT"``).
SignalRef = Union[int, str]


# -- Records of the orchestration API ------------------------------------------------------
# Groups, health, queries, snapshots and metrics return plain dicts: the core's records as
# serialized for the CLI's JSON (same keys). These TypedDicts describe them.

class StartSpec(TypedDict, total=False):
    """How ``Client.group_up`` starts a member (``command`` always present)."""

    command: str
    cwd: str
    pane: str


class MemberInfo(TypedDict):
    """A group member as listed."""

    name: str
    status: Literal["live", "missing"]
    session_id: Optional[str]
    panes: Optional[int]
    start: Optional[StartSpec]
    depends_on: List[str]


class GroupInfo(TypedDict):
    """A group as listed."""

    name: str
    created_at: Optional[str]
    metadata: Dict[str, str]
    members: List[MemberInfo]


class MemberExec(TypedDict):
    """What ``Client.group_exec`` did in one member."""

    session: str
    status: Literal["ok", "missing", "error"]
    pane_id: Optional[str]
    exec_id: Optional[str]
    exit_code: Optional[int]
    output: Optional[str]
    kind: Optional[str]
    error: Optional[str]


class MemberKill(TypedDict):
    """What ``Client.group_kill`` did to one member."""

    session: str
    status: Literal["killed", "missing"]


class UpStep(TypedDict):
    """One step of ``Client.group_up``."""

    session: str
    action: Literal["created", "started", "already_running", "existing", "external"]
    pane_id: Optional[str]
    exec_id: Optional[str]
    health: Optional[Literal["healthy", "degraded", "unhealthy"]]


class UpFailure(TypedDict):
    """The member ``Client.group_up`` failed on."""

    session: str
    kind: str
    reason: str


class GroupUp(TypedDict):
    """What ``Client.group_up`` did."""

    group: str
    order: List[str]
    steps: List[UpStep]
    failure: Optional[UpFailure]


class _ReasonBase(TypedDict):
    kind: Literal[
        "missing", "no_live_pane", "not_ready", "dead_pane", "exec_failed", "error_pattern"
    ]
    pane_id: Optional[str]
    message: str


class Reason(_ReasonBase, total=False):
    """Why a session is not healthy (``line``: the line that matched an error pattern)."""

    line: str


class HealthReport(TypedDict):
    """A session's health: its state (``health``) and the ``reasons`` behind it."""

    session: str
    health: Literal["healthy", "degraded", "unhealthy"]
    reasons: List[Reason]
    pane_count: int
    live_pane_count: int
    ready: Optional[bool]


class SessionOverview(TypedDict):
    """One session of ``Client.sessions_list_all`` (``panes``: PaneInfo fields as dicts)."""

    id: str
    name: str
    windows: int
    attached: int
    created: int
    activity: int
    panes: List[Dict[str, Any]]
    groups: List[str]
    depends_on: List[str]
    health: Literal["healthy", "degraded", "unhealthy"]
    reasons: List[Reason]


class MissingMember(TypedDict):
    """A group member that does not exist."""

    name: str
    groups: List[str]


class Overview(TypedDict):
    """Every live session, and group members that are missing."""

    sessions: List[SessionOverview]
    missing: List[MissingMember]


class PaneTotals(TypedDict):
    """Pane and session counts over the whole server."""

    pane_count: int
    session_count: int


class PaneMatches(TypedDict):
    """A pane with lines matching a pattern."""

    pane_id: str
    index: int
    window_index: int
    label: Optional[str]
    match_count: int
    lines: List[str]


class SessionMatches(TypedDict):
    """A session with panes matching a pattern."""

    name: str
    panes: List[PaneMatches]


class SaveReport(TypedDict):
    """What ``Client.session_save`` wrote."""

    file: str
    session: str
    format: Literal["ctmux", "tmuxp"]
    windows: int
    panes: int
    bytes: int
    with_contents: bool
    environment_excluded: List[str]
    """Environment names left out (their values were not saved)."""
    redacted: List[str]
    """Where a secret was replaced by ``[REDACTED]`` (``environment.NAME``,
    ``window 0 pane 1 command``, ``... history``, ``... contents``)."""
    pruned: List[str]
    warnings: List[str]


class SnapshotEntry(TypedDict):
    """A saved snapshot (``error``: why it cannot be restored, if it cannot)."""

    file: str
    session: str
    saved_at: str
    saved_at_ms: int
    bytes: int
    windows: int
    panes: int
    error: Optional[str]


class RestoredPane(TypedDict):
    """A pane a restore created (or would create)."""

    index: int
    pane_id: Optional[str]
    label: Optional[str]
    cwd: Optional[str]
    command: Optional[str]
    contents: bool
    metadata: Dict[str, str]
    history: List[str]


class RestoredWindow(TypedDict):
    """A window a restore created (or would create)."""

    index: int
    name: str
    layout: Optional[str]
    panes: List[RestoredPane]


class PlannedCommand(TypedDict):
    """A command a restore runs (or would run)."""

    window: int
    pane: int
    label: Optional[str]
    command: str


class RestoreReport(TypedDict):
    """What ``Client.session_restore`` did (or would do, with ``dry_run``)."""

    session: str
    session_id: Optional[str]
    file: Optional[str]
    source: Literal["ctmux", "tmuxp", "seed"]
    dry_run: bool
    replaced: bool
    windows: List[RestoredWindow]
    environment: Dict[str, str]
    commands: List[PlannedCommand]
    warnings: List[str]


class ProcessMetrics(TypedDict):
    """One process of a pane's tree."""

    pid: int
    ppid: int
    name: str
    cmdline: str
    cpu_percent: float
    memory_mb: float
    thread_count: int


class _PaneMetricsBase(TypedDict):
    pane_id: str
    cpu_percent: float
    memory_mb: float
    memory_percent: float
    io_read_kb: float
    io_write_kb: float
    uptime_seconds: float
    thread_count: int
    process_count: int
    sample_interval_ms: float


class PaneMetrics(_PaneMetricsBase, total=False):
    """CPU, memory and I/O of a pane's process tree (``processes`` when asked for)."""

    processes: List[ProcessMetrics]


class SessionMetrics(TypedDict):
    """Metrics of every pane of a session and their sum (``total``, empty ``pane_id``)."""

    total: PaneMetrics
    panes: List[PaneMetrics]


# -- Events and the daemon -----------------------------------------------------------------

#: An event from ``Subscription`` or ``Client.daemon_logs``: the JSON object the CLI prints,
#: as a dict. Always ``kind`` (``"session_created"``, ``"output"``, ``"pattern_matched"``,
#: ``"command_finished"``, ``"snapshot_saved"``, ...), ``seq`` and ``time_ms`` (ms since the
#: Unix epoch), then the kind's own fields (``session``, ``pane``, ``text``, ``line``,
#: ``exit_code``, ``file``, ...).
Event = Dict[str, Any]


class AutosaveStatus(TypedDict):
    """A session the daemon saves periodically, and how that goes."""

    session: str
    interval_seconds: int
    saves: int
    last_save_ms: Optional[int]
    last_file: Optional[str]
    last_error: Optional[str]


class DaemonStatus(TypedDict):
    """What ``Client.daemon_status`` reports."""

    running: bool
    pid: Optional[int]
    reachable: bool
    uptime_seconds: Optional[float]
    watched_sessions: List[str]
    watched_panes: int
    subscribers: int
    events: int
    server_running: bool
    socket: str
    log: str
    problem: Optional[str]
    autosaves: List[AutosaveStatus]


class DaemonStartReport(TypedDict):
    """What ``Client.daemon_start`` did."""

    started: bool
    """Whether the process this call launched is the running daemon."""
    already_running: bool
    """Whether another daemon was running (or won a concurrent start); exactly one of
    ``started`` and ``already_running`` is true."""
    removed_stale: bool
    status: DaemonStatus


__all__ = [
    "AutosaveStatus",
    "DaemonStartReport",
    "DaemonStatus",
    "Event",
    "GroupInfo",
    "GroupUp",
    "HealthReport",
    "MemberExec",
    "MemberInfo",
    "MemberKill",
    "MissingMember",
    "Overview",
    "PaneMatches",
    "PaneMetrics",
    "PaneRef",
    "PaneTotals",
    "PlannedCommand",
    "ProcessMetrics",
    "Reason",
    "RestoreReport",
    "RestoredPane",
    "RestoredWindow",
    "SaveReport",
    "SessionMatches",
    "SessionMetrics",
    "SessionOverview",
    "SignalRef",
    "SnapshotEntry",
    "StartSpec",
    "StrPath",
    "UpFailure",
    "UpStep",
]
