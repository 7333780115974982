"""Where a person's private data lives on their own machine.

One folder holds the journal, its backups and the config; tests and people who
want a second journal point VOICEGLIMMER_HOME elsewhere. Folders are created
owner-only because a glimmer journal is intimate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "voiceglimmer"


@dataclass(frozen=True)
class Home:
    data: Path
    config: Path
    #: Files that can be rebuilt at any time (parsed templates); under ``data`` when
    #: VOICEGLIMMER_HOME or a test gives one folder for everything.
    cache: Path | None = None

    @classmethod
    def locate(cls) -> Home:
        override = os.environ.get("VOICEGLIMMER_HOME")
        if override:
            root = Path(override).expanduser()
            return cls(data=root, config=root)
        return cls(
            data=Path(platformdirs.user_data_dir(APP, appauthor=False)),
            config=Path(platformdirs.user_config_dir(APP, appauthor=False)),
            cache=Path(platformdirs.user_cache_dir(APP, appauthor=False)),
        )

    @property
    def journal(self) -> Path:
        return self.data / "journal.sqlite3"

    @property
    def cache_dir(self) -> Path:
        return self.cache or self.data / "cache"

    @property
    def plugins_dir(self) -> Path:
        return self.config / "plugins"

    def ensure(self) -> None:
        for folder in {self.data, self.config}:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
