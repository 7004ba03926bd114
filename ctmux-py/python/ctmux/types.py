"""Type aliases used in ctmux's signatures."""

import os
from typing import Union

#: A path argument: ``str`` or any ``os.PathLike[str]`` (``pathlib.Path``, ...).
StrPath = Union[str, "os.PathLike[str]"]

#: A pane reference: its index (``0``), its tmux id (``"%3"``) or its label.
PaneRef = Union[int, str]

#: A signal: its number or ``signal.Signals`` member, or its name (``"SIGINT"``, ``"INT"``).
SignalRef = Union[int, str]

__all__ = ["PaneRef", "SignalRef", "StrPath"]
