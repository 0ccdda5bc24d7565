"""Figures: quick-look galleries and segmentation panels (matplotlib, Agg backend)."""

from .panels import image_limits, save_figure, show_log, show_linear

__all__ = ["image_limits", "save_figure", "show_log", "show_linear"]
