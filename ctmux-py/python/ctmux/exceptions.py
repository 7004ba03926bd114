"""The ctmux exception hierarchy (defined by the compiled module, re-exported here).

Every error raised by ctmux is a :class:`CtmuxError` whose ``.kind`` names the core's
``ErrorKind`` (``"NotFound"``, ``"InvalidInput"``, ...). Where a kind resembles a builtin
exception its class subclasses that too, so ``except LookupError`` or ``except ValueError``
work as expected:

=======================  =============================  ==========================
class                    also a                          kind
=======================  =============================  ==========================
NotFoundError            LookupError                     NotFound
AlreadyExistsError                                       AlreadyExists
InvalidInputError        ValueError                      InvalidInput
TimeoutError             builtins.TimeoutError           Timeout (+ .partial_output)
BusyError                                                Busy
ServerUnavailableError   ConnectionError                 ServerUnavailable
PermissionDeniedError    PermissionError                 PermissionDenied
CorruptError                                             Corrupt
UnsupportedError                                         Unsupported
IoError                  OSError                         Io
TmuxError                                                Tmux
=======================  =============================  ==========================
"""

from ctmux._ctmux import (
    AlreadyExistsError,
    BusyError,
    CorruptError,
    CtmuxError,
    InvalidInputError,
    IoError,
    NotFoundError,
    PermissionDeniedError,
    ServerUnavailableError,
    TimeoutError,
    TmuxError,
    UnsupportedError,
)

__all__ = [
    "AlreadyExistsError",
    "BusyError",
    "CorruptError",
    "CtmuxError",
    "InvalidInputError",
    "IoError",
    "NotFoundError",
    "PermissionDeniedError",
    "ServerUnavailableError",
    "TimeoutError",
    "TmuxError",
    "UnsupportedError",
]
