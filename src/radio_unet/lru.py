"""A small least-recently-used cache of objects that are expensive to make (open images, instruments).

:func:`functools.lru_cache` caches a function's results by its arguments;
:class:`LRUCache` is for the caches that hold objects by a key of their own
and are filled by code that must not run under a lock (reading a file,
building an instrument), or whose size changes per call.

Examples
--------
>>> cache = LRUCache(2)
>>> for key, value in (("a", 1), ("b", 2)):
...     _ = cache.put(key, value)
>>> cache.get("a")
1
>>> _ = cache.put("c", 3)  # "b" is the least recently used: it goes
>>> cache.keys(), cache.get("b")
(['a', 'c'], None)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Hashable

__all__ = ["LRUCache"]


class LRUCache:
    """A thread-safe mapping that keeps the ``maxsize`` most recently used entries.

    Parameters
    ----------
    maxsize : int
        Entries kept (0 keeps none); the least recently used ones go first.

    Notes
    -----
    A pickled cache comes back empty (each process opens its own files).
    """

    def __init__(self, maxsize: int):
        self.maxsize = max(0, int(maxsize))
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The entry of ``key`` (now the most recently used), or ``default``."""
        with self._lock:
            if key not in self._data:
                return default
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: Hashable, value: Any, *, maxsize: int | None = None) -> Any:
        """Store ``value`` under ``key`` and drop the oldest entries beyond ``maxsize`` (default :attr:`maxsize`).

        Returns
        -------
        object
            ``value``.
        """
        limit = self.maxsize if maxsize is None else max(0, int(maxsize))
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > limit:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._data.clear()

    def keys(self) -> list:
        """The keys, least recently used first."""
        with self._lock:
            return list(self._data)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __getstate__(self) -> dict:
        return {"maxsize": self.maxsize}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["maxsize"])
