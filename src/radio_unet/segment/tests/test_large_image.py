"""A 20000x20000 memory-mapped mosaic is segmented window by window with bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from radio_unet.io import image_header, make_celestial_wcs, open_image_memmap, Beam

NPIX = 20000


@pytest.mark.slow
def test_20000px_mosaic_under_4gb(tmp_path):
    """Segmenting a 20000x20000 float32 mosaic (1.6 GB) keeps the peak resident memory under 4 GB."""
    wcs = make_celestial_wcs((NPIX, NPIX), pixel_scale_arcsec=2.0, ra_deg=180.0, dec_deg=50.0)
    header = image_header(wcs, beam=Beam(6.0, 6.0), unit="Jy/beam")
    rng = np.random.default_rng(0)
    with open_image_memmap(tmp_path / "mosaic.fits", (NPIX, NPIX), np.float32, header) as data:
        for y in range(0, NPIX, 1000):
            data[y : y + 1000] = rng.normal(0, 1e-4, (min(1000, NPIX - y), NPIX)).astype(np.float32)
        data[:50] = np.nan  # a blank border
    script = textwrap.dedent(
        f"""
        import json, resource, torch
        from radio_unet.models import build_model, save_model
        from radio_unet.segment.run import segment_file
        torch.manual_seed(0)
        model = build_model({{"base_filters": 4, "depth": 2, "dropout": 0.0}}).eval()
        save_model(r"{tmp_path}/tiny.safetensors", model, {{"normalization": {{"vmin": 1e-7, "vmax": 1e-2, "unit": "Jy/beam"}},
                   "pixel_scale_arcsec": 2.0, "beam_arcsec": {{"major": 6.0, "minor": 6.0, "pa": 0.0}}}})
        result = segment_file(r"{tmp_path}/mosaic.fits", r"{tmp_path}/out", model=r"{tmp_path}/tiny.safetensors", png=False,
                              tta=False)  # one orientation: 8 passes over 4e8 px take minutes here
        peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        print(json.dumps({{"peak_gb": peak_gb, **result}}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"peak resident memory {result['peak_gb']:.2f} GB")
    assert result["peak_gb"] < 4.0, result
    from astropy.io import fits

    with fits.open(tmp_path / "out" / "mosaic.prob.fits", memmap=True) as hdul:
        out = hdul[0].data
        assert out.shape == (NPIX, NPIX)
        assert np.isnan(out[:50:7, ::997]).all() and np.isfinite(out[60:20000:991, ::997]).all()
