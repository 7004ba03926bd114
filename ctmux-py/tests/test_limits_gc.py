"""Resource limits, GC and the daemon's metrics history, through the binding."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import ctmux
from ctmux.limits_types import GcAction
from helpers import TIMEOUT


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """A state dir the test can look into (its ``gc.json``)."""
    return tmp_path / "state"


@pytest.fixture
def gc_client(server: ctmux.IsolatedServer, state_dir: Path) -> ctmux.Client:
    """A client of the test's server whose state dir is ``state_dir``."""
    return server.client(state_dir=state_dir)


def _next_second() -> None:
    """Sleep until tmux's second-resolution clock has moved past now."""
    time.sleep(1.02 - (time.time() % 1.0))


# ---- limits ---------------------------------------------------------------------------------


def test_limits_round_trip(pane: ctmux.Pane) -> None:
    fresh = pane.limits()
    assert fresh["pane_id"] == pane.id
    assert (fresh["cpu_percent"], fresh["memory_mb"]) == (None, None)
    assert fresh["action"] == "enforce"

    set_mem = pane.set_limit("memory", 100, mode="notify", grace=2.5)
    assert set_mem["memory_mb"] == 100.0
    assert set_mem["cpu_percent"] is None
    assert set_mem["action"] == "notify"
    assert set_mem["grace_seconds"] == 2.5

    both = pane.set_limit("cpu", 50.5)
    assert (both["cpu_percent"], both["memory_mb"]) == (50.5, 100.0)
    assert both["action"] == "notify"  # mode kept when not given
    assert pane.limits() == both

    no_cpu = pane.clear_limit("cpu")
    assert (no_cpu["cpu_percent"], no_cpu["memory_mb"]) == (None, 100.0)
    assert pane.clear_limit("cpu") == no_cpu  # clearing what is not set is fine

    cleared = pane.clear_limit()
    assert cleared == fresh


BAD_LIMITS: list[tuple[str, Callable[[ctmux.Pane], object]]] = [
    ("unknown kind", lambda p: p.set_limit("disk", 10)),  # type: ignore[arg-type]
    ("negative value", lambda p: p.set_limit("memory", -1)),
    ("zero value", lambda p: p.set_limit("cpu", 0)),
    ("nan value", lambda p: p.set_limit("cpu", float("nan"))),
    ("unknown mode", lambda p: p.set_limit("cpu", 10, mode="kill")),  # type: ignore[arg-type]
    ("negative grace", lambda p: p.set_limit("memory", 10, grace=-1.0)),
    ("clear unknown kind", lambda p: p.clear_limit("gpu")),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("call", [b[1] for b in BAD_LIMITS], ids=[b[0] for b in BAD_LIMITS])
def test_bad_limit_is_invalid_input(pane: ctmux.Pane, call: Callable[[ctmux.Pane], object]) -> None:
    with pytest.raises(ctmux.InvalidInputError) as info:
        call(pane)
    assert info.value.kind == "InvalidInput"
    assert isinstance(info.value, ValueError)
    # Nothing was changed.
    assert pane.limits()["cpu_percent"] is None
    assert pane.limits()["memory_mb"] is None


def test_limits_of_a_gone_pane_are_not_found(session: ctmux.Session) -> None:
    pane = session.pane_create()
    pane.kill()
    calls: list[Callable[[], object]] = [
        lambda: pane.set_limit("memory", 100),
        pane.limits,
        lambda: pane.clear_limit(None),
    ]
    for call in calls:
        with pytest.raises(ctmux.NotFoundError) as info:
            call()
        assert info.value.kind == "NotFound"


# ---- GC ---------------------------------------------------------------------------------------


def test_gc_enable_status_disable(gc_client: ctmux.Client) -> None:
    status = gc_client.gc_status()
    assert status["config"]["enabled"] is False
    assert status["next_run_ms"] is None
    assert status["last_run"] is None

    config = gc_client.gc_enable(ttl="2h")
    assert config["enabled"] is True
    assert config["ttl_seconds"] == 7200
    assert gc_client.gc_enable(ttl=90)["ttl_seconds"] == 90
    assert gc_client.gc_enable()["ttl_seconds"] == 90  # ttl kept when not given

    status = gc_client.gc_status()
    assert status["config"] == gc_client.gc_enable()
    assert isinstance(status["next_run_ms"], int)
    assert status["plan"]["actions"] == []

    disabled = gc_client.gc_disable()
    assert disabled["enabled"] is False
    assert disabled["ttl_seconds"] == 90
    assert gc_client.gc_status()["next_run_ms"] is None


@pytest.mark.parametrize("ttl", [0, -5, "soon", "10x", ""])
def test_gc_bad_ttl_is_invalid_input(gc_client: ctmux.Client, ttl: int | str) -> None:
    with pytest.raises(ctmux.InvalidInputError) as info:
        gc_client.gc_enable(ttl=ttl)
    assert info.value.kind == "InvalidInput"
    assert gc_client.gc_status()["config"]["enabled"] is False


def _killed_sessions(actions: list[GcAction]) -> list[str]:
    return [a.get("session", "") for a in actions if a["action"] == "kill_session"]


def test_gc_dry_run_then_run_idle_session_keep_protects(
    gc_client: ctmux.Client, state_dir: Path
) -> None:
    gc_client.gc_enable(ttl=1)
    # Shrink the "recent output" window too (5 min by default; no API sets it): edit the file.
    path = state_dir / "gc.json"
    state = json.loads(path.read_text())
    state["config"]["recent_seconds"] = 1
    path.write_text(json.dumps(state))

    gc_client.session_create("idle")
    kept = gc_client.session_create("kept")
    assert kept.keep is False
    kept.set_keep(True)
    assert kept.keep is True
    _next_second()
    _next_second()

    dry = gc_client.gc_run(dry_run=True)
    assert dry["dry_run"] is True
    assert dry["force"] is False
    assert _killed_sessions(dry["actions"]) == ["idle"], dry
    protected = {p["session"]: p["reasons"] for p in dry["protected"]}
    assert "keep" in protected["kept"], dry
    # A dry run changes nothing.
    assert sorted(s.name for s in gc_client.sessions()) == ["idle", "kept"]
    assert gc_client.gc_status()["last_run"] is None

    real = gc_client.gc_run()
    assert real["dry_run"] is False
    assert _killed_sessions(real["actions"]) == ["idle"], real
    assert real["skipped"] == []
    assert [s.name for s in gc_client.sessions()] == ["kept"]
    last = gc_client.gc_status()["last_run"]
    assert last is not None and last["done"] == len(real["actions"])

    kept.set_keep(False)
    assert kept.keep is False


def test_keep_of_a_gone_session_is_not_found(client: ctmux.Client) -> None:
    client.session_create("other")
    gone = client.session_create("gone")
    gone.kill()
    with pytest.raises(ctmux.NotFoundError):
        gone.set_keep(True)
    with pytest.raises(ctmux.NotFoundError):
        _ = gone.keep


GC_CALLS: list[tuple[str, Callable[[ctmux.Client], object]]] = [
    ("status", lambda c: c.gc_status()),
    ("run", lambda c: c.gc_run()),
    ("dry_run", lambda c: c.gc_run(dry_run=True)),
    ("enable", lambda c: c.gc_enable()),
    ("disable", lambda c: c.gc_disable()),
]


@pytest.mark.parametrize("call", [g[1] for g in GC_CALLS], ids=[g[0] for g in GC_CALLS])
def test_corrupt_gc_file_is_corrupt_error(
    gc_client: ctmux.Client, state_dir: Path, call: Callable[[ctmux.Client], object]
) -> None:
    gc_client.gc_disable()  # creates the state dir and gc.json
    path = state_dir / "gc.json"
    path.write_text("{ this is not json")
    with pytest.raises(ctmux.CorruptError) as info:
        call(gc_client)
    assert info.value.kind == "Corrupt"
    assert "gc.json" in str(info.value)
    assert path.read_text() == "{ this is not json"  # never overwritten


# ---- metrics history ---------------------------------------------------------------------------


def test_metrics_history_without_daemon_is_server_unavailable(pane: ctmux.Pane) -> None:
    with pytest.raises(ctmux.ServerUnavailableError) as info:
        pane.metrics_history()
    assert info.value.kind == "ServerUnavailable"
    assert isinstance(info.value, ConnectionError)
    with pytest.raises(ctmux.ServerUnavailableError):
        pane.metrics_history(seconds=60)


def test_metrics_history_bad_seconds_is_invalid_input(pane: ctmux.Pane) -> None:
    for seconds in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ctmux.InvalidInputError):
            pane.metrics_history(seconds=seconds)


def _ctmux_cli() -> Path | None:
    """The ``ctmux`` CLI binary built by ``cargo build -p ctmux-cli`` (``$CTMUX_CLI``, else the
    newest ``debug/ctmux`` under the cargo target dir), or ``None``."""
    if os.environ.get("CTMUX_CLI"):
        return Path(os.environ["CTMUX_CLI"])
    root = Path(__file__).resolve().parents[2]
    target = Path(os.environ.get("CARGO_TARGET_DIR") or root / "target")
    found = [p for p in [target / "debug" / "ctmux", *target.glob("*/debug/ctmux")] if p.is_file()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def test_metrics_history_from_a_running_daemon(
    server: ctmux.IsolatedServer, gc_client: ctmux.Client, state_dir: Path
) -> None:
    cli = _ctmux_cli()
    if cli is None:
        pytest.skip("no ctmux CLI binary: run `cargo build -p ctmux-cli` (or set CTMUX_CLI)")
    pane = gc_client.session_create("h").pane(0)
    base = [str(cli), "--socket-path", str(server.socket_path), "--state-dir", str(state_dir)]
    daemon = ["daemon", "start", "--metrics-interval", "1"]
    subprocess.run(base + daemon, check=True, stdout=subprocess.DEVNULL, timeout=TIMEOUT)
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            history = pane.metrics_history()
            if len(history["points"]) >= 2:
                break
            assert time.monotonic() < deadline, f"the daemon never sampled twice: {history}"
            time.sleep(0.2)
        assert history["pane_id"] == pane.id
        point = history["points"][-1]
        assert point["process_count"] >= 1
        assert isinstance(point["at_ms"], int) and isinstance(point["memory_mb"], float)
        recent = pane.metrics_history(seconds=3600)
        assert recent["summary"] is not None
        assert recent["summary"]["samples"] == len(recent["points"]) >= 2
        with pytest.raises(ctmux.InvalidInputError):
            pane.metrics_history(seconds=-1)
    finally:
        subprocess.run(
            base + ["daemon", "stop"], check=False, stdout=subprocess.DEVNULL, timeout=TIMEOUT
        )
    with pytest.raises(ctmux.ServerUnavailableError):
        pane.metrics_history()
