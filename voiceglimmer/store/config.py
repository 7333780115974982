"""The person's settings: config.toml in the config folder, all keys optional.

    model = "vosk-model-small-en-us-0.15"   # a catalog name or a folder
    wake_phrase = "hey glimmer"
    follow_up_seconds = 8
    voice = "pyttsx3"                       # or "piper"
    input_device = "USB"                    # name, part of a name, or index
    output_device = 3
    plugin_timeout = 5                      # seconds a plugin may take per turn

    [plugins.savor-guide]                   # each plugin's own settings, in its section
    calm_check = true                       # ask "how settled?" around a savoring

Command-line options win over the file; the file wins over the defaults.

The top-level keys are voiceglimmer's own, and a wrong one is refused with a
message naming it. A plugin declares its settings (:class:`Setting`: name, type,
range, default, help) through the ``plugin_settings`` hook and they are checked
the same way under ``[plugins.NAME]``; there a key the plugin doesn't know, or a
section for a plugin that isn't installed, is only a warning: a plugin removed
or renamed must not stop voiceglimmer from starting.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voiceglimmer.errors import UserError
from voiceglimmer.store.home import Home, warn_once

KEYS: dict[str, type | tuple[type, ...]] = {
    "model": str,
    "wake_phrase": str,
    "follow_up_seconds": (int, float),
    "voice": str,
    "input_device": (str, int),
    "output_device": (str, int),
    "plugin_timeout": (int, float),
    "plugins": dict,
    # voiceglimmer serve's [serve] table: uri, satellites, reminders (checked there)
    "serve": dict,
}

#: Numbers outside these (inclusive) would break the assistant rather than tune it:
#: a plugin limit of 1e10 s overflows the timer and fails every turn.
RANGES: dict[str, tuple[float, float]] = {
    "follow_up_seconds": (0, 600),
    "plugin_timeout": (0.1, 3600),
}

#: Top-level keys of an earlier release that belong to a plugin's section now:
#: still read where they are (into that section), with a note saying where they live.
MOVED_TO_PLUGINS: dict[str, str] = {"calm_check": "savor-guide"}


def load(home: Home) -> dict[str, Any]:
    """The settings in config.toml, checked; plugins' sections under ``"plugins"``
    (checked against what each plugin declares by :func:`plugin_settings`)."""
    path = home.config / "config.toml"
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{path} is not a readable TOML file ({exc}). Fix or remove it.") from exc
    sections = data.get("plugins", {})
    if not isinstance(sections, dict) or not all(isinstance(s, dict) for s in sections.values()):
        raise UserError(
            f"{path}: plugins holds one table per plugin, such as [plugins.savor-guide]."
        )
    for key, plugin in MOVED_TO_PLUGINS.items():
        if key in data:
            value = data.pop(key)
            section = sections.setdefault(plugin, {})
            section.setdefault(key, value)
            data["plugins"] = sections
            warn_once(f"{path}: {key} now lives under [plugins.{plugin}]; it still works here")
    for key, value in data.items():
        expected = KEYS.get(key)
        if expected is None:
            raise UserError(f"{path}: unknown setting {key!r}; known ones: {', '.join(KEYS)}.")
        # a TOML true is a Python int too: "follow_up_seconds = true" is not a number
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
            raise UserError(f"{path}: {key} has the wrong type ({type(value).__name__}).")
        if key in RANGES and isinstance(value, int | float):
            low, high = RANGES[key]
            if not (math.isfinite(value) and low <= value <= high):
                raise UserError(
                    f"{path}: {key} = {value} is out of range; use a number of seconds "
                    f"from {low:g} to {high:g}."
                )
    return data


# -- plugins' settings -----------------------------------------------------------------

_TYPE_WORDS: dict[type, str] = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "text in quotes",
}


def _toml(value: object) -> str:
    """A value as it would be written in config.toml."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int | float):
        return str(value)
    return f"a {type(value).__name__}"


@dataclass(frozen=True)
class Setting:
    """One setting a plugin offers, written under ``[plugins.NAME]`` in config.toml.

    ``type`` is bool, int, float or str; numbers may have a ``minimum`` and a
    ``maximum`` (inclusive), text a fixed set of ``choices``. ``default`` is the
    value when the file says nothing, and ``help`` says in a few words what it
    does (``voiceglimmer plugins`` shows it).
    """

    name: str
    type: type
    default: Any
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in _TYPE_WORDS:
            raise ValueError(f"setting {self.name!r}: type must be bool, int, float or str")
        if not self.name or not self.name.replace("_", "").isalnum():
            raise ValueError(f"setting name {self.name!r} is not letters, digits and _")
        problem = self.problem(self.default)
        if problem:
            raise ValueError(f"setting {self.name!r}: its default {problem}")

    @property
    def expected(self) -> str:
        """What a good value looks like, in the person's words."""
        if self.choices:
            return "one of " + ", ".join(_toml(c) for c in self.choices)
        words = _TYPE_WORDS[self.type]
        if self.minimum is not None and self.maximum is not None:
            return f"{words} from {self.minimum:g} to {self.maximum:g}"
        if self.minimum is not None:
            return f"{words} of at least {self.minimum:g}"
        if self.maximum is not None:
            return f"{words} of at most {self.maximum:g}"
        return words

    def problem(self, value: object) -> str | None:
        """Why ``value`` can't be this setting ("is text, not ..."), or None if it can."""
        kind = type(value)
        fits = kind is self.type or (self.type is float and kind is int)
        if not fits:
            return f"should be {self.expected}, not {_toml(value)}"
        if isinstance(value, int | float) and not isinstance(value, bool):
            low = -math.inf if self.minimum is None else self.minimum
            high = math.inf if self.maximum is None else self.maximum
            if not (math.isfinite(value) and low <= value <= high):
                return f"= {_toml(value)} is out of range; use {self.expected}"
        if self.choices and value not in self.choices:
            return f"= {_toml(value)} is not {self.expected}"
        return None


class SettingError(KeyError):
    """A plugin asked for a setting it did not declare."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass
class PluginSettings:
    """Each plugin's settings: what config.toml says, else the declared defaults."""

    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def of(self, plugin: str) -> dict[str, Any]:
        """Every setting of ``plugin`` (a copy: changing it changes nothing)."""
        return dict(self.values.get(plugin, {}))

    def get(self, plugin: str, name: str) -> Any:
        found = self.values.get(plugin, {})
        if name not in found:
            raise SettingError(
                f"plugin {plugin!r} declared no setting {name!r} (declare it with the "
                "plugin_settings hook)"
            )
        return found[name]


def plugin_settings(
    home: Home,
    declared: Mapping[str, Sequence[Setting]],
    *,
    warn: Callable[[str], None] = warn_once,
    data: dict[str, Any] | None = None,
) -> PluginSettings:
    """Every plugin's settings from its ``[plugins.NAME]`` section of config.toml.

    A value of the wrong type or out of range is refused (UserError naming the
    section, the key and what would do); an unknown key, or a section for a
    plugin that isn't loaded, is a warning and is not used.
    """
    path: Path = home.config / "config.toml"
    sections: dict[str, Any] = (load(home) if data is None else data).get("plugins", {})
    values = {
        plugin: {s.name: s.default for s in settings} for plugin, settings in declared.items()
    }
    for plugin, section in sections.items():
        if plugin not in declared:
            warn(f"{path}: [plugins.{plugin}] is for a plugin that is not loaded; it is ignored")
            continue
        known = {s.name: s for s in declared[plugin]}
        for key, value in section.items():
            setting = known.get(key)
            if setting is None:
                names = ", ".join(known) or "none"
                warn(
                    f"{path}: [plugins.{plugin}] has no setting {key!r} (its settings: "
                    f"{names}); it is ignored"
                )
                continue
            problem = setting.problem(value)
            if problem:
                raise UserError(f"{path}: [plugins.{plugin}] {key} {problem}.")
            values[plugin][key] = float(value) if setting.type is float else value
    return PluginSettings(values)
