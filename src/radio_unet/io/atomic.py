"""Atomic output files: write to a temporary name, then rename.

A crash, an error or Ctrl-C while an output is being written never leaves a
half-written file under the final name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from os import PathLike
from pathlib import Path
from typing import Iterator

__all__ = ["atomic_path"]


@contextlib.contextmanager
def atomic_path(path: str | PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    Parameters
    ----------
    path : str or path-like
        The final output file. Its folder is created if missing.

    Yields
    ------
    pathlib.Path
        A fresh temporary file name in the same folder (so the final rename is
        atomic on POSIX file systems) with the same suffixes as ``path``, so
        that libraries which choose a format from the suffix still work.

    Notes
    -----
    If the body raises, the temporary file is removed and the exception
    propagates; ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(path.suffixes) or ".tmp"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem.split('.')[0]}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    tmp.unlink()  # let the writer create it (some refuse to overwrite)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
