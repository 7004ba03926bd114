"""Groups, dependencies, health, snapshots and metrics through the bindings."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import ctmux
from helpers import TIMEOUT


def test_groups_and_dependencies(client: ctmux.Client, session: ctmux.Session) -> None:
    info = client.group_create("web", meta={"team": "infra"})
    assert (info["name"], info["metadata"], info["members"]) == ("web", {"team": "infra"}, [])
    client.session_create("db")
    client.group_add("web", "t")
    client.group_add("web", "db")
    client.group_add("web", "api", command="sleep 300")
    client.session_depends("t", "db")
    assert client.start_order("web").index("db") < client.start_order("web").index("t")
    [group] = client.group_list("web")
    members = {m["name"]: m for m in group["members"]}
    assert members["t"]["status"] == "live" and members["t"]["depends_on"] == ["db"]
    assert members["api"]["status"] == "missing"
    assert members["api"]["start"] == {"command": "sleep 300"}
    assert [g["name"] for g in client.group_list()] == ["web"]

    up = client.group_up("web", timeout=TIMEOUT)
    assert up["failure"] is None
    assert {s["session"] for s in up["steps"]} >= {"api"}
    runs = client.group_exec("web", "echo hi", wait=True, timeout=TIMEOUT)
    done = {r["session"]: r for r in runs}
    assert done["t"]["status"] == "ok" and done["t"]["output"] == "hi\n"
    assert done["api"]["status"] == "error"  # busy running sleep

    overview = client.sessions_list_all()
    assert {s["name"] for s in overview["sessions"]} == {"t", "db", "api"}
    assert client.panes_count_global() == {"pane_count": 3, "session_count": 3}
    found = client.sessions_find_pattern("^hi$")
    assert {m["name"] for m in found} >= {"t", "db"}

    client.session_depends_remove("t", "db")
    client.group_remove("web", "db")
    kills = client.group_kill("web")
    assert {k["session"]: k["status"] for k in kills} == {"t": "killed", "api": "killed"}
    client.group_delete("web")
    assert client.group_list() == []

    with pytest.raises(ctmux.NotFoundError):
        client.group_add("nope", "db")
    with pytest.raises(ctmux.NotFoundError):
        client.group_list("nope")


def test_health(client: ctmux.Client, session: ctmux.Session) -> None:
    report = client.session_health("t")
    assert (report["session"], report["health"], report["reasons"]) == ("t", "healthy", [])
    assert client.session_wait_healthy("t", timeout=TIMEOUT)["health"] == "healthy"
    missing = client.session_health("gone")
    assert missing["health"] == "unhealthy"
    assert [r["kind"] for r in missing["reasons"]] == ["missing"]

    with pytest.raises(ctmux.TimeoutError):
        client.session_wait_healthy("gone", timeout=0.3)
    with pytest.raises(ctmux.InvalidInputError):
        client.session_health("bad:name")


def test_snapshots(client: ctmux.Client, session: ctmux.Session, tmp_path: Path) -> None:
    session.pane_create("side")
    saved = client.session_save("t")
    assert (saved["session"], saved["format"], saved["panes"]) == ("t", "ctmux", 2)
    [entry] = client.session_snapshots("t")
    assert entry["file"] == saved["file"] and entry["error"] is None

    dry = client.session_restore(saved["file"], name="copy", dry_run=True)
    assert dry["dry_run"] and dry["session_id"] is None
    restored = client.session_restore(saved["file"], name="copy")
    assert restored["session"] == "copy"
    assert client.session("copy").pane_count() == 2

    file = tmp_path / "t.json"
    assert client.session_save("t", file=file)["file"] == str(file)
    client.session_snapshot_delete(saved["file"])
    assert client.session_snapshots() == []

    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text("{ not json")
    with pytest.raises(ctmux.CorruptError):
        client.session_restore(corrupt)
    with pytest.raises(ctmux.InvalidInputError):
        client.session_save("t", format="yaml")  # type: ignore[arg-type]


def test_snapshot_secrets(client: ctmux.Client, session: ctmux.Session, tmp_path: Path) -> None:
    """Secrets are redacted by value unless ``include_secrets``; extra patterns are regexes."""
    token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    result = session.pane(0).run(f"export GH={token}; echo ok", timeout=TIMEOUT)
    assert result.exit_code == 0
    file = tmp_path / "s.json"
    saved = client.session_save("t", file=file, secret_patterns=[r"echo (?P<s>ok)"])
    assert "window 0 pane 0 history" in saved["redacted"]
    text = file.read_text()
    assert token not in text and "echo [REDACTED]" in text
    kept = client.session_save("t", file=tmp_path / "k.json", include_secrets=True)
    assert kept["redacted"] == [] and token in (tmp_path / "k.json").read_text()
    with pytest.raises(ctmux.InvalidInputError):
        client.session_save("t", file=tmp_path / "x.json", secret_patterns=["("])
    assert not (tmp_path / "x.json").exists()


def test_metrics(session: ctmux.Session, pane: ctmux.Pane) -> None:
    m = pane.metrics(interval_ms=20, processes=True)
    assert m["pane_id"] == pane.id
    assert m["process_count"] >= 1 and m["memory_mb"] > 0
    assert any(p["pid"] == pane.info().pid for p in m.get("processes", []))
    s = session.metrics(interval_ms=20)
    assert [p["pane_id"] for p in s["panes"]] == [pane.id]
    assert s["total"]["pane_id"] == ""

    # The client's sampler is shared: a later reading rates over a kept sample instead of
    # taking a fresh 1 s pair.
    cold = pane.metrics(interval_ms=1000)
    assert cold["sample_interval_ms"] >= 1000
    time.sleep(0.08)
    warm = pane.metrics(interval_ms=1000)
    assert 50 <= warm["sample_interval_ms"] < 1000, warm

    for bad in (5, -1):
        with pytest.raises(ctmux.InvalidInputError):
            pane.metrics(interval_ms=bad)
    with pytest.raises(ctmux.InvalidInputError):
        session.metrics(interval_ms=120_000)
