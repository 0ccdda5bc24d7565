"""Atomic output files: write to a hidden temporary name, then rename.

A crash, an error or Ctrl-C while an output is being written never leaves a
half-written file under the final name. The temporary file is removed when
the writer raises (Ctrl-C included, and SIGTERM or SIGHUP inside
:func:`signals_interrupt`); a process killed outright (SIGKILL, power loss)
cannot remove it, so its name records the host and process that wrote it
and :func:`remove_stale_temporaries` deletes those of dead processes; every
:func:`atomic_path` does so for its own output before writing, so the next
run of any command that writes the same file cleans up after a killed one.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import tempfile
from os import PathLike
from pathlib import Path
from typing import Iterable, Iterator

__all__ = ["atomic_path", "remove_stale_temporaries", "signals_interrupt", "Terminated"]


def _host() -> str:
    """This machine's name as it appears in temporary names (no dots: they separate the parts)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:40] or "host"


def _temporary_pattern(path: Path) -> re.Pattern:
    """Names of the temporary files of ``path``: ``.<name>.<host>.<pid>.<8 random characters><suffixes>``."""
    suffix = "".join(path.suffixes) or ".tmp"
    return re.compile(rf"\.{re.escape(path.name)}\.(?P<host>[A-Za-z0-9_-]+)\.(?P<pid>\d+)\.[a-z0-9_]{{8}}{re.escape(suffix)}")


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
        A fresh hidden file name in the same folder (so the final rename is
        atomic on POSIX file systems), ``.<name>.<host>.<pid>.<random><suffixes>``:
        it ends with the suffixes of ``path``, so that libraries which choose
        a format from the suffix still work, and names the process writing it
        (:func:`remove_stale_temporaries`).

    Notes
    -----
    If the body raises (including :class:`KeyboardInterrupt`), the temporary
    file is removed and the exception propagates; ``path`` is left untouched.
    Temporary files of ``path`` that killed processes left behind are removed
    first (:func:`remove_stale_temporaries`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries([path])  # left by a killed earlier writer of this file
    suffix = "".join(path.suffixes) or ".tmp"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_host()}.{os.getpid()}.", suffix=suffix, dir=path.parent)
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


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def remove_stale_temporaries(paths: Iterable[str | PathLike]) -> list[Path]:
    """Delete the temporary files that killed writers of ``paths`` left behind (see :func:`atomic_path`).

    A temporary file is stale when the process named in it is gone from this
    machine; those of live processes (a concurrent writer) and of other
    machines (a shared file system) are kept.

    Parameters
    ----------
    paths : iterable of str or path-like
        Final output files; each folder is listed once.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    by_folder: dict[Path, list[re.Pattern]] = {}
    for path in map(Path, paths):
        by_folder.setdefault(path.parent, []).append(_temporary_pattern(path))
    host, removed = _host(), []
    for folder, patterns in by_folder.items():
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            for entry in os.scandir(folder):
                if not entry.name.startswith("."):
                    continue
                match = next((m for p in patterns if (m := p.fullmatch(entry.name))), None)
                if match and match["host"] == host and not _alive(int(match["pid"])):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
                        removed.append(Path(entry.path))
    return removed


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C so that partial outputs are removed on the way out."""


@contextlib.contextmanager
def signals_interrupt(signals: Iterable[int] = (signal.SIGTERM, signal.SIGHUP)) -> Iterator[None]:
    """Within the block, turn ``signals`` into :class:`Terminated` (a :class:`KeyboardInterrupt`).

    Their default action ends the process at once, leaving temporary files;
    raised as an exception they unwind through :func:`atomic_path`, which
    removes them. The previous handlers are restored afterwards; outside the
    main thread (where Python cannot set handlers) the block runs unchanged.
    """

    def interrupt(signum, frame):
        raise Terminated(f"{signal.Signals(signum).name} received")

    previous = {}
    try:
        for sig in signals:
            previous[sig] = signal.signal(sig, interrupt)
    except ValueError:  # not the main thread
        pass
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
