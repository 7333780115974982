"""Making test speech with the project's own voice, and measuring what comes out."""

from __future__ import annotations

import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soxr

from tests.replay import Line
from voiceglimmer.voice.audio import RATE
from voiceglimmer.voice.tts import Pyttsx3Engine


@dataclass
class Recording:
    """Speech and silences laid end to end, with the script of what is where."""

    rate: int = RATE
    samples: list[np.ndarray] = field(default_factory=list)
    script: list[Line] = field(default_factory=list)
    engine: Pyttsx3Engine = field(default_factory=Pyttsx3Engine)
    voice: str = "en-us"

    @property
    def seconds(self) -> float:
        return sum(len(s) for s in self.samples) / self.rate

    def say(self, text: str) -> Recording:
        speech = self.engine.synthesize(text)
        pcm = np.frombuffer(speech.pcm, dtype=np.int16).astype(np.float32) / 32768
        pcm = soxr.resample(pcm, speech.rate, self.rate)
        start = self.seconds
        self.samples.append(pcm)
        self.script.append(Line(text.lower().strip(".,!?"), start, self.seconds))
        return self

    def quiet(self, seconds: float) -> Recording:
        self.samples.append(np.zeros(int(seconds * self.rate), dtype=np.float32))
        return self

    def pcm(self) -> bytes:
        audio = np.concatenate(self.samples) if self.samples else np.zeros(0, np.float32)
        return (np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes()

    def write(self, path: Path, *, rate: int | None = None, channels: int = 1) -> Path:
        """Save as WAV, optionally at another rate and channel count (to exercise resampling)."""
        audio = np.concatenate(self.samples)
        if rate and rate != self.rate:
            audio = soxr.resample(audio, self.rate, rate)
        pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
        if channels > 1:
            pcm = np.repeat(pcm[:, None], channels, axis=1)
        with wave.open(str(path), "wb") as w:
            w.setnchannels(channels)
            w.setsampwidth(2)
            w.setframerate(rate or self.rate)
            w.writeframes(pcm.tobytes())
        return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    return data, rate


def silences(
    samples: np.ndarray,
    rate: int,
    *,
    window: float = 0.05,
    level: float = 200,
    min_seconds: float = 1.0,
) -> list[tuple[float, float]]:
    """Stretches of near-silence at least ``min_seconds`` long, as (start, seconds)."""
    step = int(window * rate)
    if len(samples) < step:
        return []
    frames = samples[: len(samples) // step * step].astype(np.float64).reshape(-1, step)
    quiet = np.sqrt((frames**2).mean(axis=1)) < level
    runs, start = [], None
    for i, q in enumerate([*quiet, False]):
        if q and start is None:
            start = i
        elif not q and start is not None:
            if (i - start) * window >= min_seconds:
                runs.append((start * window, (i - start) * window))
            start = None
    return runs
