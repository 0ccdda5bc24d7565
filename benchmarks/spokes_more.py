"""Benchmark: section 5 of ``real_sky.py`` (a bright source with calibration spokes in real LoTSS noise) at more seeds.

``benchmarks/real_sky.py`` places one bright source with eight spokes per LoTSS cut-out, at angles and a position drawn
from its ``--seed`` (0). A rule of the artefact check judged on those twelve cases alone could be a fit to their
geometry; this runs the same cases at other seeds (other positions and spoke angles, the same real noise) and counts
how many stay at or under the blank-field goal (1% of the pixels called diffuse).

Usage::

    python benchmarks/spokes_more.py                   # seeds 1-4: 48 cases, about 2 minutes on 2 cores
    python benchmarks/spokes_more.py --seeds 5 6 7 --model visible-halos
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from astropy.io import fits

sys.path.insert(0, str(Path(__file__).resolve().parent))  # real_sky, _report
import real_sky  # noqa: E402
from _report import prepend_report  # noqa: E402

from radio_unet.models import read_card  # noqa: E402
from radio_unet.segment.load import resolve_model  # noqa: E402


def main(argv=None) -> dict:
    """Run section 5 at each seed; returns ``{(seed, image, peak, spokes): fraction called diffuse}`` and the text."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--model", default="default", help="shipped model name or weights path")
    parser.add_argument("--data", type=Path, default=real_sky.DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=real_sky.ROOT / "benchmarks" / "results" / "spokes_more.md")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    card = read_card(resolve_model(args.model))[2]
    results, sections = {}, []
    with tempfile.TemporaryDirectory(prefix="spokes_more_") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", fits.verify.VerifyWarning)
        run = real_sky.Runner(args.model, "auto", Path(tmp))
        for seed in args.seeds:
            lines, found = real_sky.bright_sources(run, args.data, quick=False, seed=seed)
            results.update({(seed, *key): value for key, value in found.items()})
            sections += [f"### seed {seed}", ""] + lines[2:-2] + [""]  # the table, without the section's title and notes
    values = np.array(list(results.values()))
    passing = int((values <= real_sky.FP_GOAL).sum())
    command = "python benchmarks/spokes_more.py" + (" " + shlex.join(argv if argv is not None else sys.argv[1:])
                                                    if (argv if argv is not None else sys.argv[1:]) else "")
    head = ["# Benchmark: bright sources with calibration spokes at more seeds (real_sky.py section 5)", "",
            f"- date: {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}",
            f"- command: `{command}`",
            f"- model: {args.model}, weights sha256 {card.sha256}; `segment_file` with its artefact check, as `segment`",
            f"- {run.count} images segmented in {run.seconds:.0f} s; whole run {time.perf_counter() - t0:.0f} s", "",
            f"**{passing} of {len(values)} cases** at or under {real_sky.FP_GOAL:.0%} called diffuse"
            + (f"; worst {100 * values.max():.2f}%" if values.size else " (no data: lotss_dr1/ absent)"), ""]
    text = "\n".join(head + sections) + "\n"
    print(text)
    if values.size:
        prepend_report(args.out, text)
    return {"cases": results, "report": text}


if __name__ == "__main__":
    main()
