"""``radio-unet demo``: the README's main command.

Simulates one LoTSS-like field with galaxy clusters (:data:`DEMO_SKY`) by the fast (image-plane) route, segments it
with the shipped model, writes the probability map (FITS) and a picture, and
prints the mean IoU (paper eq. 5) of the network next to a 3-sigma threshold
on the same image.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

__all__ = ["add_arguments", "run", "DEMO_SKY"]

#: The demo's sky: clusters in every field, most with a halo bright enough to see (the distribution of the
#: `visible-halos` training fields, configs/visible-halos.yaml, drawn here with another seed), so that the picture
#: shows what the tool is for. Chosen before looking at any field it makes; one field is an illustration, not a score.
DEMO_SKY = ("n_clusters=[1, 3]", "p_halo=0.8", "halo_power_range=[2e24, 2e26]", "z_range=[0.15, 0.6]")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``demo``."""
    parser.add_argument("--out", default="demo_out", help="output folder (default: demo_out)")
    parser.add_argument("--seed", type=int, default=2024, help="random seed of the simulated field")
    parser.add_argument("--npix", type=int, default=1024, help="field size in pixels at 2\"/px (default 1024)")
    parser.add_argument("--model", default="default", help="shipped model name or path (default: default)")
    parser.add_argument(
        "--sky", action="append", default=[], metavar="NAME=VALUE",
        help="change one parameter of the demo's sky (as simulate --sky; repeatable), which is the preset's with "
             "clusters and visible halos: " + " ".join(f"--sky '{item}'" for item in DEMO_SKY),
    )


def run(args: argparse.Namespace) -> int:
    """Simulate, segment, score and draw one field."""
    import numpy as np

    from ..evaluate.dataset import NETWORK, evaluate_image, peak_method
    from ..evaluate.metrics import PEAK_THRESHOLD
    from ..io import read_image, write_image
    from ..plots.segmentation import save_segmentation_figure
    from ..segment import load_segmenter
    from ..simulate import get_preset, simulate_one
    from ..sky.config import SkyConfig
    from .simulate import sky_overrides

    out = Path(args.out)
    preset = get_preset("lotss-6as-512")  # the training set-up, on a larger field
    sky = {**preset.sky, **sky_overrides([*DEMO_SKY, *(args.sky or [])])}  # later items win
    SkyConfig().with_overrides(**sky)  # unknown names and bad values: one clear error before any work
    preset = preset.with_overrides(npix=args.npix, sky=sky)
    start = time.perf_counter()
    segmenter = load_segmenter(args.model)
    record = simulate_one(preset, 0, seed=args.seed, route="image", out_dir=out)
    t_sim = time.perf_counter() - start
    observed = read_image(out / record["image"])
    truth = read_image(out / record["mask"]).data > 0
    prob = segmenter.diffuse(segmenter(observed))
    t_seg = time.perf_counter() - start - t_sim
    prob_path = write_image(
        out / "demo.prob.fits", prob.astype(np.float32), wcs=observed.wcs, beam=observed.beam,
        provenance={"model": str(args.model), "input": record["image"], "tiling": "window"},
    )
    rows = {r["method"]: r for r in evaluate_image(prob, observed, truth, peak_threshold=PEAK_THRESHOLD, external=False)}
    png = save_segmentation_figure(out / "demo.png", observed.data, prob, truth=truth, title=f"seed {args.seed}")
    print(f"simulated a {args.npix}x{args.npix} LoTSS-like field (noise {record['noise_rms_jy_beam'] * 1e6:.0f} uJy/beam, "
          f"beam {record['bmaj_arcsec']:.1f}\") in {t_sim:.1f} s; segmented in {t_seg:.1f} s")
    peak = peak_method(PEAK_THRESHOLD)
    print(f"mean IoU (paper eq. 5): radio-unet {rows[NETWORK]['mean_iou']:.3f} "
          f"(islands peaking >= {PEAK_THRESHOLD:g}: {rows[peak]['mean_iou']:.3f})   "
          f"3-sigma threshold {rows['3sigma']['mean_iou']:.3f}")
    pr = {m: "/".join("n/a" if np.isnan(rows[m][k]) else f"{rows[m][k]:.2f}" for k in ("source_precision", "source_recall"))
          for m in (NETWORK, "3sigma")}
    print(f"source precision/recall (>10 px): radio-unet {pr[NETWORK]}   3-sigma {pr['3sigma']}")
    print(f"wrote {prob_path} and {png}")
    return 0
