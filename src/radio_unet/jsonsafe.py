"""Values made safe for strict JSON: the one helper behind every JSON file radio-unet writes.

Examples
--------
>>> import numpy as np
>>> json_safe({"a": np.float32(0.5), "b": (np.int64(2), float("nan")), 3: np.arange(2)})
{'a': 0.5, 'b': [2, None], '3': [0, 1]}
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["json_safe"]


def json_safe(value: Any) -> Any:
    """A copy of ``value`` that :func:`json.dumps` writes as strict JSON (``allow_nan=False``).

    Parameters
    ----------
    value : object
        Nested dicts, lists and tuples of numbers, strings, booleans, None,
        numpy scalars and arrays.

    Returns
    -------
    object
        The same structure with NaN and infinities as None (JSON has no NaN),
        numpy scalars as Python numbers and booleans, arrays and tuples as
        lists, and dict keys as strings; other values are returned unchanged.
    """
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value
