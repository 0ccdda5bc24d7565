"""One base for the package's configuration dataclasses.

Every set of settings (the sky model, survey presets, artefact ranges, CLEAN,
the network, the data set, training, the counts presets) is a dataclass that
derives from :class:`ConfigBase`, so that all of them are built, copied,
exported and checked the same way:

* ``from_dict`` builds one from a (partial) mapping, e.g. a YAML section;
  an unknown key is an error that lists the known ones;
* ``with_overrides`` is a checked copy with some settings replaced;
* ``to_dict`` gives plain, JSON/YAML-ready values (tuples become lists,
  nested configurations their own dictionaries);
* ``check_number``, ``check_pair`` and ``check_flag`` are the one set of
  value checks, whose messages name the configuration, the setting and the
  value given; settings that take one of a few names list them in
  ``choices`` and ``check_choices`` looks them all up;
* ``add_flags`` registers command-line flags for settings, their type,
  choices and default taken from the dataclass (only the help text is
  written by hand).

Lists given for tuple-valued settings (YAML and JSON have no tuples) are
stored as tuples, so configurations compare and hash predictably.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import numbers
import typing
from typing import Any, Callable, ClassVar, Iterable, Mapping

import numpy as np

from .errors import RadioUNetError, check_choice

__all__ = ["ConfigBase", "add_flags", "plain"]


def plain(value: Any) -> Any:
    """``value`` with tuples as lists and configurations as dictionaries, recursively (JSON/YAML-ready)."""
    if isinstance(value, ConfigBase):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


class ConfigBase:
    """Mixin of the configuration dataclasses: one way to build, copy, export and check settings.

    A subclass is a dataclass (frozen or not) that sets :attr:`label`, the
    name of the configuration in messages, and checks its values in
    ``__post_init__`` with the ``check_*`` methods.
    """

    #: Name of the configuration in error messages ("sky", "preset", "training", ...).
    label: ClassVar[str] = "config"
    #: True where the ``name`` setting names the configuration in messages (presets).
    named: ClassVar[bool] = False
    #: Settings that take one of a few names: setting -> allowed values (:meth:`check_choices`, :meth:`add_flags`).
    choices: ClassVar[Mapping[str, tuple]] = {}
    #: Command-line parsers of settings whose text is not read by their type (e.g. "all" or a number).
    parsers: ClassVar[Mapping[str, Callable[[str], Any]]] = {}

    # ------------------------------------------------------------------ building and copying
    @classmethod
    def field_names(cls) -> list[str]:
        """Names of the settings, in declaration order."""
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def check_keys(cls, keys: Iterable[str], *, also: Iterable[str] = ()) -> None:
        """Raise :class:`RadioUNetError` naming the keys that are neither settings nor in ``also``, and the known ones."""
        known = set(cls.field_names()) | set(also)
        unknown = sorted(set(keys) - known)
        if unknown:
            raise RadioUNetError(f"unknown {cls.label} setting(s) {', '.join(map(str, unknown))}; "
                                 f"known: {', '.join(sorted(known))}")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None):
        """Build from a (partial) mapping; unknown keys are an error (:meth:`check_keys`)."""
        values = dict(values or {})
        cls.check_keys(values)
        return cls(**values)

    def with_overrides(self, **changes):
        """A checked copy with some settings replaced; unknown names are an error."""
        self.check_keys(changes)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Every setting as a plain, JSON/YAML-ready value (:func:`plain`)."""
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    # ------------------------------------------------------------------ checks
    def _store(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)  # frozen dataclasses too

    def lists_to_tuples(self) -> None:
        """Store list values as tuples (YAML and JSON give lists)."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                self._store(f.name, tuple(value))

    def where(self) -> str:
        """How messages name this configuration: ``"<label> <name>"`` where :attr:`named`, else ``"<label> config"``."""
        return f"{self.label} {getattr(self, 'name')}" if self.named else f"{self.label} config"

    def _fail(self, name: str, what: str, value: Any) -> RadioUNetError:
        return RadioUNetError(f"{self.where()}: {name} must be {what}, got {value!r}")

    def _check_bounds(self, name: str, value: Any, low: float, high: float, *, positive: bool, lo: float | None,
                      hi: float | None, below: float | None) -> None:
        """Raise unless ``low`` (the smallest of the value) and ``high`` (its largest) lie within the bounds."""
        if positive and not low > 0:
            raise self._fail(name, "positive", value)
        if lo is not None and low < lo:
            raise self._fail(name, f">= {lo}", value)
        if hi is not None and high > hi:
            raise self._fail(name, f"<= {hi}", value)
        if below is not None and high >= below:
            raise self._fail(name, f"< {below}", value)

    def check_number(self, name: str, *, positive: bool = False, lo: float | None = None, hi: float | None = None,
                     below: float | None = None, integer: bool = False, optional: bool = False,
                     to_float: bool = False) -> None:
        """Check that setting ``name`` is a finite number within the bounds (``hi`` inclusive, ``below`` exclusive).

        ``integer``: an integer type (``int`` or a numpy integer; not 2.0, not True), stored as ``int``;
        ``to_float``: stored as ``float``; ``optional``: ``None`` passes.
        """
        value = getattr(self, name)
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, numbers.Integral if integer else numbers.Real) \
                or not math.isfinite(value):
            raise self._fail(name, "an integer" if integer else "a finite number", value)
        if integer:
            self._store(name, int(value))  # numpy integers as int
        elif to_float:
            self._store(name, float(value))
        self._check_bounds(name, value, value, value, positive=positive, lo=lo, hi=hi, below=below)

    def check_pair(self, name: str, *, positive: bool = False, lo: float | None = None, hi: float | None = None,
                   below: float | None = None, integer: bool = False) -> None:
        """Check that setting ``name`` is a ``(low, high)`` pair of finite numbers, ``low <= high``, within the bounds
        (``hi`` inclusive, ``below`` exclusive).

        ``integer``: whole numbers, stored as a tuple of ``int``.
        """
        value = getattr(self, name)
        try:
            a, b = value
            a, b = float(a), float(b)
        except (TypeError, ValueError):
            raise self._fail(name, "a (low, high) pair", value) from None
        if not (math.isfinite(a) and math.isfinite(b)) or a > b:
            raise self._fail(name, "finite with low <= high", value)
        self._check_bounds(name, value, a, b, positive=positive, lo=lo, hi=hi, below=below)
        if integer:
            if a != int(a) or b != int(b):
                raise self._fail(name, "whole numbers", value)
            self._store(name, (int(a), int(b)))

    def check_choices(self) -> None:
        """Look every setting of :attr:`choices` up (``None`` passes): an unknown value is an error listing them."""
        for name, allowed in self.choices.items():
            value = getattr(self, name)
            if value is not None:
                check_choice(value, allowed, f"{self.label} {name}")

    def check_flag(self, name: str) -> None:
        """Check that setting ``name`` is true or false (a numpy boolean is stored as ``bool``)."""
        value = getattr(self, name)
        if not isinstance(value, (bool, np.bool_)):
            raise self._fail(name, "true or false", value)
        self._store(name, bool(value))


# ---------------------------------------------------------------------- command line
def _flag_type(hint: Any) -> type | None:
    """The one concrete type of an annotation (``int | None`` -> ``int``); ``None`` when there are several or none."""
    kinds = [a for a in (typing.get_args(hint) or (hint,)) if a is not type(None)]
    return kinds[0] if len(kinds) == 1 and kinds[0] in (bool, int, float, str) else None


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def add_flags(cls: type[ConfigBase], group, flags: Mapping[str, tuple[str | None, str]], *,
              defaults: Mapping[str, Any] | None = None) -> None:
    """Register ``--setting-name`` flags of the dataclass ``cls`` on an argparse parser or group.

    The help text (and metavar) of each flag is given; its type (the field's
    annotation, or :attr:`ConfigBase.parsers`), its choices
    (:attr:`ConfigBase.choices`; true/false settings become
    ``--x/--no-x``) and the default quoted in the help (the field's, or
    ``defaults``, e.g. another command's) come from the dataclass. Every flag
    defaults to ``None`` ("not given"), so that flags can override a file.

    Parameters
    ----------
    cls : type
        A configuration dataclass deriving from :class:`ConfigBase`.
    group : argparse.ArgumentParser or argument group
    flags : mapping
        Setting name -> ``(metavar or None, help)``. A help that already says
        "default" keeps its own wording.
    defaults : mapping, optional
        Defaults quoted instead of the field's.
    """
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for name, (metavar, text) in flags.items():
        f = fields[name]
        default = (defaults or {}).get(name, f.default if f.default is not dataclasses.MISSING else None)
        kind = _flag_type(hints[name])
        options: dict[str, Any] = {"dest": name, "default": None}
        if kind is bool:
            options["action"] = argparse.BooleanOptionalAction
            default = "on" if default else "off"
        elif name in cls.choices:
            options["choices"] = list(cls.choices[name])
            options["type"] = type(cls.choices[name][0])
        else:
            options["type"] = cls.parsers.get(name, kind or str)
            options["metavar"] = metavar
        if default is not None and "default" not in text:
            text = f"{text} (default {_shown(default)})"
        group.add_argument("--" + name.replace("_", "-"), help=text, **options)
