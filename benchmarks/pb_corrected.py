"""Noise that changes across the field: a real LoTSS cut-out made to look primary-beam corrected.

Images delivered by MeerKAT, LOFAR or the VLA are usually corrected for the primary beam: the noise grows from the
pointing centre outwards (two to three times at the edge of a pointing). A noise-relative input must follow it. The
real P205+55 LoTSS-DR1 cut-out (400x400, 1.5"/px, 6" beam) is mirror-padded to 1200x1200 and divided by a Gaussian
primary beam that falls to 1/3 at the corners (and, for reference, by nothing); halos (exponential, r_e 16 px = 4
beams) are injected at 2 and 4 sigma of the cut-out's own (pre-correction) noise at the centre and at two positions
off centre, one per image, and divided by the same beam, as the sky is. Each image is segmented with
:func:`radio_unet.segment.run.segment_file` (window tiling, TTA, the noise flattening of
:mod:`radio_unet.segment.flatten` unless ``--no-flatten``, artefact check off: no bright source here). Reported:
the IoU with the injected component above 0.25 sigma, and the pixels called diffuse in the image without injection.

``--local-rms`` measures what dividing each window by its local rms map (photutils Background2D in boxes of the
model card's 40 beams, times ``--box-factor``) instead of one rms would do (an experiment; docs/model.md, "One rms
per window").

Usage::

    python benchmarks/pb_corrected.py                  # about 3 minutes on 2 cores
    python benchmarks/pb_corrected.py --local-rms [--box-factor 2.5] --out /tmp/x.md
    python benchmarks/pb_corrected.py --no-flatten     # as segment did before 2026-12-04
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from astropy.io import fits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import prepend_report  # noqa: E402

import radio_unet  # noqa: E402
import radio_unet.segment.engine as engine  # noqa: E402
from radio_unet.data.normalize import normalize_snr  # noqa: E402
from radio_unet.evaluate.realsky import beam_convolve, halo_profile, inject, iou, primary_beam  # noqa: E402
from radio_unet.io import read_image, write_image  # noqa: E402
from radio_unet.segment.run import segment_file  # noqa: E402
from radio_unet.stats import robust_rms  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "lotss_dr1" / "P205+55-mosaic_400x400.fits.gz"
PAD = 400
#: Primary-beam gain at the image corners (1: no correction).
CORNER_GAINS = (1.0, 3.0)
#: Injection centres (x, y) in the padded image: the pointing centre and two positions off it.
POSITIONS = ((600, 600), (350, 700), (900, 420))
LEVELS = (2.0, 4.0)
R_E = 16.0


def local_rms_normalizer(box_factor: float):
    """An ``image_normalizer`` for :mod:`radio_unet.segment.engine` that divides each window by its local rms map."""

    def normalizer(image, normalization):
        if normalization.kind != "snr":
            raise SystemExit(f"--local-rms needs a noise-relative model; {normalization.kind!r} normalisation here")
        area = image.beam_area_pixels if image.beam is not None else None
        box = int(round(normalization.box_pixels(area) * box_factor))
        return lambda data: normalize_snr(data, box=box, cap_sigma=normalization.cap_sigma, local=True)

    return normalizer


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "pb_corrected.md")
    parser.add_argument("--model", default="default")
    parser.add_argument("--local-rms", action="store_true",
                        help="divide each window by its local rms map instead of one rms (experiment)")
    parser.add_argument("--box-factor", type=float, default=1.0, help="with --local-rms: the map's box times this")
    parser.add_argument("--no-flatten", dest="flatten", action="store_false",
                        help="segment without the noise flattening (segment --no-flatten; before 2026-12-04 always)")
    args = parser.parse_args(argv)
    if args.local_rms:
        engine.image_normalizer = local_rms_normalizer(args.box_factor)
    if not DATA.exists():
        print(f"no data at {DATA}: skipped", file=sys.stderr)
        return {}
    t0 = time.perf_counter()
    cut = read_image(DATA)
    wcs = cut.wcs.deepcopy()
    wcs.wcs.crpix = wcs.wcs.crpix + PAD
    image = replace(cut, data=np.pad(cut.data, PAD, mode="reflect"), wcs=wcs)
    rms = robust_rms(cut.data)
    scale = cut.pixel_scale_arcsec
    beam = (cut.require_beam().major / scale, cut.require_beam().minor / scale, cut.require_beam().pa)
    rows, blank = {}, {}
    with tempfile.TemporaryDirectory(prefix="pb_corrected_") as tmp:
        work = Path(tmp)

        def called(data: np.ndarray, name: str) -> np.ndarray:
            path = write_image(work / f"{name}.fits", data.astype(np.float32), wcs=image.wcs, beam=image.beam,
                               unit=image.unit)
            result = segment_file(path, work / "out", model=args.model, png=False, overwrite=True, artefact_check=False,
                                  flatten_noise=args.flatten)
            return np.nan_to_num(fits.getdata(result["prob"])) >= 0.5

        for gain in CORNER_GAINS:
            pb = primary_beam(image.shape, gain)
            blank[gain] = float(called(image.data / pb, f"blank_{gain:g}").mean())
            for pos in POSITIONS:
                model = beam_convolve(halo_profile(image.shape, pos, R_E), *beam)
                for level in LEVELS:
                    data, component = inject(image.data, model, level, rms)
                    mask = called(data / pb, f"halo_{gain:g}_{pos[0]}_{pos[1]}_{level:g}")
                    rows[(gain, pos, level)] = iou(mask, component > 0.25 * rms)
    seconds = time.perf_counter() - t0
    lines = ["# Benchmark: a primary-beam-corrected field (noise growing outwards)", "",
             f"- command: `{shlex.join(['python', 'benchmarks/pb_corrected.py', *(sys.argv[1:] if argv is None else argv)])}`; "
             f"radio_unet from `{Path(radio_unet.__file__).parent}`",
             f"- rms of each window: " + (f"local map (photutils Background2D, boxes {args.box_factor:g} x the model "
                                          "card's), an experiment" if args.local_rms else "one (segment's way)")
             + ("; the noise flattened first (segment's default, radio_unet.segment.flatten)" if args.flatten
                else "; no noise flattening (--no-flatten)"),
             f"- model: {args.model}; data: `{DATA.name}` mirror-padded to {image.shape[1]}x{image.shape[0]}, "
             f"rms {rms * 1e6:.0f} uJy/beam before the correction; whole run {seconds:.0f} s", "",
             "| primary beam at the corners | halo at (x, y) | IoU at 2 sigma | IoU at 4 sigma |", "|---|---|---:|---:|"]
    for gain in CORNER_GAINS:
        for pos in POSITIONS:
            where = "centre" if pos == POSITIONS[0] else "off centre"
            lines.append(f"| {'none' if gain == 1 else f'1/{gain:g}'} | {pos} ({where}) | "
                         + " | ".join(f"{rows[(gain, pos, level)]:.3f}" for level in LEVELS) + " |")
    lines += ["", "| primary beam at the corners | no halo: pixels called diffuse |", "|---|---:|"]
    lines += [f"| {'none' if gain == 1 else f'1/{gain:g}'} | {100 * blank[gain]:.3f}% |" for gain in CORNER_GAINS]
    lines += ["", "Halo: exponential, r_e 16 px (4 beams), peak after beam convolution at 2 or 4 times the cut-out's "
              "noise before the correction; truth: the component above 0.25 of that noise. The correction divides "
              "image and halo alike, so the halo keeps its signal-to-noise ratio: a noise-relative input that follows "
              "the local noise scores the corrected field as the uncorrected one.", ""]
    text = "\n".join(lines)
    print(text)
    prepend_report(args.out, text)
    return {"iou": rows, "blank": blank}


if __name__ == "__main__":
    main()
