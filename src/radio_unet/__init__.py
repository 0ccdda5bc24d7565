"""radio-unet: find faint diffuse radio emission in radio-survey images with a U-Net.

The package follows the data flow of Radio U-Net (Stuardi et al. 2024):
``sky`` (sky models) -> ``observe`` (mock LOFAR observations) -> ``data``
(tiles, normalisation) -> ``models``/``train`` (the U-Net) -> ``segment``
(probability maps of real FITS images) -> ``evaluate`` and ``targets``
(science answers). ``io`` holds every file format at the edges; the modules
shared by several stages sit at the top: ``cosmology``, ``islands`` (the
island rules of segment, evaluate and targets), ``stats``, ``jsonsafe``, ``lru``,
``progress`` (progress bars) and ``errors``.
"""

import importlib
from importlib.metadata import PackageNotFoundError, version as _version
from typing import Callable, Mapping

try:
    __version__ = _version("radio-unet")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]


def lazy_exports(package: str, sources: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` that import a package's public names from their submodules on first use.

    A package whose ``__init__`` imported every submodule would make each user
    pay for the heaviest one (PyTorch, Lightning); with these (PEP 562) a name
    costs only the import of its own submodule.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    sources : mapping of str to str
        Public name -> submodule (relative to ``package``) that defines it.

    Returns
    -------
    (callable, callable)
        ``__getattr__`` and ``__dir__`` for the package's namespace.

    Examples
    --------
    In a package's ``__init__.py``::

        _SOURCES = {"Normalization": "normalize"}
        __all__ = list(_SOURCES)
        __getattr__, __dir__ = lazy_exports(__name__, _SOURCES)
    """

    def __getattr__(name: str) -> object:
        if name not in sources:  # a submodule not imported yet (``package.submodule`` used as an attribute)
            try:
                return importlib.import_module(f".{name}", package)
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(f".{sources[name]}", package), name)
        setattr(importlib.import_module(package), name, value)  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(importlib.import_module(package))) | set(sources))

    return __getattr__, __dir__
