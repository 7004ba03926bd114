"""Sessions: create, list, kill; the isolated server guard."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ctmux


def test_version() -> None:
    assert isinstance(ctmux.__version__, str)
    assert ctmux.__version__.count(".") == 2


def test_list_empty_without_server(client: ctmux.Client) -> None:
    assert client.session_list() == []


def test_create_list_kill(client: ctmux.Client) -> None:
    created = client.session_create("alpha")
    assert created["name"] == "alpha"
    assert created["id"].startswith("$")
    client.session_create("beta", width=100, height=30)

    sessions = {s["name"]: s for s in client.session_list()}
    assert set(sessions) == {"alpha", "beta"}
    alpha = sessions["alpha"]
    assert alpha["id"] == created["id"]
    assert alpha["windows"] == 1
    assert alpha["panes"] == 1
    assert alpha["attached"] == 0
    assert isinstance(alpha["created"], int)

    client.session_kill("alpha")
    assert [s["name"] for s in client.session_list()] == ["beta"]


def test_create_with_cwd(client: ctmux.Client, tmp_path: Path) -> None:
    client.session_create("here", cwd=tmp_path)
    result = client.pane_run("here", 0, "pwd", timeout=30)
    assert Path(result.output.strip()).resolve() == tmp_path.resolve()


def test_client_by_socket_path(server: ctmux.IsolatedServer, tmp_path: Path) -> None:
    server.client(state_dir=tmp_path / "a").session_create("shared")
    other = ctmux.Client(socket_path=server.socket_path, state_dir=tmp_path / "b")
    assert [s["name"] for s in other.session_list()] == ["shared"]


def test_isolated_server_close_removes_socket_dir() -> None:
    with ctmux.IsolatedServer() as server:
        server.client().session_create("x")
        socket = Path(server.socket_path)
        assert socket.exists()
        assert not server.closed
    assert server.closed
    assert not socket.parent.exists()
    server.close()  # twice is harmless
    with pytest.raises(ctmux.ServerUnavailableError):
        server.client()


def test_isolated_server_never_uses_default_socket() -> None:
    with ctmux.IsolatedServer() as server:
        path = os.fspath(server.socket_path)
        assert "ctmux-srv-" in path
        assert "IsolatedServer(" in repr(server)
