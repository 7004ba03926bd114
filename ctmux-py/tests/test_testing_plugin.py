"""``ctmux.testing``: the pytest plugin users load in their own suites."""

from __future__ import annotations

from pathlib import Path

import pytest

import ctmux
from ctmux.testing import isolated_server

USER_SUITE = """
import ctmux

def test_uses_the_fixtures(ctmux_server, ctmux_client, tmp_path):
    assert isinstance(ctmux_server, ctmux.IsolatedServer)
    assert isinstance(ctmux_client, ctmux.Client)
    (tmp_path.parent.parent / "socket.txt").write_text(str(ctmux_server.socket_path))
    pane = ctmux_client.session_create("mine").pane(0)
    assert pane.run("echo ok", timeout=30).output == "ok\\n"
"""


@pytest.mark.parametrize("how", ["entry-point", "-p"])
def test_fixtures_in_a_user_suite(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    pytester.makepyfile(test_user=USER_SUITE)
    args = ["-p", "no:cacheprovider", f"--basetemp={pytester.path / 'tmp'}"]
    if how == "-p":
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        args += ["-p", "ctmux.testing"]
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=1)
    socket = Path((pytester.path / "socket.txt").read_text())
    assert "ctmux-srv-" in str(socket)
    assert not socket.parent.exists()  # the fixture's teardown removed the server's dir


def test_isolated_server_context_manager() -> None:
    with isolated_server() as server:
        assert isinstance(server, ctmux.IsolatedServer)
        server.client().session_create("x")
        socket = Path(server.socket_path)
        assert socket.exists()
    assert server.closed
    assert not socket.parent.exists()


def test_project_fixtures_come_from_the_plugin(
    ctmux_server: ctmux.IsolatedServer, server: ctmux.IsolatedServer
) -> None:
    assert server is ctmux_server
