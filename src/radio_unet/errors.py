"""User-facing errors.

Every problem a user can fix (a bad file, a missing beam, an invalid option)
is raised as :class:`RadioUNetError`. The command line prints its message as
one line and exits non-zero, never with a traceback.
"""

from __future__ import annotations

from os import PathLike
from typing import Iterable

__all__ = ["RadioUNetError", "InputError", "check_choice", "describe"]


class RadioUNetError(Exception):
    """An error the user can act on; its message is shown as one line."""


class InputError(RadioUNetError):
    """A problem with one input file.

    Parameters
    ----------
    path : str or path-like
        The file concerned; it is named first in the message.
    problem : str
        What is wrong with it, and where possible what to do.
    """

    def __init__(self, path: str | PathLike, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def check_choice(value, choices: Iterable, what: str):
    """``value`` when it is one of ``choices``; otherwise a :class:`RadioUNetError` that names ``what`` and lists them.

    The one lookup of every option that takes one of a few named values (routes, backends, tilings, losses...).

    Examples
    --------
    >>> check_choice("paper", ("window", "paper"), "tiling")
    'paper'
    >>> check_choice("tiles", ("window", "paper"), "tiling")
    Traceback (most recent call last):
    ...
    radio_unet.errors.RadioUNetError: unknown tiling 'tiles': choose one of 'window', 'paper'
    """
    choices = tuple(choices)
    if value in choices:
        return value
    raise RadioUNetError(f"unknown {what} {value!r}: choose one of {', '.join(map(repr, choices))}")


def describe(exc: BaseException) -> str:
    """One line for a failed item: the message of a user error, else the exception type and its first line."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text if isinstance(exc, RadioUNetError) else f"{type(exc).__name__}: {text}"
