"""Speech input for the benchmarks, made with the project's own voice.

The one complete Vosk model here is Korean, so the real recogniser is fed
Korean speech rendered by ``Pyttsx3Engine("ko")`` (espeak-ng). The assistant
speaks English, so what the person *meant* is kept beside the audio: each
spoken line carries the English request it stands for, and
:class:`SpokenRequests` answers a final transcript with the request whose
line the recognised words fall in. Routing, handling, the journal and the
reply are all real; only the words are swapped.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import soxr

from voiceglimmer.events import Final, Handled, LoopEvent, Utterance
from voiceglimmer.voice.audio import RATE

#: Everyday Korean sentences about small good moments ("the weather is nice today",
#: "warm sunlight touched my face", ...): what a person might say, 1.5-3 s each.
KOREAN = (
    "오늘 날씨가 좋네요",
    "따뜻한 햇살이 얼굴에 닿았어요",
    "차 한 잔이 따뜻했어요",
    "친구가 친절한 메시지를 보냈어요",
    "새소리가 아름다웠어요",
    "저녁 노을이 예뻤어요",
    "빗소리가 편안했어요",
    "고양이가 내 옆에서 잤어요",
)
#: More of them, all different, for recognition over half a minute and more without
#: repeating a sentence (the decoder caches what it has seen; see benchmarks.recognition).
KOREAN_MORE = (
    "아침에 커피 향이 좋았어요",
    "아이가 웃으며 손을 흔들었어요",
    "창밖에 눈이 내렸어요",
    "따뜻한 목욕을 했어요",
    "엄마와 차를 마셨어요",
    "공원에서 산책을 했어요",
    "좋아하는 노래가 나왔어요",
    "바다 소리를 들었어요",
    "갓 구운 빵 냄새가 났어요",
    "친구와 크게 웃었어요",
    "달이 아주 밝았어요",
    "기차에서 조용히 쉬었어요",
    "강아지가 꼬리를 흔들었어요",
    "깨끗한 이불이 포근했어요",
    "언덕 위로 해가 졌어요",
    "편지를 한 통 받았어요",
)


@dataclass(frozen=True)
class Line:
    """Where one spoken line lies in a track (stream seconds), and what it means."""

    start: float
    end: float
    said: str
    #: The English request the line stands for.
    means: str


class SpeechCache:
    """Renders each distinct sentence once, as 16 kHz mono int16."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._pcm: dict[str, np.ndarray] = {}

    def pcm(self, text: str) -> np.ndarray:
        if text not in self._pcm:
            speech = self.engine.synthesize(text)
            samples = np.frombuffer(speech.pcm, dtype=np.int16)
            if speech.rate != RATE:
                samples = soxr.resample(samples, speech.rate, RATE)
            self._pcm[text] = np.asarray(samples, dtype=np.int16)
        return self._pcm[text]


@dataclass
class Track:
    """A 16 kHz mono WAV written as it is composed, so hours of it need no memory."""

    path: Path
    voice: SpeechCache
    lines: list[Line] = field(default_factory=list)
    _frames: int = 0
    _wav: wave.Wave_write | None = None

    def __post_init__(self) -> None:
        self._wav = wave.open(str(self.path), "wb")  # noqa: SIM115 - closed by close()
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(RATE)

    @property
    def seconds(self) -> float:
        return self._frames / RATE

    def say(self, text: str, means: str = "") -> Track:
        samples = self.voice.pcm(text)
        start = self.seconds
        self._write(samples.tobytes())
        self.lines.append(Line(start, self.seconds, text, means or text))
        return self

    def quiet(self, seconds: float) -> Track:
        frames = round(seconds * RATE)
        block = bytes(2 * RATE)
        while frames > 0:
            n = min(frames, RATE)
            self._write(block[: 2 * n])
            frames -= n
        return self

    def _write(self, pcm: bytes) -> None:
        assert self._wav is not None, "the track is closed"
        self._wav.writeframes(pcm)
        self._frames += len(pcm) // 2

    def close(self) -> Path:
        if self._wav is not None:
            self._wav.close()
            self._wav = None
        return self.path

    def __enter__(self) -> Track:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@dataclass
class SpokenRequests:
    """The assistant, answering each recognised Korean line as its English request.

    Wire ``observe`` into the loop's events (it needs each ``final``'s time) and
    hand this to the loop as its assistant. ``heard`` maps each line index to
    the number of finals it produced, so a benchmark can tell lines Vosk
    missed or split.
    """

    assistant: Any
    lines: list[Line]
    heard: dict[int, int] = field(default_factory=dict)
    #: The line of the utterance being answered now (for matching up events).
    current: int | None = None
    _last_final: Final | None = None

    def observe(self, event: LoopEvent) -> None:
        if isinstance(event, Final):
            self._last_final = event

    def _line_for(self, final: Final | None) -> int:
        when = final.speech_end if final and final.speech_end is not None else (
            final.at if final else 0.0
        )  # fmt: skip
        return min(
            range(len(self.lines)),
            key=lambda i: (
                0.0
                if self.lines[i].start - 0.3 <= when <= self.lines[i].end + 0.3
                else min(abs(when - self.lines[i].start), abs(when - self.lines[i].end))
            ),
        )

    def handle(self, utterance: Utterance | str) -> Handled:
        if isinstance(utterance, str):
            utterance = Utterance(utterance)
        index = self._line_for(self._last_final)
        self.current = index
        self.heard[index] = self.heard.get(index, 0) + 1
        return self.assistant.handle(replace(utterance, text=self.lines[index].means))

    def __getattr__(self, name: str) -> Any:  # journal, registry ... as the real one
        return getattr(self.assistant, name)
