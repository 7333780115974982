"""Shared fixtures: a private home folder per test, a fixed clock, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from voiceglimmer.app import open_assistant
from voiceglimmer.dialog.assistant import Assistant

# One cache of the trained understanding model for the whole run (it holds nothing
# personal): each test's own home would otherwise train it again.
os.environ.setdefault(
    "VOICEGLIMMER_CACHE", os.path.join(tempfile.gettempdir(), f"vg-test-cache-{os.getuid()}")
)

ZONE = "America/New_York"
#: A Tuesday afternoon; tests speak of "yesterday" relative to this.
NOW = datetime(2026, 11, 24, 15, 30, tzinfo=ZoneInfo(ZONE))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("VOICEGLIMMER_HOME", str(folder))
    monkeypatch.setenv("TZ", ZONE)
    return folder


@pytest.fixture(scope="session", autouse=True)
def _trained_models(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Train the learned models into the run's cache once, before any test: a test that
    times a reply then times the reply, not the one-off training."""
    a = open_assistant(home=tmp_path_factory.mktemp("training-home"))
    try:
        for model in (a.pipeline.model, a.pipeline.boundary, a.safety.model):
            assert model is not None
    finally:
        a.journal.close()


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return lambda: NOW


@pytest.fixture
def assistant(home: Path, clock: Callable[[], datetime]) -> Assistant:
    a = open_assistant(home=home, clock=clock, seed=7)
    yield a
    a.journal.close()


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


@pytest.fixture
def cli(home: Path) -> Callable[..., Run]:
    """Run the real ``voiceglimmer`` command in a child process."""

    def run(
        *args: str, input: str | None = None, now: datetime = NOW, env: dict | None = None
    ) -> Run:
        environment = {
            **os.environ,
            "VOICEGLIMMER_HOME": str(home),
            "VOICEGLIMMER_NOW": now.isoformat(),
            "TZ": ZONE,
            **(env or {}),
        }
        done = subprocess.run(
            [sys.executable, "-m", "voiceglimmer", *args],
            input=input,
            capture_output=True,
            text=True,
            env=environment,
            timeout=60,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run
