"""Garbage in: every entry point answers with a clear error, and nothing is lost."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import ctmux
from helpers import TIMEOUT

BAD_SESSION_NAMES = ["", "a:b", "a.b", "-flag", "$1", "%1", "=x", "tab\there", "nl\nx", "x" * 201]


@pytest.mark.parametrize("name", BAD_SESSION_NAMES)
def test_bad_session_names_are_refused(client: ctmux.Client, name: str) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        client.session_create(name)
    assert client.sessions() == []  # nothing was created


@pytest.mark.parametrize("name", ["", "a:b", "nl\nx"])
def test_bad_names_elsewhere(client: ctmux.Client, name: str) -> None:
    client.session_create("keep")
    with pytest.raises(ctmux.InvalidInputError):
        client.session_kill(name)
    with pytest.raises(ctmux.InvalidInputError):
        client.session(name)
    assert [s.name for s in client.sessions()] == ["keep"]


@pytest.mark.parametrize("ref", [-1, "", "%", "%x", "1.5", "a\nb", 2**40])
def test_bad_pane_refs(session: ctmux.Session, ref: int | str) -> None:
    with pytest.raises((ctmux.InvalidInputError, ctmux.NotFoundError)):
        session.pane(ref)
    assert session.pane(0).run("echo fine", timeout=TIMEOUT).output == "fine\n"


@pytest.mark.parametrize("label", ["", "12", "%x", "a\nb", "x" * 201])
def test_bad_labels(session: ctmux.Session, label: str) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        session.pane_create(label)
    with pytest.raises(ctmux.InvalidInputError):
        session.pane_find(label)
    with pytest.raises(ctmux.InvalidInputError):
        session.pane(0).set_label(label)
    assert session.pane_count() == 1


@pytest.mark.parametrize("timeout", [-1.0, math.nan, math.inf])
def test_bad_timeouts(pane: ctmux.Pane, timeout: float) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        pane.run("true", timeout=timeout)
    with pytest.raises(ctmux.InvalidInputError):
        pane.wait_for("x", timeout=timeout)
    with pytest.raises(ctmux.InvalidInputError):
        pane.wait(timeout=timeout)


@pytest.mark.parametrize("lines", [-1, 2**40])
def test_bad_line_counts(pane: ctmux.Pane, lines: int) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        pane.capture(lines=lines)
    with pytest.raises(ctmux.InvalidInputError):
        pane.has_pattern("x", lines=lines)


@pytest.mark.parametrize(
    ("width", "height"), [(0, 10), (10, 0), (-1, 10), (70000, 10), (100, None), (None, 30)]
)
def test_bad_sizes(client: ctmux.Client, width: int | None, height: int | None) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        client.session_create("sized", width=width, height=height)
    assert client.sessions() == []


def test_cwd_that_is_a_file(client: ctmux.Client, tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(ctmux.InvalidInputError):
        client.session_create("s", cwd=f)


def test_wrong_types_are_type_errors(client: ctmux.Client, pane: ctmux.Pane) -> None:
    with pytest.raises(TypeError):
        client.session_create(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pane.session.pane(0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pane.run(b"true")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pane.send_keys("a", 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pane.run("true", cancel=object())  # type: ignore[arg-type]


def test_bad_client_arguments(tmp_path: Path) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        ctmux.Client(socket_name="x", socket_path=tmp_path / "s", state_dir=tmp_path)
    with pytest.raises(ctmux.InvalidInputError):
        ctmux.Client(socket_name="a/b", state_dir=tmp_path)
    with pytest.raises(ctmux.InvalidInputError):
        ctmux.Client(socket_name="", state_dir=tmp_path)


def test_nul_in_command_is_refused(pane: ctmux.Pane) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        pane.run("echo a\x00b", timeout=TIMEOUT)
    assert pane.run("echo after", timeout=TIMEOUT).output == "after\n"


def test_handles_of_a_killed_session(client: ctmux.Client) -> None:
    client.session_create("keep")  # the server stays up
    s = client.session_create("short")
    p = s.pane(0)
    s.kill()
    for call in (s.panes, s.pane_count, s.kill, p.info, p.capture, lambda: p.run("true")):
        with pytest.raises(ctmux.NotFoundError):
            call()
