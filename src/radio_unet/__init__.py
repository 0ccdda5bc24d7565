"""radio-unet: find faint diffuse radio emission in radio-survey images with a U-Net.

The package follows the data flow of Radio U-Net (Stuardi et al. 2024):
``sky`` (sky models) -> ``observe`` (mock LOFAR observations) -> ``data``
(tiles, normalisation) -> ``models``/``train`` (the U-Net) -> ``segment``
(probability maps of real FITS images) -> ``evaluate`` and ``targets``
(science answers). ``io`` holds every file format at the edges.
"""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("radio-unet")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
