"""Fuzzing the whole assistant: routing and handling of random utterances, in one session.

Random mixes of template words, glimmer words, punctuation, control characters,
other scripts, emoji, hassil template syntax and very long strings go through
``Assistant.handle`` one after another, as a confused recogniser or a cat on
the keyboard would send them. For a fixed budget (utterances or seconds,
whichever runs out first; seeded, so a failure names the utterance that
reproduces it) the assistant must always answer, only ever wait on the
question it just asked, and every glimmer it confirms must already be on disk,
in the words of the slot. At the end the journal file must be sound.
"""

from __future__ import annotations

import random
import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import NOW
from voiceglimmer import hookimpl
from voiceglimmer.app import open_assistant
from voiceglimmer.dialog.assistant import Assistant
from voiceglimmer.dialog.understanding import clean_utterance
from voiceglimmer.events import Glimmer, Handled
from voiceglimmer.store.journal import Journal

SEED = 20261124
#: The journal drops NUL characters (SQLite's text functions stop at them).
NUL = "\x00"
MAX_UTTERANCES = 3000
MAX_SECONDS = 8.0

GLIMMER_WORDS = [
    *("warm", "sunlight", "on", "my", "face", "tea", "steam", "rain", "smell", "bread"),
    *("laughter", "friend's", "kind", "message", "cat", "purring", "blanket", "birdsong"),
    *("dawn", "river", "sunset", "snow", "café", "crème", "neighbour", "waved"),
]
ANSWER_WORDS = [
    *("yes", "no", "yeah", "nope", "sure", "okay", "cancel", "stop", "never mind"),
    *("yes please", "no thanks", "it was", "later"),
]
DATE_WORDS = [
    *("today", "yesterday", "last week", "monday", "november 3rd", "the 45th", "two days ago"),
]
PUNCTUATION = [*",.;:!?-—…'\"()[]{}|<>/\\&%$#@*~`^", "...", "--", "?!"]
TEMPLATE_SYNTAX = ["{glimmer}", "{{x}}", "[optional]", "(a|b)", "<rule>", "%s", "{0}", "$(rm ~)"]
CONTROLS = ["\x00", "\x1b[31m", "\r", "\t", "\n", "\u202e", "\u200b", "\x7f", "\x9b", "\ufeff"]
#: Code point ranges to draw "other text" from: Latin-1, Greek, Cyrillic, Hebrew and
#: Arabic, Devanagari, kana, CJK, emoji (never surrogates).
BLOCKS = [
    (0x20, 0x7E),
    (0xA0, 0x2FF),
    (0x370, 0x4FF),
    (0x590, 0x6FF),
    (0x900, 0x97F),
    (0x3040, 0x30FF),
    (0x4E00, 0x4FFF),
    (0x1F300, 0x1FAFF),
]


LOG_OPENINGS = [
    "I noticed a glimmer:",
    "glimmer:",
    "Today's glimmer was",
    "log a glimmer",
    "I just had a glimmer,",
    "um, so I noticed a glimmer",
    "I have a glimmer",
]


def template_words(assistant: Assistant) -> list[str]:
    """The literal words of every loaded intent's templates and examples."""
    text = " ".join(
        " ".join([*intent.templates, *intent.examples]) for intent in assistant.registry.intents
    )
    text = re.sub(r"\{\w+\}", " ", text)
    return sorted({w for w in re.split(r"[\s\[\]()|:,.?!\"]+", text) if w})


def examples(assistant: Assistant) -> list[str]:
    return [e for intent in assistant.registry.intents for e in intent.examples]


@dataclass
class Utterances:
    """A seeded stream of strange utterances, some of them almost sensible."""

    words: list[str]
    examples: list[str]
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))

    def _other_text(self) -> str:
        low, high = self.rng.choice(BLOCKS)
        return "".join(chr(self.rng.randint(low, high)) for _ in range(self.rng.randint(1, 6)))

    def _piece(self) -> str:
        pick = self.rng.random()
        if pick < 0.35:
            return self.rng.choice(self.words)
        if pick < 0.55:
            return self.rng.choice(GLIMMER_WORDS)
        if pick < 0.62:
            return self.rng.choice(ANSWER_WORDS + DATE_WORDS)
        if pick < 0.75:
            return self.rng.choice(PUNCTUATION)
        if pick < 0.82:
            return self.rng.choice(TEMPLATE_SYNTAX)
        if pick < 0.88:
            return self.rng.choice(CONTROLS)
        return self._other_text()

    def _pieces(self, most: int) -> str:
        pieces = [self._piece() for _ in range(self.rng.randint(1, most))]
        return self.rng.choice([" ", "", " ", ", "]).join(pieces)

    def __iter__(self) -> Iterator[str]:
        while True:
            pick = self.rng.random()
            if pick < 0.01:  # very long: a recogniser that never stopped, or a pasted page
                size = self.rng.choice([1_000, 4_000])
                yield " ".join(self._piece() for _ in range(size // 4))[:size]
            elif pick < 0.05:
                yield self.rng.choice(["", " ", "\t", "\n", "\x00", "...", "?!", "\u200b"])
            elif pick < 0.30:
                yield f"{self.rng.choice(LOG_OPENINGS)} {self._pieces(8)}"
            elif pick < 0.40:
                yield self.rng.choice(ANSWER_WORDS) + self.rng.choice(["", "", " " + self._piece()])
            elif pick < 0.50:
                yield self.rng.choice(self.examples) + self.rng.choice(["", " " + self._piece()])
            else:
                yield self._pieces(14)


class SaveRecorder:
    """A plugin that notes every glimmer saved (``glimmer_saved``), and every deletion.

    Ids can come round again (undo the newest glimmer, save another), so the
    journal is expected to hold what replaying the saves and deletions in order gives.
    """

    def __init__(self) -> None:
        self.saves = 0
        self.deletions = 0
        self.expected: dict[int, str | None] = {}

    @hookimpl
    def glimmer_saved(self, glimmer: Glimmer, journal: Journal) -> None:
        self.saves += 1
        self.expected[glimmer.id] = glimmer.text

    def deleted(self, glimmer_id: int) -> None:
        self.deletions += 1
        self.expected[glimmer_id] = None


@dataclass
class Report:
    utterances: int = 0
    seconds: float = 0.0
    saves: int = 0
    questions: int = 0

    @property
    def rate(self) -> float:
        return self.utterances / self.seconds if self.seconds else 0.0


def check_turn(
    said: str, handled: Handled, waiting_before: object, assistant: Assistant, reader: Journal
) -> None:
    """What a person would notice about one turn."""
    reply = handled.reply
    assert reply.text.strip(), f"no reply to {said!r}"
    # filler alone is silence, unless it is a whole request or answer ("alright", "hi")
    heard = clean_utterance(said) or assistant.pipeline.template(" ".join(said.split()))
    if heard:
        # the assistant waits on the question it just asked, and on nothing else
        assert assistant.awaiting is reply.follow_up, f"stale question after {said!r}"
    else:
        # silence leaves a question open, it doesn't answer it
        assert assistant.awaiting is waiting_before, f"silence changed the question: {said!r}"
    slot = handled.slots.get("glimmer", "").strip()
    if handled.intent == "log_glimmer":
        # a glimmer is saved and confirmed, its words are given back, or (when where
        # it starts is uncertain) it is proposed for saving, whole: never dropped
        proposed = (reply.data or {}).get("proposed_glimmer")
        assert (
            reply.text.startswith("Saved")
            or slot in reply.text
            or proposed == handled.slots["glimmer"]
        ), f"words lost: {said!r}"
    if reply.glimmer_id is not None and reply.text.startswith("Saved"):
        # confirmed, so already on disk: another connection to the file sees it
        on_disk = reader.get(reply.glimmer_id)
        assert on_disk is not None, f"confirmed but not on disk: {said!r}"
        if "glimmer" in handled.slots:
            assert on_disk.text == handled.slots["glimmer"].replace(NUL, "").strip(), said
        elif handled.slots.get("answer", "yes") not in ("yes", "no"):  # "What was it?"
            assert on_disk.text in handled.slots["answer"].replace(NUL, ""), said


@pytest.fixture
def fuzzed(home: Path) -> Iterator[tuple[Assistant, SaveRecorder]]:
    recorder = SaveRecorder()
    assistant = open_assistant(
        home=home, clock=lambda: NOW, seed=SEED, extra_plugins=[("save-recorder", recorder)]
    )
    yield assistant, recorder
    assistant.journal.close()


def test_random_utterances_never_break_the_assistant_or_lose_a_glimmer(
    fuzzed: tuple[Assistant, SaveRecorder], record_property
) -> None:
    assistant, recorder = fuzzed
    report = Report()
    delete = assistant.journal.delete

    def recording_delete(glimmer_id: int) -> bool:
        recorder.deleted(glimmer_id)
        return delete(glimmer_id)

    assistant.journal.delete = recording_delete  # type: ignore[method-assign]
    reader = Journal(assistant.journal.path)
    began = time.perf_counter()
    try:
        for said in Utterances(template_words(assistant), examples(assistant)):
            if report.utterances >= MAX_UTTERANCES or time.perf_counter() - began > MAX_SECONDS:
                break
            waiting = assistant.awaiting
            try:
                handled = assistant.handle(said)
            except Exception as exc:  # pragma: no cover - the failure message names the input
                pytest.fail(f"handle({said!r}) raised {type(exc).__name__}: {exc}")
            check_turn(said, handled, waiting, assistant, reader)
            report.utterances += 1
            report.questions += handled.reply.follow_up is not None
    finally:
        report.seconds = time.perf_counter() - began
        reader.close()

    report.saves = recorder.saves
    print(
        f"\nfuzz: {report.utterances} utterances in {report.seconds:.1f} s "
        f"({report.rate:.0f}/s), {report.saves} glimmers saved, "
        f"{recorder.deletions} deleted, {report.questions} questions asked"
    )
    record_property("fuzz_utterances", report.utterances)
    record_property("fuzz_rate_per_second", round(report.rate, 1))

    assert report.utterances >= 200  # the budget was spent on utterances, not on one
    assert report.saves > 0  # the mix really exercises saving
    # every glimmer the assistant saved is still there, in its own words, unless deleted
    for glimmer_id, text in recorder.expected.items():
        kept = assistant.journal.get(glimmer_id)
        assert (kept and kept.text) == text, f"glimmer #{glimmer_id}"
    with sqlite3.connect(assistant.journal.path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # the search index agrees with the glimmers it indexes
        db.execute("INSERT INTO glimmers_fts (glimmers_fts) VALUES ('integrity-check')")
