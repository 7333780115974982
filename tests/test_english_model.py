"""The whole hands-free loop with a real English Vosk model, when one is available.

No English model can be downloaded on the development and CI machines, so
these tests look for one in VOICEGLIMMER_MODEL or ../shared/models/ and are
skipped, with that reason shown, when there is none. They are written to pass
unchanged on a machine that has vosk-model-small-en-us-0.15.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.speech import Recording, read_wav
from voiceglimmer.voice.speech_models import is_model


def _english_model() -> Path | None:
    candidates = []
    if os.environ.get("VOICEGLIMMER_MODEL"):
        candidates.append(Path(os.environ["VOICEGLIMMER_MODEL"]).expanduser())
    shared = Path(__file__).resolve().parents[2] / "shared" / "models"
    if shared.is_dir():
        candidates += sorted(p for p in shared.iterdir() if "en" in p.name.lower())
    return next((p for p in candidates if p.is_dir() and is_model(p)), None)


MODEL = _english_model()
pytestmark = pytest.mark.skipif(
    MODEL is None,
    reason="no English Vosk model: set VOICEGLIMMER_MODEL or put one in ../shared/models/",
)


def run(args: list[str], home: Path) -> list[dict]:
    env = {**os.environ, "VOICEGLIMMER_HOME": str(home), "VOICEGLIMMER_MODEL": str(MODEL)}
    done = subprocess.run(
        [sys.executable, "-m", "voiceglimmer", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_a_spoken_glimmer_with_the_wake_phrase_is_saved(tmp_path) -> None:
    speech = Recording().quiet(0.8).say("hey glimmer").quiet(0.4)
    speech.say("I noticed a glimmer, the warm sunlight on my face.").quiet(3)
    wav = speech.write(tmp_path / "in.wav", rate=22050)
    out = tmp_path / "out.wav"
    events = run(["run", "--input", str(wav), "--output", str(out), "--json"], tmp_path / "h")
    kinds = [e["event"] for e in events]
    assert "wake" in kinds
    final = next(e for e in events if e["event"] == "final")
    assert "glimmer" in final["text"] and "sunlight" in final["text"]
    intent = next(e for e in events if e["event"] == "intent")
    assert (intent["plugin"], intent["intent"]) == ("log", "log_glimmer")
    listed = subprocess.run(
        [sys.executable, "-m", "voiceglimmer", "list"],
        capture_output=True,
        text=True,
        env={**os.environ, "VOICEGLIMMER_HOME": str(tmp_path / "h")},
    )
    assert "sunlight" in listed.stdout
    samples, rate = read_wav(out)
    assert len(samples) / rate > 2


def test_saying_stop_ends_a_savoring(tmp_path) -> None:
    speech = Recording().quiet(0.8).say("hey glimmer").quiet(0.4)
    speech.say("I noticed a glimmer, birdsong at dawn.").quiet(7).say("yes").quiet(14)
    speech.say("stop").quiet(10)
    wav = speech.write(tmp_path / "in.wav")
    events = run(
        ["run", "--input", str(wav), "--output", str(tmp_path / "o.wav"), "--json"], tmp_path / "h"
    )
    spoken = [e for e in events if e["event"] == "spoken"]
    assert spoken and spoken[-1]["stopped"] and spoken[-1]["seconds"] < 60
