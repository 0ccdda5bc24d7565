"""Figures: quick-look galleries and segmentation panels (matplotlib, Agg backend).

The names load on first use: importing this package (or its
:mod:`~radio_unet.plots.worker`) does not import matplotlib, whose import
costs about a third of a second.
"""

from .. import lazy_exports

_SOURCES = {"image_limits": "panels", "save_figure": "panels", "show_linear": "panels", "show_log": "panels",
            "save_segmentation_figure": "segmentation"}

__all__ = list(_SOURCES)
__getattr__, __dir__ = lazy_exports(__name__, _SOURCES)
