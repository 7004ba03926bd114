"""No user string is expanded by tmux through the Python bindings.

Values tmux would read as formats (``#(cmd)`` runs ``cmd``), separators or shell syntax go
through session names, cwds, labels, metadata and a snapshot restore; each is refused with
InvalidInputError (and nothing is created) or held by tmux exactly as given. The sentinel
files the ``#(touch ...)`` values would create never appear.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

import ctmux

CORPUS = [
    "a#(touch SENTINEL)b",
    "#(touch SENTINEL)",
    "a#{pane_pid}b",
    "#{session_id}",
    "a#[fg=red]b",
    "a##b",
    "#",
    "a\\;b",
    "a;b",
    ";x",
    "a$(touch SENTINEL)b",
    "a`touch SENTINEL`b",
    "a%H%%b",
    "a'b\"c",
    "é ü 日本",
]


def corpus(root: Path, use: str) -> list[str]:
    sentinels = root / "sentinels"
    sentinels.mkdir(exist_ok=True)
    return [v.replace("SENTINEL", str(sentinels / f"{use}-{i}")) for i, v in enumerate(CORPUS)]


def held(server: ctmux.IsolatedServer, *args: str) -> list[str]:
    out = subprocess.run(
        ["tmux", "-S", str(server.socket_path), *args], capture_output=True, text=True
    )
    return out.stdout.splitlines()


def no_sentinel(root: Path) -> None:
    time.sleep(0.3)  # `#(...)` jobs run in the background: give them time to have run
    assert list((root / "sentinels").iterdir()) == []


def test_names_cwds_labels_and_metadata_stay_literal(
    server: ctmux.IsolatedServer, client: ctmux.Client, tmp_path: Path
) -> None:
    client.session_create("keeper")
    for i, value in enumerate(corpus(tmp_path, "py")):
        try:
            s = client.session_create(value)
        except ctmux.InvalidInputError:
            assert value not in held(server, "list-sessions", "-F", "#{session_name}")
            s = client.session_create(f"n{i}")
        else:
            assert s.name == value
            assert value in held(server, "list-sessions", "-F", "#{session_name}")
        d = tmp_path / "dirs" / value.replace("/", "_")
        d.mkdir(parents=True)
        c = client.session_create(f"c{i}", cwd=d)
        assert c.pane(0).info().cwd == str(d)
        pane = s.pane(0)
        try:
            pane.set_label(value)
        except ctmux.InvalidInputError:
            pass
        else:
            assert pane.label() == value
        pane.metadata_set("k", value)
        assert pane.metadata_get("k") == value
    no_sentinel(tmp_path)


def test_snapshot_restore_stays_literal(
    server: ctmux.IsolatedServer, client: ctmux.Client, tmp_path: Path
) -> None:
    client.session_create("keeper")
    for i, value in enumerate(corpus(tmp_path, "snap")):
        snap = {
            "format": "ctmux-snapshot",
            "version": 1,
            "session_name": f"s{i}",
            "environment": {"CTMUX_ADV": value},
            "windows": [
                {"index": 0, "name": value, "panes": [{"index": 0, "metadata": {"k": value}}]}
            ],
        }
        f = tmp_path / f"{i}.json"
        f.write_text(json.dumps(snap))
        dry = client.session_restore(f, dry_run=True)
        assert dry["windows"][0]["name"] == value
        assert dry["environment"]["CTMUX_ADV"] == value
        report = client.session_restore(f, no_exec=True)
        sid = report["session_id"]
        assert sid is not None
        assert held(server, "list-windows", "-t", sid, "-F", "#{window_name}") == [value]
        assert held(server, "show-environment", "-t", sid, "CTMUX_ADV") == [f"CTMUX_ADV={value}"]
        assert client.session(f"s{i}").pane(0).metadata_get("k") == value
    no_sentinel(tmp_path)


def test_bad_names_create_nothing(server: ctmux.IsolatedServer, client: ctmux.Client) -> None:
    client.session_create("keeper")
    for value in ["a:b", "a.b", "a\nb", "-x", ""]:
        with pytest.raises(ctmux.InvalidInputError):
            client.session_create(value)
    assert [s.name for s in client.sessions()] == ["keeper"]
