"""Wake: hearing the wake phrase ("hey glimmer") and nothing else.

A second Vosk recogniser restricted to a grammar of the phrase plus "[unk]"
is cheap, rarely fooled by ordinary talk, and gives the time the phrase
ended, so the request that follows in the same breath is not lost. The same
kind of grammar recogniser listens for "stop" while the assistant speaks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from voiceglimmer.voice.asr import ModelError, VoskRecognizer, has_words
from voiceglimmer.voice.audio import AudioChunk

DEFAULT_PHRASE = "hey glimmer"
STOP_PHRASES = ("stop", "stop please", "that's enough", "enough")


class Detector(Protocol):
    """Listens for fixed phrases; the loop uses one for waking, one for "stop"."""

    def accept(self, chunk: AudioChunk) -> float | None:
        """Feed audio; the stream time the phrase ended, once heard, else None."""

    def reset(self, at: float) -> None: ...


def _normal(text: str) -> str:
    return " ".join(text.lower().replace("'", "").split())


@dataclass
class PhraseDetector:
    """A Vosk grammar recogniser that fires on any of ``phrases``.

    Partial results are checked too, so the phrase is caught as it is said,
    not only after the silence that ends an utterance.
    """

    model: Any
    phrases: tuple[str, ...]
    _rec: VoskRecognizer = field(init=False)
    _targets: set[str] = field(init=False)

    def __post_init__(self) -> None:
        usable = [p for p in self.phrases if not has_words(self.model, p)]
        if not usable:
            missing = ", ".join(sorted({w for p in self.phrases for w in has_words(self.model, p)}))
            raise ModelError(
                f"The speech model doesn't know the word(s) {missing}, so it can't listen for "
                f"{' / '.join(repr(p) for p in self.phrases)}. Choose another phrase "
                "(--wake-phrase, or wake_phrase in config.toml), or use --no-wake."
            )
        self._targets = {_normal(p) for p in usable}
        self._rec = VoskRecognizer(self.model, grammar=[*usable, "[unk]"], partial_words=True)

    def _hit(self, words: tuple, text: str) -> float | None:
        said = _normal(text)
        for target in self._targets:
            if target and f" {target} " in f" {said} ":
                count = len(target.split())
                names = [_normal(w.word) for w in words]
                for i in range(len(names) - count + 1):
                    if " ".join(names[i : i + count]) == target:
                        return words[i + count - 1].end
                return words[-1].end if words else None
        return None

    def accept(self, chunk: AudioChunk) -> float | None:
        final = self._rec.accept(chunk)
        heard = final or self._rec.partial_transcript()
        end = self._hit(heard.words, heard.text)
        if end is not None:
            self._rec.reset(chunk.start + chunk.duration)
        return end

    def reset(self, at: float) -> None:
        self._rec.reset(at)


def strip_phrase(text: str, phrase: str) -> str:
    """Drop a wake phrase the main recogniser also wrote down at the start."""
    words, target = text.split(), phrase.lower().split()
    if [w.lower() for w in words[: len(target)]] == target:
        words = words[len(target) :]
    return " ".join(words)
