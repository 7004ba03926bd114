"""Error mapping: each core ErrorKind raises its own class, also a matching builtin."""

from __future__ import annotations

import builtins
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import ctmux
from ctmux import exceptions

# class, the builtin it also is (or None), kind name
HIERARCHY: list[tuple[type[ctmux.CtmuxError], type[BaseException] | None, str]] = [
    (ctmux.NotFoundError, LookupError, "NotFound"),
    (ctmux.AlreadyExistsError, None, "AlreadyExists"),
    (ctmux.InvalidInputError, ValueError, "InvalidInput"),
    (ctmux.TimeoutError, builtins.TimeoutError, "Timeout"),
    (ctmux.BusyError, None, "Busy"),
    (ctmux.ServerUnavailableError, ConnectionError, "ServerUnavailable"),
    (ctmux.PermissionDeniedError, PermissionError, "PermissionDenied"),
    (ctmux.CorruptError, None, "Corrupt"),
    (ctmux.UnsupportedError, None, "Unsupported"),
    (ctmux.IoError, OSError, "Io"),
    (ctmux.TmuxError, None, "Tmux"),
]


@pytest.mark.parametrize(("cls", "builtin", "kind"), HIERARCHY, ids=[h[2] for h in HIERARCHY])
def test_hierarchy(
    cls: type[ctmux.CtmuxError], builtin: type[BaseException] | None, kind: str
) -> None:
    assert issubclass(cls, ctmux.CtmuxError)
    assert issubclass(cls, Exception)
    if builtin is not None:
        assert issubclass(cls, builtin)
    assert cls.kind == kind
    assert cls.__module__ == "ctmux"
    assert getattr(exceptions, cls.__name__) is cls


def test_every_class_is_exported() -> None:
    assert set(exceptions.__all__) == {c.__name__ for c, _, _ in HIERARCHY} | {"CtmuxError"}
    assert ctmux.TimeoutError is not builtins.TimeoutError


Trigger = Callable[[ctmux.IsolatedServer, ctmux.Client, Path], object]


def _closed_server(server: ctmux.IsolatedServer, client: ctmux.Client, tmp: Path) -> object:
    server.close()
    return server.client()


def _symlinked_state_dir(server: ctmux.IsolatedServer, client: ctmux.Client, tmp: Path) -> object:
    (tmp / "real").mkdir()
    os.symlink(tmp / "real", tmp / "link")
    return server.client(state_dir=tmp / "link")


def _state_dir_under_a_file(
    server: ctmux.IsolatedServer, client: ctmux.Client, tmp: Path
) -> object:
    (tmp / "file").write_text("x")
    return server.client(state_dir=tmp / "file" / "state")


def _duplicate_session(server: ctmux.IsolatedServer, client: ctmux.Client, tmp: Path) -> object:
    client.session_create("dup")
    return client.session_create("dup")


def _slow_command(server: ctmux.IsolatedServer, client: ctmux.Client, tmp: Path) -> object:
    return client.session_create("slow").pane(0).run("echo started; sleep 30", timeout=0.5)


def _busy_pane(server: ctmux.IsolatedServer, client: ctmux.Client, tmp: Path) -> object:
    pane = client.session_create("busy").pane(0)
    pane.exec("sleep 30")
    return pane.exec("true")


def _no_room_for_a_pane(server: ctmux.IsolatedServer, client: ctmux.Client, tmp: Path) -> object:
    # tmux itself refuses to split a tiny window again and again.
    session = client.session_create("tiny", width=20, height=5)
    for _ in range(20):
        session.pane_create()
    return None


# kind -> (class, builtin, how to trigger it for real)
TRIGGERS: list[tuple[str, type[ctmux.CtmuxError], type[BaseException] | None, Trigger]] = [
    ("NotFound", ctmux.NotFoundError, LookupError, lambda s, c, t: c.session_kill("nope")),
    ("NotFound-pane", ctmux.NotFoundError, LookupError,
     lambda s, c, t: c.session_create("p").pane(7)),
    ("NotFound-cwd", ctmux.NotFoundError, LookupError,
     lambda s, c, t: c.session_create("c", cwd=t / "missing")),
    ("AlreadyExists", ctmux.AlreadyExistsError, None, _duplicate_session),
    ("InvalidInput", ctmux.InvalidInputError, ValueError,
     lambda s, c, t: c.session_create("bad:name")),
    ("Timeout", ctmux.TimeoutError, builtins.TimeoutError, _slow_command),
    ("Busy", ctmux.BusyError, None, _busy_pane),
    ("Tmux", ctmux.TmuxError, None, _no_room_for_a_pane),
    ("ServerUnavailable", ctmux.ServerUnavailableError, ConnectionError, _closed_server),
    ("PermissionDenied", ctmux.PermissionDeniedError, PermissionError, _symlinked_state_dir),
    ("Io", ctmux.IoError, OSError, _state_dir_under_a_file),
]


@pytest.mark.parametrize(
    ("name", "cls", "builtin", "trigger"), TRIGGERS, ids=[t[0] for t in TRIGGERS]
)
def test_each_kind_for_real(
    server: ctmux.IsolatedServer,
    client: ctmux.Client,
    tmp_path: Path,
    name: str,
    cls: type[ctmux.CtmuxError],
    builtin: type[BaseException] | None,
    trigger: Trigger,
) -> None:
    with pytest.raises(cls) as info:
        trigger(server, client, tmp_path)
    err = info.value
    assert isinstance(err, ctmux.CtmuxError)
    if builtin is not None:
        assert isinstance(err, builtin)
    assert err.kind == name.split("-")[0]
    assert str(err)  # a message, never empty


def test_timeout_keeps_partial_output(client: ctmux.Client) -> None:
    with pytest.raises(ctmux.TimeoutError) as info:
        _slow_command(None, client, Path())  # type: ignore[arg-type]
    assert isinstance(info.value.partial_output, str)
    assert "started" in info.value.partial_output


def test_catch_by_builtin(client: ctmux.Client) -> None:
    with pytest.raises(LookupError):
        client.session_kill("missing")
    with pytest.raises(ValueError):
        client.session_create("")


def test_errors_from_threads(client: ctmux.Client) -> None:
    # The GIL is released during calls: errors raised from several threads map the same way.
    failures: list[BaseException] = []

    def work() -> None:
        try:
            client.session_kill("missing")
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(failures) == 4
    assert all(isinstance(f, ctmux.NotFoundError) for f in failures)
