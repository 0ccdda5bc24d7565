"""Figures: quick-look galleries and segmentation panels (matplotlib, Agg backend)."""

from .panels import image_limits, save_figure, show_linear, show_log
from .segmentation import save_segmentation_figure

__all__ = ["image_limits", "save_figure", "show_linear", "show_log", "save_segmentation_figure"]
