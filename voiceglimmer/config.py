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

import tomllib
from typing import Any

from voiceglimmer.app import UserError
from voiceglimmer.home import Home

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
        if not isinstance(value, expected):
            raise UserError(f"{path}: {key} has the wrong type ({type(value).__name__}).")
    return data
