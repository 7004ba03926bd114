"""Per-pane metadata: set, get, list, delete; values round-trip exactly."""

from __future__ import annotations

import pytest

import ctmux

ODD_VALUES = [
    "",
    "plain",
    'team "blue"',
    "it's $HOME `x` \\ ; end",
    "ends with;",
    "ünï ☃",
    "a\nb\tc",
    "x" * 5000,
]


def test_set_get_list_delete(pane: ctmux.Pane) -> None:
    assert pane.metadata_list() == {}
    pane.metadata_set("owner", "alice")
    pane.metadata_set("role", "web")
    assert pane.metadata_get("owner") == "alice"
    assert pane.metadata_list() == {"owner": "alice", "role": "web"}
    pane.metadata_set("owner", "bob")
    assert pane.metadata_get("owner") == "bob"
    pane.metadata_delete("owner")
    assert pane.metadata_list() == {"role": "web"}


@pytest.mark.parametrize("value", ODD_VALUES, ids=range(len(ODD_VALUES)))
def test_values_round_trip(pane: ctmux.Pane, value: str) -> None:
    pane.metadata_set("k", value)
    assert pane.metadata_get("k") == value


def test_metadata_is_per_pane(session: ctmux.Session) -> None:
    a, b = session.pane(0), session.pane_create("b")
    a.metadata_set("k", "a")
    b.metadata_set("k", "b")
    assert (a.metadata_get("k"), b.metadata_get("k")) == ("a", "b")


@pytest.mark.parametrize("key", ["", "a b", "dot.key", "x" * 65, "nl\n"])
def test_bad_key_is_invalid_input(pane: ctmux.Pane, key: str) -> None:
    with pytest.raises(ctmux.InvalidInputError):
        pane.metadata_set(key, "v")
    assert pane.metadata_list() == {}


def test_missing_key_is_not_found(pane: ctmux.Pane) -> None:
    with pytest.raises(ctmux.NotFoundError):
        pane.metadata_get("absent")
    with pytest.raises(ctmux.NotFoundError):
        pane.metadata_delete("absent")
