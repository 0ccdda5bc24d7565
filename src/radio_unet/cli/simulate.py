"""``radio-unet simulate``: synthetic LOFAR observations for training."""

from __future__ import annotations

import argparse
import os

__all__ = ["add_arguments", "run", "sky_overrides", "yaml_numbers"]


def sky_overrides(items: list[str], option: str = "--sky", example: str = "'z_range=[0.2, 0.6]'") -> dict:
    """``["name=value", ...]`` -> ``{name: value}`` (values read as YAML; lists become tuples); ``option`` and
    ``example`` make the messages.

    Examples
    --------
    >>> sky_overrides(["z_range=[0.2, 0.6]", "p_halo=0.8", "halo_power_range=[2e24, 2e26]"])
    {'z_range': (0.2, 0.6), 'p_halo': 0.8, 'halo_power_range': (2e+24, 2e+26)}
    """
    import yaml

    from ..errors import RadioUNetError

    changes = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise RadioUNetError(f"{option} {item!r}: expected NAME=VALUE, e.g. {option} {example}")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise RadioUNetError(f"{option} {item!r}: the value is not YAML ({str(exc).splitlines()[0]})") from None
        changes[name.strip()] = yaml_numbers(value)
    return changes


def yaml_numbers(value):
    """A value read from YAML with lists made tuples (recursively, dicts too) and numbers written as strings made
    floats: YAML 1.1 reads ``2e24`` (no dot) as a string.

    Examples
    --------
    >>> yaml_numbers({"a": ["2e24", 1, "x"]})
    {'a': (2e+24, 1, 'x')}
    """
    if isinstance(value, list):
        return tuple(yaml_numbers(v) for v in value)
    if isinstance(value, dict):
        return {k: yaml_numbers(v) for k, v in value.items()}
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``simulate``."""
    from ..simulate.presets import PRESETS

    parser.add_argument(
        "--preset", default="lotss-6as", choices=list(PRESETS),
        help="survey set-up: " + "; ".join(f"{k}: {p.description}" for k, p in PRESETS.items()),
    )
    parser.add_argument("--n", type=int, default=10, help="number of images (default 10)")
    parser.add_argument("--out", required=True, help="output folder (reused to resume an interrupted run)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives identical files")
    parser.add_argument(
        "--route", choices=["image", "visibility"], default="image",
        help="image: PSF convolution + weight-shaped noise (fast); visibility: ducc0 predict/image (slow, with gain errors)",
    )
    parser.add_argument("--npix", type=int, help="override the preset's image size (pixels)")
    parser.add_argument("--pixel-scale", type=float, metavar="ARCSEC",
                        help="override the preset's pixel size (arcsec), e.g. to match --background images")
    parser.add_argument(
        "--workers", type=int, default=1,
        help=f"parallel worker processes on a local Dask cluster (this machine has {os.cpu_count()} cores)",
    )
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler (e.g. on SLURM via dask-jobqueue)")
    parser.add_argument("--gallery", type=int, default=4, help="images shown in gallery.png (0: none)")
    parser.add_argument(
        "--background", metavar="FITS_OR_DIR",
        help="observe the sky models into real images instead of simulated noise: random cut-outs of these blank "
             "fields or residual maps (a FITS file, a folder or a glob; Jy/beam, the preset's pixel scale), the sky "
             "restored with their beam",
    )
    parser.add_argument(
        "--rg-templates", metavar="GLOB",
        help="FITS cut-outs of real radio galaxies (e.g. MiraBest) added to every field as contaminants, rescaled "
             "and rotated (radio_unet.sky.templates)",
    )
    parser.add_argument(
        "--sky", action="append", default=[], metavar="NAME=VALUE",
        help="override one sky-model parameter of the preset (radio_unet.sky.SkyConfig; repeatable; the value is "
             "read as YAML), e.g. --sky 'halo_power_range=[3e24, 3e26]' --sky 'z_range=[0.2, 0.6]'",
    )
    parser.add_argument(
        "--artefacts", action="append", default=[], metavar="NAME=VALUE",
        help="override one artefact range of the preset (radio_unet.observe.ArtefactRanges; repeatable; the value "
             "is read as YAML), e.g. --artefacts p_spokes=1 --artefacts 'spoke_level=[0.003, 0.03]'",
    )


def run(args: argparse.Namespace) -> int:
    """Simulate the data set."""
    from ..simulate import get_preset, simulate_dataset

    preset = get_preset(args.preset)
    if args.npix:
        preset = preset.with_overrides(npix=args.npix)
    if args.pixel_scale:
        preset = preset.with_overrides(pixel_scale_arcsec=args.pixel_scale)
    if args.background:
        from ..simulate.background import background_files

        background_files(args.background)  # a clear error now rather than in every worker
        preset = preset.with_overrides(background=args.background)
    if args.rg_templates:
        from ..sky.templates import load_templates

        load_templates(args.rg_templates)
        preset = preset.with_overrides(sky={**preset.sky, "rg_templates": args.rg_templates})
    if args.sky:
        from ..sky.config import SkyConfig

        preset = preset.with_overrides(sky={**preset.sky, **sky_overrides(args.sky)})
        SkyConfig().with_overrides(**preset.sky)  # unknown names and bad values fail here, once
    if args.artefacts:
        from ..observe import ArtefactRanges

        preset = preset.with_overrides(artefacts={**preset.artefacts, **sky_overrides(args.artefacts, "--artefacts", "p_spokes=1")})
        ArtefactRanges.from_dict(preset.artefacts)  # unknown names and bad values fail here, once
    table = simulate_dataset(
        preset, args.n, args.out, seed=args.seed, route=args.route,
        workers=args.workers, scheduler=args.scheduler, gallery=args.gallery,
    )
    print(f"{len(table)} images in {args.out} (manifest.csv, gallery.png)")
    return 0
