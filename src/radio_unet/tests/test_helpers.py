"""The shared helpers: JSON cleaning and the LRU cache."""

from __future__ import annotations

import json
import pickle
import threading

import numpy as np

from radio_unet.jsonsafe import json_safe
from radio_unet.lru import LRUCache


def test_json_safe_writes_strict_json():
    """NaN and infinities become null, numpy scalars and arrays plain numbers, tuples lists, keys strings."""
    value = {"nan": float("nan"), "inf": np.float32(np.inf), "f32": np.float32(0.5), "i": np.int64(3), "b": np.bool_(True),
             "t": (1, np.float64(-np.inf)), "a": np.array([[1.0, np.nan]]), 7: {"nested": [np.int32(2)]}, "s": "text",
             "none": None}
    clean = json_safe(value)
    assert json.loads(json.dumps(clean, allow_nan=False)) == {
        "nan": None, "inf": None, "f32": 0.5, "i": 3, "b": True, "t": [1, None], "a": [[1.0, None]],
        "7": {"nested": [2]}, "s": "text", "none": None}
    assert type(clean["i"]) is int and type(clean["f32"]) is float and type(clean["b"]) is bool


def test_lru_cache_drops_the_least_recently_used():
    """get refreshes an entry; put drops the oldest beyond maxsize (or a per-call maxsize); clear empties it."""
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert "b" not in cache and cache.keys() == ["a", "c"] and cache.get("b", "missing") == "missing"
    cache.put("d", 4, maxsize=1)
    assert cache.keys() == ["d"] and len(cache) == 1
    cache.clear()
    assert len(cache) == 0


def test_lru_cache_pickles_empty_and_is_thread_safe():
    """A pickled cache comes back empty with its size; concurrent puts never exceed maxsize."""
    cache = LRUCache(3)
    cache.put("a", np.zeros(3))
    copy = pickle.loads(pickle.dumps(cache))
    assert len(copy) == 0 and copy.maxsize == 3
    copy.put("x", 1)

    def fill(start):
        for i in range(start, start + 500):
            cache.put(i, i)
            cache.get(i - 1)

    threads = [threading.Thread(target=fill, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 3
