"""Pictures drawn in a background process, so that matplotlib's import and the drawing overlap the caller's work.

``radio-unet segment`` spent about half of its fixed cost on its picture
(matplotlib's import ~0.3 s, drawing and PNG encoding ~0.2 s on the 2-core
reference machine, ``benchmarks/results/segment.md``). A
:class:`PictureWorker` forks one process at once, which imports matplotlib
while the caller imports astropy, reads its image and runs the network, then
draws the pictures handed to it while the caller goes on with the next file.
The command line forks it before it imports the command's modules
(:func:`prestart`, :func:`picture_worker`). Where ``fork`` is not available
(Windows) or the worker is disabled, pictures are drawn at once in the
calling process, as before.

The drawing functions are named as ``"module:function"`` strings, so that
the caller never imports matplotlib; the worker imports them.

The worker ignores Ctrl-C and termination signals: the caller, interrupted,
shuts it down after the picture in hand (every picture is written through
:func:`~radio_unet.io.atomic.atomic_path`, so none is left half-written),
and a worker whose caller died ends by itself.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from pkgutil import resolve_name
from typing import Callable, Hashable

from ..errors import describe

__all__ = ["PictureWorker", "draw_now", "prestart", "picture_worker"]

#: The worker forked by :func:`prestart`, waiting for :func:`picture_worker`.
_PRESTARTED: PictureWorker | None = None


def draw_now(target: str | Callable, *args, **kwargs):
    """Call ``target`` (a callable or ``"module:function"``, imported here by :func:`pkgutil.resolve_name`) with
    the arguments; its result."""
    return (resolve_name(target) if isinstance(target, str) else target)(*args, **kwargs)


def _watch_parent(parent: int, interval: float = 0.5) -> None:
    """End this process when its parent is gone (it is then adopted by another process)."""
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


def _start_worker(parent: int) -> None:
    """Initialiser of the worker process: ignore signals, watch the parent, import matplotlib and the picture
    module, and draw one tiny picture (fonts, colour maps, contours, the PNG writer load on first use), all while
    the caller is busy. Measured on a slow hour of the 2-core machine: the first segmentation picture then takes
    0.64 s instead of ~0.9 s (0.5 s once warm); the tiny one costs 0.12 s."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # first: a Ctrl-C during the imports is the caller's
        signal.signal(sig, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    import io

    import numpy as np
    from matplotlib.figure import Figure

    from . import segmentation  # noqa: F401 - matplotlib: in the worker process only

    fig = Figure(figsize=(1, 1), dpi=10)
    ax = fig.subplots()
    fig.colorbar(ax.imshow(np.eye(3), cmap="inferno"), ax=ax)
    ax.contour(np.eye(3), levels=[0.5])
    ax.set_title("warm-up")
    fig.savefig(io.BytesIO(), format="png")


def _ready() -> None:
    """A task that makes the pool fork its worker at once."""


class PictureWorker:
    """One background process that draws pictures; a context manager.

    Parameters
    ----------
    enabled : bool
        False draws every picture at once in this process.

    Examples
    --------
    >>> with PictureWorker() as pictures:  # doctest: +SKIP
    ...     pictures.submit("a.fits", draw_function, "a.png", data)
    ...     failures = pictures.wait()
    """

    def __init__(self, enabled: bool = True):
        self._pool: ProcessPoolExecutor | None = None
        self._pending: list[tuple[Hashable, Future]] = []
        if enabled and "fork" in multiprocessing.get_all_start_methods():
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"),
                                             initializer=_start_worker, initargs=(os.getpid(),))
            self._pool.submit(_ready)  # forks now: matplotlib imports while the caller works

    @property
    def background(self) -> bool:
        """Whether pictures are drawn in the background process."""
        return self._pool is not None

    def submit(self, key: Hashable, target: str | Callable, *args, **kwargs) -> Future | None:
        """Draw ``target(*args, **kwargs)`` (:func:`draw_now`: ``"module:function"`` or a picklable top-level
        function); a failure is reported under ``key`` by :meth:`wait`. Without the background process it runs
        at once (returns None) and raises as usual."""
        if self._pool is None:
            draw_now(target, *args, **kwargs)
            return None
        future = self._pool.submit(draw_now, target, *args, **kwargs)
        self._pending.append((key, future))
        return future

    def drawer(self, key: Hashable) -> Callable:
        """``submit`` with ``key`` bound: a ``draw(target, *args, **kwargs)`` callable."""
        return partial(self.submit, key)

    def wait(self) -> list[tuple[Hashable, str]]:
        """Wait for every picture submitted; returns ``(key, message)`` for each that failed."""
        failures = [(key, f"picture: {describe(future.exception())}")
                    for key, future in self._pending if future.exception() is not None]
        self._pending.clear()
        return failures

    def close(self, *, cancel: bool = False) -> None:
        """Finish (or, with ``cancel``, drop) the pictures not yet drawn and end the process."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None

    def __enter__(self) -> PictureWorker:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(cancel=exc_type is not None)


def prestart() -> None:
    """Fork the picture worker now, before the caller's heavy imports (astropy), so that matplotlib's import
    runs beside them; :func:`picture_worker` hands it out."""
    global _PRESTARTED
    if _PRESTARTED is None:
        _PRESTARTED = PictureWorker()


def picture_worker(enabled: bool = True) -> PictureWorker:
    """The worker forked by :func:`prestart` if any (closed when ``enabled`` is false), else a new one."""
    global _PRESTARTED
    worker, _PRESTARTED = _PRESTARTED, None
    if worker is not None and not enabled:
        worker.close()
        worker = None
    return worker if worker is not None else PictureWorker(enabled)
