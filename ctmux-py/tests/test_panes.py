"""Panes: create (labelled, with a layout), find by index, id or label, list, count, kill."""

from __future__ import annotations

import pytest

import ctmux
from helpers import TIMEOUT


def test_pane_by_index_id_and_label(session: ctmux.Session) -> None:
    first = session.pane(0)
    assert first.id.startswith("%")
    web = session.pane_create("web")
    assert web.id != first.id
    assert session.pane(first.id).id == first.id
    assert session.pane("0").id == first.id
    assert session.pane("web").id == web.id
    assert session.pane_find("web").id == web.id
    assert web.label() == "web"
    assert first.label() is None
    assert web.session.id == session.id
    assert repr(web) == f"Pane(id={web.id!r}, session='t')"


def test_list_and_count(session: ctmux.Session) -> None:
    session.pane_create()
    session.pane_create("db")
    panes = session.panes()
    assert len(panes) == session.pane_count() == 3
    assert all(isinstance(p, ctmux.PaneInfo) for p in panes)
    assert [p.label for p in panes].count("db") == 1
    info = panes[0]
    assert info.pane_id.startswith("%") and info.window_id.startswith("@")
    assert info.pid > 0 and info.width > 0 and info.height > 0
    assert not info.dead and info.dead_status is None and not info.running


def test_layout(session: ctmux.Session) -> None:
    pane = session.pane_create_with_layout("side", "main-vertical")
    assert session.pane_find("side").id == pane.id
    with pytest.raises(ctmux.InvalidInputError):
        session.pane_create_with_layout("other", "no-such-layout")
    assert session.pane_count() == 2  # the refused pane was not left behind


def test_info_status_running(pane: ctmux.Pane) -> None:
    info = pane.info()
    assert info.pane_id == pane.id
    assert pane.is_running() is False
    pane.run("true", timeout=TIMEOUT)
    status = pane.status()
    assert isinstance(status, ctmux.PaneStatus)
    assert status.info.pane_id == pane.id
    assert (status.exec_finished, status.exit_code) == (True, 0)
    assert status.foreground_pgid is None and status.foreground_command is None


def test_set_label(session: ctmux.Session) -> None:
    pane = session.pane_create()
    pane.set_label("renamed")
    assert session.pane_find("renamed").id == pane.id


def test_duplicate_label_is_already_exists(session: ctmux.Session) -> None:
    session.pane_create("web")
    with pytest.raises(ctmux.AlreadyExistsError):
        session.pane_create("web")
    with pytest.raises(ctmux.AlreadyExistsError):
        session.pane(0).set_label("web")
    assert session.pane_count() == 2


def test_kill_pane(session: ctmux.Session) -> None:
    extra = session.pane_create("extra")
    extra.kill()
    assert session.pane_count() == 1
    with pytest.raises(ctmux.NotFoundError):
        extra.info()
    with pytest.raises(ctmux.NotFoundError):
        session.pane_find("extra")
