"""Records of the limits, GC and metrics-history API (``Pane.set_limit``, ``Client.gc_run``,
``Pane.metrics_history``, ...).

They are plain dicts: the core's records as serialized for the CLI's JSON (same keys). These
TypedDicts describe them.
"""

from typing import List, Literal, Optional, TypedDict, Union

#: A limit kind: CPU (percent of one core) or resident memory (MiB). (A Union of one-value
#: Literals rather than one Literal: mypy.stubtest wants a Union at run time.)
LimitKind = Union[Literal["cpu"], Literal["memory"]]

#: What happens over a limit: signal the job, or only report.
LimitMode = Union[Literal["enforce"], Literal["notify"]]


class PaneLimits(TypedDict):
    """A pane's limits as stored (``None``: not set)."""

    pane_id: str
    cpu_percent: Optional[float]
    memory_mb: Optional[float]
    action: LimitMode
    grace_seconds: float


class GcConfig(TypedDict):
    """GC settings (``gc.json`` in the state dir)."""

    enabled: bool
    ttl_seconds: int
    recent_seconds: int
    interval_seconds: int
    dead_pane_seconds: int
    snapshot_keep_last: int
    snapshot_max_age_seconds: int
    event_log_max_age_seconds: int


class GcLastRun(TypedDict):
    """Summary of the last real GC run."""

    at_ms: int
    done: int
    skipped: int
    force: bool


class _GcActionBase(TypedDict):
    action: Literal[
        "kill_session",
        "kill_dead_pane",
        "drop_group_member",
        "drop_dependency",
        "drop_health",
        "delete_snapshot",
        "delete_event_log",
        "delete_leftover",
    ]


class GcAction(_GcActionBase, total=False):
    """One thing a GC run removes; the keys besides ``action`` depend on it."""

    session: str
    session_id: str
    idle_seconds: int
    pane_id: str
    dead_seconds: Optional[int]
    group: str
    needs: str
    file: str
    age_seconds: int
    kind: Literal["exec_file_of_gone_pane", "temp_file"]


class GcSkipped(GcAction):
    """A planned action that was not done, and why."""

    reason: str


class GcProtected(TypedDict):
    """A live session no GC rule may touch (``keep``, ``running job``, ...)."""

    session: str
    reasons: List[str]


class GcReport(TypedDict):
    """What ``Client.gc_run`` did (or, as a dry run, would do)."""

    dry_run: bool
    force: bool
    actions: List[GcAction]
    skipped: List[GcSkipped]
    protected: List[GcProtected]
    at_ms: int


class GcPlan(TypedDict):
    """What a GC run would do now."""

    actions: List[GcAction]
    protected: List[GcProtected]


class GcStatus(TypedDict):
    """``Client.gc_status``: config, last run, next scheduled run (Unix ms) and the plan."""

    config: GcConfig
    last_run: Optional[GcLastRun]
    next_run_ms: Optional[int]
    plan: GcPlan


class HistoryPoint(TypedDict):
    """One sample the daemon took of a pane."""

    at_ms: int
    cpu_percent: float
    memory_mb: float
    memory_percent: float
    io_read_kb: float
    io_write_kb: float
    thread_count: int
    process_count: int


class HistorySummary(TypedDict):
    """Summary of the points returned."""

    samples: int
    cpu_avg: float
    cpu_max: float
    memory_avg_mb: float
    memory_max_mb: float


class MetricsHistory(TypedDict):
    """``Pane.metrics_history``: the daemon's samples of the pane (``summary`` is ``None``
    without points)."""

    pane_id: str
    points: List[HistoryPoint]
    summary: Optional[HistorySummary]


__all__ = [
    "GcAction",
    "GcConfig",
    "GcLastRun",
    "GcPlan",
    "GcProtected",
    "GcReport",
    "GcSkipped",
    "GcStatus",
    "HistoryPoint",
    "HistorySummary",
    "LimitKind",
    "LimitMode",
    "MetricsHistory",
    "PaneLimits",
]
