"""Running commands in panes: real exit status and exact output."""

from __future__ import annotations

import pytest

import ctmux

TIMEOUT = 30.0  # generous bound so a broken build cannot hang the suite


@pytest.mark.parametrize("code", [0, 1, 3, 42, 255])
def test_exit_code_is_real(client: ctmux.Client, session: str, code: int) -> None:
    result = client.pane_run(session, 0, f"sh -c 'exit {code}'", timeout=TIMEOUT)
    assert result.exit_code == code
    assert result.output == ""


def test_output_is_the_commands_own(client: ctmux.Client, session: str) -> None:
    result = client.pane_run(session, 0, "echo hello; echo world", timeout=TIMEOUT)
    assert result.exit_code == 0
    assert result.output == "hello\nworld\n"
    assert isinstance(result.duration, float)
    assert result.duration >= 0.0


def test_exec_right_after_create(client: ctmux.Client) -> None:
    client.session_create("fresh")
    result = client.pane_run("fresh", "0", "printf 'ok'", timeout=TIMEOUT)
    assert (result.exit_code, result.output) == (0, "ok")


def test_awkward_text_arrives_intact(client: ctmux.Client, session: str) -> None:
    text = "quotes ' \" $HOME `x` \\ unicode \u00e9\u2603"
    result = client.pane_run(session, 0, "cat <<'EOF'\n" + text + "\nEOF", timeout=TIMEOUT)
    assert result.exit_code == 0
    assert result.output == text + "\n"


def test_pane_by_id(client: ctmux.Client, session: str) -> None:
    pane_id = client.pane_run(session, 0, "echo $TMUX_PANE", timeout=TIMEOUT).output.strip()
    assert pane_id.startswith("%")
    result = client.pane_run(session, pane_id, "echo by-id", timeout=TIMEOUT)
    assert result.output == "by-id\n"


def test_capture_shows_output(client: ctmux.Client, session: str) -> None:
    client.pane_run(session, 0, "echo captured-marker", timeout=TIMEOUT)
    text = client.pane_capture(session, 0)
    assert "captured-marker" in text
    assert "captured-marker" in client.pane_capture(session, 0, lines=50)


def test_exec_result_repr(client: ctmux.Client, session: str) -> None:
    result = client.pane_run(session, 0, "true", timeout=TIMEOUT)
    assert repr(result).startswith("ExecResult(exit_code=0,")
