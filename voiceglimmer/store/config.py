"""The person's settings: config.toml in the config folder, all keys optional.

    model = "vosk-model-small-en-us-0.15"   # a catalog name or a folder
    wake_phrase = "hey glimmer"
    follow_up_seconds = 8
    voice = "pyttsx3"                       # or "piper"
    input_device = "USB"                    # name, part of a name, or index
    output_device = 3
    calm_check = true                       # ask "how settled?" around a savoring
    plugin_timeout = 5                      # seconds a plugin may take per turn

Command-line options win over the file; the file wins over the defaults.
"""

from __future__ import annotations

import math
import tomllib
from typing import Any

from voiceglimmer.errors import UserError
from voiceglimmer.store.home import Home

KEYS = {
    "model": str,
    "wake_phrase": str,
    "follow_up_seconds": (int, float),
    "voice": str,
    "input_device": (str, int),
    "output_device": (str, int),
    "calm_check": bool,
    "plugin_timeout": (int, float),
}

#: Numbers outside these (inclusive) would break the assistant rather than tune it:
#: a plugin limit of 1e10 s overflows the timer and fails every turn.
RANGES: dict[str, tuple[float, float]] = {
    "follow_up_seconds": (0, 600),
    "plugin_timeout": (0.1, 3600),
}


def load(home: Home) -> dict[str, Any]:
    path = home.config / "config.toml"
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{path} is not a readable TOML file ({exc}). Fix or remove it.") from exc
    for key, value in data.items():
        expected = KEYS.get(key)
        if expected is None:
            raise UserError(f"{path}: unknown setting {key!r}; known ones: {', '.join(KEYS)}.")
        # a TOML true is a Python int too: "follow_up_seconds = true" is not a number
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
            raise UserError(f"{path}: {key} has the wrong type ({type(value).__name__}).")
        if key in RANGES:
            low, high = RANGES[key]
            if not (math.isfinite(value) and low <= value <= high):
                raise UserError(
                    f"{path}: {key} = {value} is out of range; use a number of seconds "
                    f"from {low:g} to {high:g}."
                )
    return data
