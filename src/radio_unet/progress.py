"""Progress bars: tqdm's notebook widget in Jupyter, its text bar elsewhere.

``tqdm.auto`` chooses the same way but also imports ``asyncio`` for its
``async for`` support (~20 ms of every command's start), which no loop here
uses; this module gives the same choice without it.
"""

import warnings

from tqdm.std import TqdmExperimentalWarning

with warnings.catch_warnings():  # tqdm.autonotebook warns that its notebook mode is experimental; tqdm.auto silences it too
    warnings.simplefilter("ignore", category=TqdmExperimentalWarning)
    from tqdm.autonotebook import tqdm, trange

__all__ = ["tqdm", "trange"]
