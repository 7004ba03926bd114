"""Fixtures: every test gets its own isolated tmux server (never the user's default one)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import ctmux


@pytest.fixture
def server() -> Iterator[ctmux.IsolatedServer]:
    """A private tmux server in a temp dir, killed and removed after the test.

    The teardown never raises: a failure to clean up becomes a warning, so it cannot mask
    the test's own failure.
    """
    srv = ctmux.IsolatedServer()
    try:
        yield srv
    finally:
        try:
            srv.close()
        except Exception as exc:  # noqa: BLE001 - teardown must not mask the test's error
            warnings.warn(f"closing {srv!r} failed: {exc!r}", stacklevel=1)


@pytest.fixture
def client(server: ctmux.IsolatedServer, tmp_path: Path) -> ctmux.Client:
    """A client of ``server`` with its state dir in the test's tmp_path."""
    return server.client(state_dir=tmp_path / "state")


@pytest.fixture
def session(client: ctmux.Client) -> str:
    """The name of a fresh session on the test's server."""
    client.session_create("t")
    return "t"
