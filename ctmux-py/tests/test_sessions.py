"""Sessions: create, look up, list, kill, the context manager; the isolated server guard."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ctmux
from helpers import TIMEOUT


def test_version() -> None:
    assert isinstance(ctmux.__version__, str)
    assert ctmux.__version__.count(".") == 2


def test_list_empty_without_server(client: ctmux.Client) -> None:
    assert client.sessions() == []


def test_create_list_kill(client: ctmux.Client) -> None:
    alpha = client.session_create("alpha")
    assert isinstance(alpha, ctmux.Session)
    assert alpha.name == "alpha"
    assert alpha.id.startswith("$")
    client.session_create("beta", width=100, height=30)

    sessions = {s.name: s for s in client.sessions()}
    assert set(sessions) == {"alpha", "beta"}
    info = sessions["alpha"]
    assert isinstance(info, ctmux.SessionInfo)
    assert (info.id, info.windows, info.panes, info.attached) == (alpha.id, 1, 1, 0)
    assert isinstance(info.created, int) and isinstance(info.activity, int)
    assert "SessionInfo(id=" in repr(info)

    client.session_kill("alpha")
    assert [s.name for s in client.sessions()] == ["beta"]
    client.session("beta").kill()
    assert client.sessions() == []


def test_lookup_by_name_gives_the_same_id(client: ctmux.Client) -> None:
    created = client.session_create("api")
    found = client.session("api")
    assert (found.id, found.name) == (created.id, "api")
    assert isinstance(found.client, ctmux.Client)
    assert repr(found) == f"Session(id={found.id!r}, name='api')"


def test_missing_session_is_not_found(client: ctmux.Client) -> None:
    client.session_create("apiary")
    with pytest.raises(ctmux.NotFoundError):
        client.session("api")  # exact names, never a prefix
    with pytest.raises(ctmux.NotFoundError):
        client.session_kill("api")


def test_context_manager_kills_the_session(client: ctmux.Client) -> None:
    client.session_create("keep")  # the server stays up throughout
    with client.session_create("scoped") as s:
        assert s.pane(0).run("echo in", timeout=TIMEOUT).output == "in\n"
    assert [s.name for s in client.sessions()] == ["keep"]
    # Killed inside the block already: leaving it is still fine.
    with client.session_create("gone") as s:
        s.kill()
    with pytest.raises(RuntimeError), client.session_create("raises"):
        raise RuntimeError("the block's own error propagates")
    assert [s.name for s in client.sessions()] == ["keep"]


def test_create_with_cwd(client: ctmux.Client, tmp_path: Path) -> None:
    s = client.session_create("here", cwd=tmp_path)
    result = s.pane(0).run("pwd", timeout=TIMEOUT)
    assert Path(result.output.strip()).resolve() == tmp_path.resolve()


def test_duplicate_name_is_already_exists(client: ctmux.Client) -> None:
    client.session_create("dup")
    with pytest.raises(ctmux.AlreadyExistsError):
        client.session_create("dup")


def test_client_by_socket_path(server: ctmux.IsolatedServer, tmp_path: Path) -> None:
    server.client(state_dir=tmp_path / "a").session_create("shared")
    other = ctmux.Client(socket_path=server.socket_path, state_dir=tmp_path / "b")
    assert [s.name for s in other.sessions()] == ["shared"]
    assert "Client(" in repr(other)


def test_state_sync(client: ctmux.Client, session: ctmux.Session) -> None:
    session.pane(0).run("true", timeout=TIMEOUT)
    report = client.state_sync()
    assert isinstance(report, ctmux.SyncReport)
    assert (report.session_count, report.pane_count) == (1, 1)
    assert isinstance(report.dropped, list)


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


def test_backend_choice(server: ctmux.IsolatedServer, tmp_path: Path) -> None:
    """``backend="control"`` keeps one control-mode connection; a bad name is refused."""
    for backend in ("process", "control"):
        client = ctmux.Client(
            socket_path=server.socket_path, state_dir=str(tmp_path), backend=backend
        )
        session = client.session_create(f"b-{backend}")
        result = session.pane(0).run("echo via; (exit 5)", timeout=TIMEOUT)
        assert (result.exit_code, result.output) == (5, "via\n")
    with pytest.raises(ctmux.InvalidInputError):
        ctmux.Client(socket_path=server.socket_path, backend="carrier-pigeon")  # type: ignore[arg-type]


def test_ready_timeout(
    server: ctmux.IsolatedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ready_timeout`` (seconds) beats ``$CTMUX_READY_TIMEOUT``, which beats the default (30);
    a bad value of either is InvalidInputError."""
    sock = server.socket_path
    server.client().session_create("keeper")  # the server starts with its pinned shell
    monkeypatch.delenv("CTMUX_READY_TIMEOUT", raising=False)
    assert ctmux.Client(socket_path=sock, state_dir=tmp_path).ready_timeout == 30.0
    client = ctmux.Client(socket_path=sock, state_dir=tmp_path, ready_timeout=45)
    assert client.ready_timeout == 45.0
    client = ctmux.Client(socket_path=sock, state_dir=tmp_path, ready_timeout=2.5)
    assert client.ready_timeout == 2.5
    result = client.session_create("rt").pane(0).run("echo ready", timeout=TIMEOUT)
    assert (result.exit_code, result.output) == (0, "ready\n")
    for bad in (0, 0.0, -1, float("nan"), float("inf"), 86_401):
        with pytest.raises(ctmux.InvalidInputError, match="ready timeout"):
            ctmux.Client(socket_path=sock, state_dir=tmp_path, ready_timeout=bad)
    with pytest.raises(TypeError):
        ctmux.Client(socket_path=sock, ready_timeout="45")  # type: ignore[arg-type]

    monkeypatch.setenv("CTMUX_READY_TIMEOUT", "12.5")
    assert ctmux.Client(socket_path=sock, state_dir=tmp_path).ready_timeout == 12.5
    monkeypatch.setenv("CTMUX_READY_TIMEOUT", "abc")
    with pytest.raises(ctmux.InvalidInputError, match="CTMUX_READY_TIMEOUT"):
        ctmux.Client(socket_path=sock, state_dir=tmp_path)
    # The option wins: the variable is not read then.
    client = ctmux.Client(socket_path=sock, state_dir=tmp_path, ready_timeout=45)
    assert client.ready_timeout == 45.0


def test_relative_paths_are_made_absolute(
    server: ctmux.IsolatedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative ``socket_path`` and ``state_dir`` are taken from the cwd at ``Client(...)``:
    an exec in a pane whose cwd is elsewhere still finds its files, after a ``chdir`` too."""
    sock = Path(server.socket_path)
    server.client().session_create("keeper")  # the server starts with its pinned shell
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(sock.parent)
    client = ctmux.Client(socket_path=sock.name, state_dir="rel-state")
    monkeypatch.chdir(tmp_path)
    assert os.fspath(sock) in repr(client)
    session = client.session_create("rel", cwd=elsewhere)
    result = session.pane(0).run("echo hi", timeout=TIMEOUT)
    assert (result.exit_code, result.output) == (0, "hi\n")
    assert (sock.parent / "rel-state").is_dir()
    with pytest.raises(ctmux.InvalidInputError):
        ctmux.Client(socket_path=sock, state_dir="")
    with pytest.raises(ctmux.InvalidInputError):
        ctmux.Client(socket_path="", state_dir=tmp_path)
