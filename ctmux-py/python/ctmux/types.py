"""Types of the values ctmux returns (for annotations; plain dicts at run time)."""

import os
from typing import TypedDict, Union

#: A path argument: ``str`` or any ``os.PathLike[str]`` (``pathlib.Path``, ...).
StrPath = Union[str, "os.PathLike[str]"]


class SessionRef(TypedDict):
    """What ``Client.session_create`` returns."""

    id: str
    name: str


class SessionInfo(TypedDict):
    """One entry of ``Client.session_list()``."""

    id: str
    name: str
    windows: int
    panes: int
    attached: int
    created: int
    activity: int


__all__ = ["SessionInfo", "SessionRef", "StrPath"]
