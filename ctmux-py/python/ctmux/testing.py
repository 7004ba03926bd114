"""pytest fixtures for suites that drive tmux through ctmux, each test on its own server.

Installing ctmux registers this module as a pytest plugin (entry point ``ctmux.testing`` in
the ``pytest11`` group), so the fixtures are available in any suite; with plugin autoloading
off, enable it with ``-p ctmux.testing`` or ``pytest_plugins = ["ctmux.testing"]``.

Fixtures (function scope):

``ctmux_server``
    A fresh :class:`ctmux.IsolatedServer`: a private tmux server whose socket lives in a temp
    dir, with a pinned shell, killed and removed after the test. Never the default server.
``ctmux_client``
    A :class:`ctmux.Client` of ``ctmux_server``; its state dir is inside the server's temp
    dir, so it goes away with the server.

Outside pytest, :func:`isolated_server` gives the same server as a context manager::

    from ctmux.testing import isolated_server

    with isolated_server() as server:
        session = server.client().session_create("scratch")
        print(session.pane(0).run("uname -a", timeout=10).output)

Teardown never raises: a failed cleanup becomes a warning, so it cannot mask the test's own
failure.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import pytest

from ctmux._ctmux import Client, IsolatedServer

__all__ = ["ctmux_client", "ctmux_server", "isolated_server"]


@contextlib.contextmanager
def isolated_server() -> Iterator[IsolatedServer]:
    """A private tmux server for the ``with`` block, closed afterwards (warning on failure)."""
    server = IsolatedServer()
    try:
        yield server
    finally:
        try:
            server.close()
        except Exception as exc:  # noqa: BLE001 - cleanup must not mask the block's error
            warnings.warn(f"closing {server!r} failed: {exc!r}", stacklevel=2)


@pytest.fixture
def ctmux_server() -> Iterator[IsolatedServer]:
    """A private tmux server for this test, killed and removed afterwards."""
    with isolated_server() as server:
        yield server


@pytest.fixture
def ctmux_client(ctmux_server: IsolatedServer) -> Client:
    """A client of ``ctmux_server`` (state dir inside the server's temp dir)."""
    return ctmux_server.client()
