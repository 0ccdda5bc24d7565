"""Source counts below the noise: the differential counts N(S) per flux bin from radio images, with intervals.

The second system of the Regis, Scaffidi, Taoso & Todarello line of work
(arXiv:2306.15720), rebuilt so that its flaws do not return: every simulated
field draws its own count parameters (no sky model is shared between training
and test), two count families (the talk's ``(1 + S0/S)**alpha n0(S)`` and a
flexible knots family), beam, noise and pixel size drawn per field, and a
posterior with 68% and 95% intervals instead of a point value.

Modules
-------
:mod:`.families`
    Reference counts, the two families, bin averages (the targets).
:mod:`.presets`
    Survey presets (``lotss-6as-like``, ``askap-emu-like``): grids, nuisance
    ranges, bins, priors.
:mod:`.simulate`
    One field: the fast route (sources through a Gaussian beam plus
    correlated noise) and the observe route (:func:`radio_unet.observe.observe`).
:mod:`.dataset`
    Data sets on disk (``radio-unet counts simulate``), splits by field.
:mod:`.features`, :mod:`.networks`, :mod:`.npe`, :mod:`.model`, :mod:`.train`
    The estimator: tile CNN embedding with mean aggregation over tiles, an
    ``sbi`` neural posterior flow, the talk's CNN regression baseline, saving
    and loading (safetensors + card), training.
:mod:`.baselines`
    P(D) fit and completeness-corrected catalogue counts above 5 sigma.
:mod:`.estimate`, :mod:`.evaluate`
    ``radio-unet counts estimate`` and ``radio-unet counts evaluate``.

See ``docs/counts.md``.
"""

from .families import FAMILIES, KnotCounts, ReferenceCounts, TalkCounts, bin_dnds, bin_targets, targets_to_dnds
from .presets import COUNTS_PRESETS, CountsPreset, get_counts_preset

__all__ = [
    "FAMILIES",
    "ReferenceCounts",
    "TalkCounts",
    "KnotCounts",
    "bin_dnds",
    "bin_targets",
    "targets_to_dnds",
    "COUNTS_PRESETS",
    "CountsPreset",
    "get_counts_preset",
]
