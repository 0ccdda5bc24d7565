"""Callbacks of the training loop: one CSV row of metrics per epoch."""

from __future__ import annotations

import csv
import io
import math
import time
from os import PathLike
from pathlib import Path

import lightning.pytorch as pl

from ..io.atomic import atomic_path

__all__ = ["EpochMetricsCSV", "METRIC_COLUMNS"]

#: Columns of ``metrics.csv``, in order (other metrics are appended after them).
METRIC_COLUMNS = ("epoch", "step", "train_loss", "val_loss", "val_iou", "val_iou_bg", "val_iou_fg", "lr", "epoch_time_s", "elapsed_s")


class EpochMetricsCSV(pl.Callback):
    """Write ``metrics.csv``: one row per finished epoch (rank 0 only, atomically).

    Parameters
    ----------
    path : str or path-like
        The CSV file.

    Notes
    -----
    When a run is resumed, rows of epochs that will be trained again are
    dropped, so the file always describes the weights in the checkpoints.
    The training loss is the mean over all tiles of the epoch and over all
    processes; validation metrics come from
    :attr:`RadioUNetModule.epoch_results`.
    """

    def __init__(self, path: str | PathLike):
        super().__init__()
        self.path = Path(path)
        self.rows: list[dict] = []
        self._t_epoch = self._t_start = None
        self._loaded = False
        self._elapsed_before = 0.0

    def _load(self, first_epoch: int) -> None:
        self.rows = []
        if self.path.exists():
            with open(self.path, newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    try:
                        if int(row["epoch"]) < first_epoch:
                            self.rows.append(row)
                    except (KeyError, ValueError):
                        continue
        if self.rows:
            try:
                self._elapsed_before = float(self.rows[-1].get("elapsed_s") or 0.0)
            except ValueError:
                self._elapsed_before = 0.0
        self._loaded = True

    def on_train_epoch_start(self, trainer, pl_module) -> None:  # noqa: D102
        now = time.perf_counter()
        if not self._loaded:
            self._load(trainer.current_epoch)
            self._t_start = now
        self._t_epoch = now

    def on_train_epoch_end(self, trainer, pl_module) -> None:  # noqa: D102
        train = pl_module.train_epoch_results()  # collective under DDP: all ranks call it
        if not trainer.is_global_zero:
            return
        now = time.perf_counter()
        results = dict(pl_module.epoch_results)
        row: dict = {
            "epoch": trainer.current_epoch,
            "step": trainer.global_step,
            "train_loss": train["train_loss"],
        }
        fresh = results.get("val_epoch") == trainer.current_epoch  # validation may not run every epoch
        for key in METRIC_COLUMNS[3:7]:
            row[key] = results.get(key, math.nan) if fresh else math.nan
        row["lr"] = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else math.nan
        row["epoch_time_s"] = round(now - self._t_epoch, 3)
        row["elapsed_s"] = round(self._elapsed_before + now - self._t_start, 3)
        for key, value in results.items():
            if key not in row and key.startswith("val_") and key != "val_epoch" and fresh:
                row[key] = value
        self.rows.append(row)
        self._write()

    def _write(self) -> None:
        columns = list(METRIC_COLUMNS)
        for row in self.rows:
            columns += [k for k in row if k not in columns]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: _fmt(row.get(k, "")) for k in columns})
        with atomic_path(self.path) as tmp:
            tmp.write_text(buf.getvalue(), encoding="utf-8")


def _fmt(value) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return str(value)
