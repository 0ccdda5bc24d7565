"""User-facing errors.

Every problem a user can fix (a bad file, a missing beam, an invalid option)
is raised as :class:`RadioUNetError`. The command line prints its message as
one line and exits non-zero, never with a traceback.
"""

from __future__ import annotations

from os import PathLike

__all__ = ["RadioUNetError", "InputError"]


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
