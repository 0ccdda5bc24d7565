"""Benchmark: the real-sky injection protocol on simulated LoTSS noise instead of the real one.

`benchmarks/real_sky.py` injects halos and relics into the two real LoTSS-DR1
cut-outs. Is a shortfall there the real noise's doing (a domain gap) or the
network's? This runs the same injections (same shapes, levels, seeds and
truth) into crops of held-out simulated ``lotss-6as`` fields of the same
sizes (200x200 and 400x400), chosen without any diffuse label in them, and
writes the same report. Equal scores on both mean the network, not the real
noise, sets the limit.

Usage::

    python benchmarks/injection_sim_noise.py [--model default] [--fields data_sim/indep/lotss-6as-512]

The fields: ``radio-unet simulate --preset lotss-6as-512 --n 40 --seed 41 --out data_sim/indep/lotss-6as-512``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_sky  # noqa: E402
from _report import prepend_report  # noqa: E402

#: Label values of the diffuse classes and Galactic foreground (radio_unet.sky.Component).
EXTENDED_LABELS = (1, 2, 3, 4, 7)


def emptiest_crop(fields: list[Path], size: int, step: int = 56) -> tuple[Path, int, int]:
    """The field and corner ``(y, x)`` of the ``size`` crop with the fewest diffuse-labelled pixels (first wins)."""
    best = None
    for image in fields:
        labels = fits.getdata(str(image).replace(".image.fits", ".labels.fits"))
        ny, nx = labels.shape
        extended = np.isin(labels, EXTENDED_LABELS)
        for y in range(0, ny - size + 1, step):
            for x in range(0, nx - size + 1, step):
                count = int(extended[y : y + size, x : x + size].sum())
                if best is None or count < best[0]:
                    best = (count, image, y, x)
    if best is None:
        raise SystemExit(f"no simulated field of at least {size}x{size} pixels")
    return best[1], best[2], best[3]


def write_crop(image: Path, y: int, x: int, size: int, out: Path) -> None:
    """Write the crop with its WCS, beam, unit and frequency cards."""
    header = fits.getheader(image)
    data = fits.getdata(image)
    crop = WCS(header).celestial[y : y + size, x : x + size].to_header()
    for key in ("BMAJ", "BMIN", "BPA", "BUNIT", "RESTFRQ", "FREQ"):
        if key in header:
            crop[key] = header[key]
    fits.PrimaryHDU(np.asarray(data[y : y + size, x : x + size], np.float32), crop).writeto(out, overwrite=True)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--fields", type=Path, default=ROOT / "data_sim" / "indep" / "lotss-6as-512")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "injection_sim_noise.md")
    args = parser.parse_args(argv)
    fields = sorted(args.fields.glob("*.image.fits"))
    if not fields:
        raise SystemExit(f"no simulated fields in {args.fields} (see this script's docstring)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "lotss_dr1"
        folder.mkdir()
        chosen = []
        for rel in real_sky.LOTSS:  # same names and sizes as the real cut-outs
            size = int(rel.rsplit("_", 1)[1].split("x")[0])
            image, y, x = emptiest_crop(fields, size)
            write_crop(image, y, x, size, Path(tmp) / rel)
            chosen.append((image, y, x, size))
        crops = [f"`{rel.split('/')[-1]}` <- {image.relative_to(ROOT) if image.is_relative_to(ROOT) else image} "
                 f"[{y}:{y + size}, {x}:{x + size}]" for rel, (image, y, x, size) in zip(real_sky.LOTSS, chosen)]
        result = real_sky.main(["--model", args.model, "--data", tmp, "--out", str(Path(tmp) / "report.md"),
                                "--figure", str(Path(tmp) / "figure.png")])
    command = "python benchmarks/injection_sim_noise.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])
                                                            if (argv if argv is not None else sys.argv[1:]) else "")
    lines = result["report"].splitlines()
    body = [line for line in lines[2:] if not line.startswith(("- command:", "- data:", "- figure:"))]
    text = "\n".join([
        "# Benchmark: the real-sky injections into simulated LoTSS noise (benchmarks/real_sky.py's sections 1-2)", "",
        f"- command: `{command}`",
        "- noise images: diffuse-free crops of held-out simulated lotss-6as fields, the sizes of the real cut-outs: "
        + "; ".join(crops),
        "- the false-positive rows are these crops (simulated compact sources and radio galaxies; no diffuse label); "
        "sections 3-4 have no data here",
        *body]) + "\n"
    prepend_report(args.out, text)
    print(text)
    return result


if __name__ == "__main__":
    main()
