"""Component classes of a sky model and their integer labels.

The label map of a sky model stores one :class:`Component` value per pixel.
The diffuse classes (:data:`DIFFUSE_CLASSES`) are the ones the network has to
find; radio galaxies, compact sources and the Galactic foreground are
contaminants that never enter the reference mask.
"""

from __future__ import annotations

from enum import IntEnum

from ..errors import RadioUNetError

__all__ = ["Component", "DIFFUSE_CLASSES", "CONTAMINANT_CLASSES", "is_diffuse"]


class Component(IntEnum):
    """Per-pixel class of the emission that dominates a pixel.

    The values are stable (they are written into label FITS files and
    manifests): ``BACKGROUND=0`` (no component above the threshold),
    ``HALO=1``, ``RELIC=2``, ``MINIHALO=3``, ``FILAMENT=4`` (cosmic-web
    filaments and inter-cluster bridges), ``RADIO_GALAXY=5`` (extended AGN:
    FRI, FRII, tailed; central cluster galaxies), ``COMPACT=6`` (the
    unresolved and barely resolved source population) and ``FOREGROUND=7``
    (smooth Galactic emission).
    """

    BACKGROUND = 0
    HALO = 1
    RELIC = 2
    MINIHALO = 3
    FILAMENT = 4
    RADIO_GALAXY = 5
    COMPACT = 6
    FOREGROUND = 7

    @classmethod
    def resolve(cls, value: "Component | int | str") -> "Component":
        """Turn a member, its integer value or its (case-insensitive) name into a member.

        Parameters
        ----------
        value : Component, int or str
            For example ``Component.HALO``, ``1``, ``"halo"`` or ``"HALO"``.

        Returns
        -------
        Component

        Raises
        ------
        RadioUNetError
            If ``value`` names no component; the message lists the valid names.
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = value.strip().upper().replace("-", "_")
            aliases = {
                "MINI_HALO": "MINIHALO",
                "BRIDGE": "FILAMENT",
                "RG": "RADIO_GALAXY",
                "RADIOGALAXY": "RADIO_GALAXY",
            }
            key = aliases.get(key, key)
            if key in cls.__members__:
                return cls[key]
        else:
            try:
                return cls(int(value))
            except (TypeError, ValueError):
                pass
        names = ", ".join(f"{m.name.lower()}={m.value}" for m in cls)
        raise RadioUNetError(f"unknown sky component {value!r}; choose one of: {names}")


#: The diffuse classes that make up the reference mask.
DIFFUSE_CLASSES: tuple[Component, ...] = (Component.HALO, Component.RELIC, Component.MINIHALO, Component.FILAMENT)

#: Classes that are present in the sky but must never be in the mask.
CONTAMINANT_CLASSES: tuple[Component, ...] = (Component.RADIO_GALAXY, Component.COMPACT, Component.FOREGROUND)


def is_diffuse(component: "Component | int | str") -> bool:
    """True if ``component`` is one of :data:`DIFFUSE_CLASSES`.

    Parameters
    ----------
    component : Component, int or str
        Anything :meth:`Component.resolve` accepts.

    Returns
    -------
    bool
    """
    return Component.resolve(component) in DIFFUSE_CLASSES
