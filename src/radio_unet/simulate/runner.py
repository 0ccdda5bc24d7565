"""Many synthetic observations: parallel, resumable, with a manifest and a gallery."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..errors import RadioUNetError, check_choice
from ..io.atomic import atomic_path
from ..parallel import run_parallel
from .gallery import save_gallery
from .generate import image_id, is_done, simulate_one
from .presets import Preset

__all__ = ["simulate_dataset", "write_manifest"]

RUN_FILE = "simulate.json"
MANIFEST = "manifest.csv"


def _check_run_settings(out: Path, settings: dict) -> None:
    """Refuse to resume a folder made with other settings; record them for a new one."""
    run_file = out / RUN_FILE
    if run_file.exists():
        previous = json.loads(run_file.read_text())
        changed = {k for k in settings if k != "n" and previous.get(k) != settings[k]}
        if changed:
            raise RadioUNetError(
                f"{out}: holds a data set made with other settings ({', '.join(sorted(changed))}); "
                "use another --out folder to make a new one"
            )
    with atomic_path(run_file) as tmp:
        tmp.write_text(json.dumps(settings, indent=2))


def write_manifest(out: Path, n: int) -> pd.DataFrame:
    """Collect the per-image JSON records of ``out`` into ``manifest.csv`` (written atomically)."""
    rows = []
    for index in range(n):
        record = out / f"{image_id(index)}.json"
        if record.exists():
            rows.append(json.loads(record.read_text()))
    table = pd.json_normalize(rows, sep="_")
    with atomic_path(out / MANIFEST) as tmp:
        table.to_csv(tmp, index=False)
    return table


class _Job:
    """A picklable closure over the run settings (for Dask)."""

    def __init__(self, preset: Preset, out: Path, seed: int, route: str):
        self.preset, self.out, self.seed, self.route = preset, out, seed, route

    def __call__(self, index: int) -> dict:
        return simulate_one(self.preset, index, seed=self.seed, route=self.route, out_dir=self.out)


def simulate_dataset(
    preset: Preset,
    n: int,
    out: str | Path,
    *,
    seed: int = 0,
    route: str = "image",
    workers: int = 1,
    scheduler: str | None = None,
    gallery: int = 4,
) -> pd.DataFrame:
    """Make ``n`` synthetic observations in ``out``; finished images of an earlier run are kept.

    Each image ``sim_NNNNN`` gets ``.image.fits`` (observed, Jy/beam),
    ``.sky.fits`` (sky model, Jy/pixel), ``.mask.fits`` and ``.labels.fits``
    plus a ``.json`` record of every parameter, written last so that an
    interrupted run resumes where it stopped. ``manifest.csv`` collects the
    records; ``gallery.png`` shows the first images.

    Returns
    -------
    pandas.DataFrame
        The manifest.
    """
    preset.validate()
    if n < 1:
        raise RadioUNetError(f"--n must be at least 1, got {n}")
    check_choice(route, ("image", "visibility"), "route")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    extras = {k: v for k, v in (("background", preset.background), ("rg_templates", preset.sky.get("rg_templates"))) if v}
    _check_run_settings(out, {"preset": preset.name, "npix": preset.npix, "seed": seed, "route": route, "n": n, **extras})
    todo = [i for i in range(n) if not is_done(out, i)]
    if len(todo) < n:
        print(f"resuming: {n - len(todo)} of {n} images already in {out}")
    _, failures = run_parallel(
        _Job(preset, out, seed, route), todo, workers=workers, scheduler=scheduler, desc="simulate", unit="image"
    )
    table = write_manifest(out, n)
    if gallery:
        save_gallery(out, table.head(gallery), out / "gallery.png")
    if failures:
        for index, message in failures:
            print(f"radio-unet simulate: image {image_id(index)} failed: {message}")
        raise RadioUNetError(f"{len(failures)} of {len(todo)} images failed (see above); rerun to retry them")
    return table
