"""Fixtures: every test gets its own isolated tmux server (never the user's default one).

The servers come from ctmux's own pytest plugin, ``ctmux.testing`` (also loaded through its
``pytest11`` entry point once ctmux is installed); this file only names them shortly.
"""

from __future__ import annotations

import pytest

import ctmux

pytest_plugins = ("ctmux.testing", "pytester")


@pytest.fixture
def server(ctmux_server: ctmux.IsolatedServer) -> ctmux.IsolatedServer:
    """The test's private tmux server."""
    return ctmux_server


@pytest.fixture
def client(ctmux_client: ctmux.Client) -> ctmux.Client:
    """A client of ``server`` (state dir inside the server's temp dir)."""
    return ctmux_client


@pytest.fixture
def session(client: ctmux.Client) -> ctmux.Session:
    """A fresh 120x40 session named ``t`` on the test's server."""
    return client.session_create("t", width=120, height=40)


@pytest.fixture
def pane(session: ctmux.Session) -> ctmux.Pane:
    """Pane 0 of ``session``."""
    return session.pane(0)

