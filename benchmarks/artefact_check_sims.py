"""Does segment's artefact check remove true diffuse emission? Held-out simulated fields, check on and off.

The simulated fields of ``data_sim/indep/<preset>`` (made by ``benchmarks/survey_presets.py``) are observed through
each preset's array, weighting and CLEAN, so their halos carry the negative bowls and sidelobes of real
interferometric images. Each of the first N fields of six presets is segmented with
:func:`radio_unet.segment.run.segment_file` twice, with ``artefact_check`` on and off, and the pixels that the
check removed are counted against the labels' diffuse classes (docs/model.md, "Calibration artefacts: the
sign-symmetry check").

Usage::

    python benchmarks/artefact_check_sims.py 12      # about 7 minutes on 2 cores
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy.io import fits

from radio_unet.models import read_card
from radio_unet.segment.load import resolve_model
from radio_unet.segment.run import segment_file

ROOT = Path(__file__).resolve().parents[1]
PRESETS = ("lotss-6as-512", "meerkat-l", "vla-l", "lotss-20as", "askap-emu", "mwa")


def iou(pred: np.ndarray, truth: np.ndarray) -> float:
    union = (pred | truth).sum()
    return float((pred & truth).sum() / union) if union else float("nan")


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 12
    diffuse = read_card(resolve_model("default"))[2].diffuse_channels()
    t0 = time.time()
    print("| preset | fields | negated image segmented | islands removed | pixels removed | of them true diffuse | "
          "diffuse IoU off / on |\n|---|---:|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as work:
        for preset in PRESETS:
            fields = sorted((ROOT / "data_sim" / "indep" / preset).glob("sim_*.image.fits"))[:n]
            ran = islands = removed = true_removed = 0
            ious = []
            for image in fields:
                truth = np.isin(fits.getdata(str(image).replace(".image.fits", ".labels.fits")), diffuse)
                on = segment_file(image, Path(work) / preset / "on", png=False, overwrite=True)
                off = segment_file(image, Path(work) / preset / "off", png=False, overwrite=True, artefact_check=False)
                p_on, p_off = (np.nan_to_num(fits.getdata(r["prob"])) >= 0.5 for r in (on, off))
                ran += on["artefact_check"] == "done"
                islands += len(on["artefacts"])
                removed += int((p_off & ~p_on).sum())
                true_removed += int((p_off & ~p_on & truth).sum())
                ious.append((iou(p_off, truth), iou(p_on, truth)))
            mean = np.nanmean(np.array(ious), axis=0) if ious else (np.nan, np.nan)
            print(f"| {preset} | {len(fields)} | {ran} | {islands} | {removed} | {true_removed} | "
                  f"{mean[0]:.3f} / {mean[1]:.3f} |", flush=True)
    print(f"\n{time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
