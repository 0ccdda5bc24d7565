"""The picture worker: pictures drawn in a forked process, failures reported per file, no orphan process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from radio_unet.errors import RadioUNetError
from radio_unet.plots.worker import PictureWorker


def _write_pid(path: str) -> None:
    with open(path, "w") as handle:
        handle.write(str(os.getpid()))


def _refuse(path: str) -> None:
    raise RadioUNetError(f"{path}: cannot draw this")


def _crash(path: str) -> None:
    raise ValueError("bad array")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_pictures_are_drawn_in_another_process_and_failures_are_reported_per_key(tmp_path):
    with PictureWorker() as pictures:
        assert pictures.background
        pictures.submit("a.fits", _write_pid, str(tmp_path / "a.pid"))
        pictures.drawer("b.fits")(_refuse, "b.png")
        pictures.submit("c.fits", _crash, "c.png")
        failures = pictures.wait()
    assert failures == [("b.fits", "picture: b.png: cannot draw this"), ("c.fits", "picture: ValueError: bad array")]
    assert int((tmp_path / "a.pid").read_text()) != os.getpid()
    assert pictures.wait() == []  # reported once


def test_disabled_worker_draws_at_once_and_raises(tmp_path):
    with PictureWorker(enabled=False) as pictures:
        assert not pictures.background
        assert pictures.submit("a.fits", _write_pid, str(tmp_path / "a.pid")) is None
        assert int((tmp_path / "a.pid").read_text()) == os.getpid()
        with pytest.raises(RadioUNetError, match="cannot draw"):
            pictures.submit("b.fits", _refuse, "b.png")
        assert pictures.wait() == []


# The caller takes Ctrl-C as a terminal's foreground process does: a test suite started in the background of a
# non-interactive shell (`make test &`) inherits SIGINT ignored, and the caller would never see the signal.
_ORPHAN = """
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
from radio_unet.plots.worker import PictureWorker
pictures = PictureWorker()
print(pictures.submit("x", os.getpid).result(), flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_worker_ends_when_its_caller_dies(how):
    """A caller killed outright leaves no worker behind (the worker watches its parent); Ctrl-C reaches the
    caller, not the worker, which ends with it."""
    caller = subprocess.Popen([sys.executable, "-c", _ORPHAN], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    worker = int(caller.stdout.readline())
    assert worker != caller.pid and _alive(worker)
    caller.send_signal(getattr(signal, how))
    err = caller.communicate(timeout=60)[1]
    deadline = time.monotonic() + 30
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker)
    if how == "SIGINT":
        assert err.count("Traceback") == 1 and "KeyboardInterrupt" in err  # the caller's own, nothing from the worker
