"""Garbage in: every entry point answers with a clear error, and nothing is lost."""

from __future__ import annotations

import math

import pytest

import ctmux

BAD_SESSION_NAMES = ["", "a:b", "a.b", "-flag", "$1", "%1", "=x", "tab\there", "nl\nx", "x" * 201]


@pytest.mark.parametrize("name", BAD_SESSION_NAMES)
def test_bad_session_names_are_refused(client: ctmux.Client, name: str) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        client.session_create(name)
    assert client.session_list() == []  # nothing was created


@pytest.mark.parametrize("name", ["", "a:b", "nl\nx"])
def test_bad_names_elsewhere(client: ctmux.Client, name: str) -> None:
    client.session_create("keep")
    with pytest.raises(ctmux.InvalidInputError):
        client.session_kill(name)
    with pytest.raises(ctmux.InvalidInputError):
        client.pane_run(name, 0, "true", timeout=5)
    with pytest.raises(ctmux.InvalidInputError):
        client.pane_capture(name, 0)
    assert [s["name"] for s in client.session_list()] == ["keep"]


@pytest.mark.parametrize("pane", [-1, "", "%", "%x", "1.5", "bad label!", "a\nb"])
def test_bad_pane_refs(client: ctmux.Client, session: str, pane: int | str) -> None:
    with pytest.raises((ctmux.InvalidInputError, ctmux.NotFoundError)):
        client.pane_run(session, pane, "true", timeout=5)
    # the pane still works afterwards
    assert client.pane_run(session, 0, "echo fine", timeout=30).output == "fine\n"


@pytest.mark.parametrize("timeout", [-1.0, math.nan, math.inf])
def test_bad_timeouts(client: ctmux.Client, session: str, timeout: float) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        client.pane_run(session, 0, "true", timeout=timeout)


@pytest.mark.parametrize("lines", [-1, 2**40])
def test_bad_capture_lines(client: ctmux.Client, session: str, lines: int) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        client.pane_capture(session, 0, lines=lines)


@pytest.mark.parametrize(
    ("width", "height"), [(0, 10), (10, 0), (-1, 10), (70000, 10), (100, None), (None, 30)]
)
def test_bad_sizes(client: ctmux.Client, width: int | None, height: int | None) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        client.session_create("sized", width=width, height=height)
    assert client.session_list() == []


def test_cwd_that_is_a_file(client: ctmux.Client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(ctmux.InvalidInputError):
        client.session_create("s", cwd=f)


def test_wrong_types_are_type_errors(client: ctmux.Client) -> None:
    with pytest.raises(TypeError):
        client.session_create(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.pane_run("s", 0.5, "true")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.pane_run("s", 0, b"true")  # type: ignore[arg-type]


def test_bad_client_arguments(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ctmux.InvalidInputError):
        ctmux.Client(socket_name="x", socket_path=tmp_path / "s", state_dir=tmp_path)
    with pytest.raises(ctmux.InvalidInputError):
        ctmux.Client(socket_name="a/b", state_dir=tmp_path)
    with pytest.raises(ctmux.InvalidInputError):
        ctmux.Client(socket_name="", state_dir=tmp_path)


def test_nul_in_command_is_refused_or_harmless(client: ctmux.Client, session: str) -> None:
    try:
        result = client.pane_run(session, 0, "echo a\x00b", timeout=10)
    except ctmux.InvalidInputError:
        pass
    else:
        assert result.exit_code == 0
    assert client.pane_run(session, 0, "echo after", timeout=30).output == "after\n"
