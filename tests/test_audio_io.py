"""Files and pipes in, files out: every WAV people are likely to hand us becomes 16 kHz mono.

WAVs are built byte by byte here (not with the ``wave`` module, which can't
write float or WAVE_FORMAT_EXTENSIBLE), so the reader is checked against the
format as specified rather than against itself.
"""

from __future__ import annotations

import argparse
import importlib
import io
import shutil
import struct
import subprocess
import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr

from voiceglimmer.commands import devices
from voiceglimmer.errors import UserError
from voiceglimmer.voice import mic
from voiceglimmer.voice import speaker as snd
from voiceglimmer.voice.audio import BLOCK_FRAMES, RATE, AudioChunk, AudioError
from voiceglimmer.voice.mic import Device, StdinSource, open_wav, pick_device
from voiceglimmer.voice.speaker import WavSink

ENCODINGS = {  # name: (format tag, bits)
    "u8": (1, 8),
    "s16": (1, 16),
    "s24": (1, 24),
    "s32": (1, 32),
    "f32": (3, 32),
    "f64": (3, 64),
}
KSDATAFORMAT_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


# --- making and measuring audio --------------------------------------------------------------


def tone(hz: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * hz * t)


def encode(x: np.ndarray, encoding: str) -> bytes:
    """Interleaved float samples in [-1, 1] as the raw bytes of a WAV data chunk."""
    if encoding == "u8":
        return np.clip(np.rint(x * 128 + 128), 0, 255).astype(np.uint8).tobytes()
    if encoding == "s16":
        return np.clip(np.rint(x * 32768), -32768, 32767).astype("<i2").tobytes()
    if encoding == "s24":
        v = np.clip(np.rint(x * 2**23), -(2**23), 2**23 - 1).astype("<i4")
        return v.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    if encoding == "s32":
        return np.clip(np.rint(x * 2**31), -(2**31), 2**31 - 1).astype("<i4").tobytes()
    return x.astype("<f4" if encoding == "f32" else "<f8").tobytes()


def chunk(chunk_id: bytes, body: bytes) -> bytes:
    return chunk_id + struct.pack("<I", len(body)) + body + b"\0" * (len(body) & 1)


def fmt_chunk(tag: int, channels: int, rate: int, bits: int, *, extensible: bool = False) -> bytes:
    block = channels * bits // 8
    if not extensible:
        return chunk(
            b"fmt ", struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
        )
    mask = (1 << channels) - 1
    body = struct.pack(
        "<HHIIHHHHI", 0xFFFE, channels, rate, rate * block, block, bits, 22, bits, mask
    )
    return chunk(b"fmt ", body + struct.pack("<H", tag) + KSDATAFORMAT_TAIL)


def wav_bytes(
    samples: np.ndarray,
    rate: int,
    encoding: str = "s16",
    *,
    extensible: bool = False,
    extra_chunks: bytes = b"",
) -> bytes:
    """A WAV file of ``samples`` (frames x channels, or 1-D for mono)."""
    frames = samples.reshape(len(samples), -1)
    tag, bits = ENCODINGS[encoding]
    fmt = fmt_chunk(tag, frames.shape[1], rate, bits, extensible=extensible)
    body = b"WAVE" + fmt + extra_chunks + chunk(b"data", encode(frames.ravel(), encoding))
    return b"RIFF" + struct.pack("<I", len(body)) + body


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def read_all(source, frames: int = BLOCK_FRAMES) -> tuple[np.ndarray, list[AudioChunk]]:
    chunks = []
    while (c := source.read(frames)) is not None:
        chunks.append(c)
    assert source.read(frames) is None  # and it stays ended
    pcm = b"".join(c.pcm for c in chunks)
    return np.frombuffer(pcm, "<i2").astype(np.float64) / 32768, chunks


def peak_hz(x: np.ndarray, rate: int = RATE) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


def level_at(x: np.ndarray, hz: float, rate: int = RATE) -> float:
    """The amplitude of the ``hz`` component (least squares fit of a sine and cosine)."""
    t = np.arange(len(x)) / rate
    basis = np.stack([np.sin(2 * np.pi * hz * t), np.cos(2 * np.pi * hz * t)], axis=1)
    coef, *_ = np.linalg.lstsq(basis, x, rcond=None)
    return float(np.hypot(*coef))


# --- every encoding, rate and layout ---------------------------------------------------------


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("extensible", [False, True], ids=["plain", "extensible"])
def test_every_encoding_reads_as_16k_mono(tmp_path: Path, encoding: str, extensible: bool) -> None:
    signal = tone(440, 1.0, RATE)
    path = write(tmp_path / "a.wav", wav_bytes(signal, RATE, encoding, extensible=extensible))
    with open_wav(path) as source:
        assert source.format.encoding == ("float" if encoding[0] == "f" else "pcm")
        assert source.format.bits == ENCODINGS[encoding][1]
        assert source.warning is None
        x, chunks = read_all(source)
    assert len(x) == RATE
    assert all(c.rate == RATE for c in chunks)
    tolerance = 1 / 128 if encoding == "u8" else 1 / 32768
    assert np.max(np.abs(x - signal)) <= tolerance + 1e-9
    assert peak_hz(x) == pytest.approx(440, abs=1)


@pytest.mark.parametrize("encoding", ["u8", "s16", "s24", "s32", "f32"])
def test_16k_mono_of_16_bit_values_is_bit_exact(tmp_path: Path, encoding: str) -> None:
    pcm = np.random.default_rng(3).integers(-32768, 32767, 8000).astype("<i2")
    if encoding == "u8":
        pcm = pcm & ~0xFF  # only what 8 bits can carry
    path = write(tmp_path / "a.wav", wav_bytes(pcm / 32768, RATE, encoding))
    with open_wav(path) as source:
        out = b"".join(c.pcm for c in iter(lambda: source.read(1000), None))
    assert out == pcm.tobytes()


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 32000, 44100, 48000, 96000])
def test_any_rate_is_resampled_keeping_duration_and_pitch(tmp_path: Path, rate: int) -> None:
    path = write(tmp_path / "a.wav", wav_bytes(tone(440, 2.0, rate), rate))
    with open_wav(path) as source:
        assert source.format.rate == rate
        assert source.duration == pytest.approx(2.0)
        x, chunks = read_all(source)
    assert abs(len(x) - 2 * RATE) <= BLOCK_FRAMES
    assert peak_hz(x) == pytest.approx(440, abs=1)
    assert level_at(x[1000:-1000], 440) == pytest.approx(0.5, abs=0.01)
    starts = [c.start for c in chunks]
    assert starts == [i * BLOCK_FRAMES / RATE for i in range(len(chunks))]
    assert all(c.frames == BLOCK_FRAMES for c in chunks[:-1])


def test_high_tone_at_8k_stays_put(tmp_path: Path) -> None:
    path = write(tmp_path / "a.wav", wav_bytes(tone(3000, 1.0, 8000), 8000, "s24"))
    with open_wav(path) as source:
        x, _ = read_all(source)
    assert peak_hz(x) == pytest.approx(3000, abs=1)


def test_tones_above_8k_are_filtered_not_aliased(tmp_path: Path) -> None:
    signal = tone(440, 1.0, 48000) + tone(12000, 1.0, 48000, 0.4)
    path = write(tmp_path / "a.wav", wav_bytes(signal, 48000))
    with open_wav(path) as source:
        x, _ = read_all(source)
    assert level_at(x, 440) == pytest.approx(0.5, abs=0.01)
    assert level_at(x, 4000) < 0.001  # 12 kHz would alias to 4 kHz at 16 kHz


def test_stereo_is_mixed_down_to_the_average(tmp_path: Path) -> None:
    left, right = tone(440, 1.0, 44100), tone(1000, 1.0, 44100)
    path = write(tmp_path / "a.wav", wav_bytes(np.stack([left, right], 1), 44100, "s16"))
    with open_wav(path) as source:
        assert source.format.channels == 2
        x, _ = read_all(source)
    assert abs(len(x) - RATE) <= BLOCK_FRAMES
    assert level_at(x[500:-500], 440) == pytest.approx(0.25, abs=0.005)
    assert level_at(x[500:-500], 1000) == pytest.approx(0.25, abs=0.005)


def test_opposite_channels_cancel(tmp_path: Path) -> None:
    left = tone(440, 1.0, RATE)
    path = write(tmp_path / "a.wav", wav_bytes(np.stack([left, -left], 1), RATE, "f32"))
    with open_wav(path) as source:
        x, _ = read_all(source)
    assert np.max(np.abs(x)) == 0


def test_multichannel_extensible_24_bit(tmp_path: Path) -> None:
    channels = np.stack([tone(440, 1.0, 48000)] + [np.zeros(48000)] * 5, axis=1)
    data = wav_bytes(channels, 48000, "s24", extensible=True)
    path = write(tmp_path / "surround.wav", data)
    with open_wav(path) as source:
        assert (source.format.channels, source.format.bits) == (6, 24)
        assert "6-channel" in source.format.describe()
        x, _ = read_all(source)
    assert level_at(x[500:-500], 440) == pytest.approx(0.5 / 6, abs=0.002)


def test_unknown_chunks_and_odd_padding_are_skipped(tmp_path: Path) -> None:
    extra = chunk(b"LIST", b"INFOodd") + chunk(b"fact", struct.pack("<I", 16000))
    path = write(tmp_path / "a.wav", wav_bytes(tone(440, 1.0, RATE), RATE, extra_chunks=extra))
    with open_wav(path) as source:
        x, _ = read_all(source)
    assert len(x) == RATE


def test_streamed_wav_with_unknown_length_reads_to_the_end(tmp_path: Path) -> None:
    data = bytearray(wav_bytes(tone(440, 1.0, RATE), RATE))
    data[data.index(b"data") + 4 : data.index(b"data") + 8] = b"\xff\xff\xff\xff"
    with open_wav(write(tmp_path / "a.wav", bytes(data))) as source:
        x, _ = read_all(source)
        assert source.warning is None
    assert len(x) == RATE


def test_espeak_recording_matches_a_one_shot_resample(tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (scripts/setup installs it)")
    path = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(path), "I noticed a glimmer today"], check=True)
    with wave.open(str(path)) as w:
        rate = w.getframerate()
        original = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768
    with open_wav(path) as source:
        x, _ = read_all(source)
    expected = soxr.resample(original.astype(np.float32), rate, RATE, quality="HQ")
    assert abs(len(x) - len(expected)) <= 1
    n = min(len(x), len(expected))
    assert np.max(np.abs(x[:n] - expected[:n])) < 0.001


def test_agrees_with_sox(tmp_path: Path) -> None:
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed (scripts/setup installs it)")
    rng = np.random.default_rng(5)
    noise = rng.normal(0, 0.1, (44100, 2)) + tone(300, 1.0, 44100)[:, None]
    path = write(tmp_path / "a.wav", wav_bytes(noise, 44100, "s24"))
    reference = tmp_path / "ref.raw"
    subprocess.run(
        ["sox", str(path), "-r", "16000", "-c", "1", "-b", "16", "-e", "signed", str(reference)],
        check=True,
    )
    expected = np.frombuffer(reference.read_bytes(), "<i2") / 32768
    with open_wav(path) as source:
        x, _ = read_all(source)
    assert abs(len(x) - len(expected)) <= 2
    n = min(len(x), len(expected)) - 200
    lag = max(
        range(-20, 21),
        key=lambda k: np.dot(x[100 : 100 + n - 40], expected[100 + k : 100 + k + n - 40]),
    )
    a, b = x[100 : 100 + n - 40], expected[100 + lag : 100 + lag + n - 40]
    assert np.corrcoef(a, b)[0, 1] > 0.99


def test_ten_minutes_stream_in_bounded_memory(tmp_path: Path) -> None:
    rate, seconds = 48_000, 600
    path = tmp_path / "long.wav"
    with wave.open(str(path), "wb") as w:  # 48 kHz stereo: 115 MB on disk
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        second = np.repeat(tone(440, 1.0, rate, 0.3), 2)
        block = np.clip(np.rint(second * 32768), -32768, 32767).astype("<i2").tobytes()
        for _ in range(seconds):
            w.writeframes(block)
    tracemalloc.start()
    try:
        with open_wav(path) as source:
            frames = 0
            last: AudioChunk | None = None
            while (c := source.read(BLOCK_FRAMES)) is not None:
                frames += c.frames
                last = c
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        path.unlink()
    assert frames == seconds * RATE
    assert last is not None and last.start == pytest.approx(seconds - BLOCK_FRAMES / RATE)
    assert peak < 5_000_000, f"peak traced memory {peak / 1e6:.1f} MB"


# --- damaged and unsuitable files ------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"There is no file .*nope\.wav"):
        open_wav(tmp_path / "nope.wav")


def test_folder(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="is a folder"):
        open_wav(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"empty \(0 bytes\)"):
        open_wav(write(tmp_path / "a.wav", b""))


def test_wav_with_no_samples(tmp_path: Path) -> None:
    data = b"RIFF" + struct.pack("<I", 36) + b"WAVE" + fmt_chunk(1, 1, RATE, 16)
    data += b"data" + struct.pack("<I", 0)
    with pytest.raises(AudioError, match=r"no audio in it \(0 seconds\)"):
        open_wav(write(tmp_path / "a.wav", data))


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(100), "an MP3"),
        (b"\xff\xfb\x90\x00" + bytes(100), "an MP3"),
        (b"OggS\x00\x02" + bytes(100), "an Ogg (Vorbis/Opus)"),
        (b"fLaC\x00\x00\x00\x22" + bytes(100), "a FLAC"),
        (b"Dear diary, today I noticed a glimmer.\n", None),
    ],
)
def test_a_file_that_is_not_readable_audio_says_so_and_how_to_convert(
    tmp_path: Path, content: bytes, kind: str | None
) -> None:
    path = write(tmp_path / "song.mp3", content)
    with pytest.raises(AudioError) as caught:
        open_wav(path)
    message = str(caught.value)
    assert f"sox {path} -r 16000 -c 1" in message and f"ffmpeg -i {path}" in message
    if kind:
        assert f"looks like {kind} file but can't be read" in message
        assert "damaged or cut short" in message
    else:
        assert "is not a recording voiceglimmer can read" in message
    assert "\n" not in message


@pytest.mark.parametrize(("tag", "extensible"), [(7, False), (6, False), (7, True), (6, True)])
def test_mu_law_and_a_law_wav_files_are_read(tmp_path: Path, tag: int, extensible: bool) -> None:
    """Telephone encodings the hand-written reader refused; libsndfile decodes them."""
    law = np.full(8000, 0x7F if tag == 7 else 0xD5, np.uint8)  # each law's code for silence
    data = b"WAVE" + fmt_chunk(tag, 1, 8000, 8, extensible=extensible)
    data += chunk(b"data", law.tobytes())
    path = write(tmp_path / "phone.wav", b"RIFF" + struct.pack("<I", len(data)) + data)
    with open_wav(path) as source:
        assert source.format.encoding == ("ulaw" if tag == 7 else "alaw")
        assert source.duration == pytest.approx(1.0)
        x, _ = read_all(source)
    assert abs(len(x) - RATE) <= BLOCK_FRAMES and np.max(np.abs(x)) < 0.01


@pytest.mark.parametrize(
    ("tag", "name"), [(2, "Microsoft ADPCM"), (0x11, "IMA ADPCM"), (0x1234, "format code 0x1234")]
)
def test_an_encoding_that_cannot_be_decoded_is_named(tmp_path: Path, tag: int, name: str) -> None:
    """ADPCM with an impossible 8-bit sample size, and a code no one knows."""
    data = b"WAVE" + fmt_chunk(tag, 1, 8000, 8) + chunk(b"data", bytes(800))
    path = write(tmp_path / "phone.wav", b"RIFF" + struct.pack("<I", len(data)) + data)
    with pytest.raises(AudioError) as caught:
        open_wav(path)
    assert f"is a {name} WAV file that can't be decoded (" in str(caught.value)
    assert f"sox {path} -r 16000" in str(caught.value)


def test_missing_format_chunk(tmp_path: Path) -> None:
    data = b"WAVE" + chunk(b"LIST", b"INFO")
    path = write(tmp_path / "a.wav", b"RIFF" + struct.pack("<I", len(data)) + data)
    with pytest.raises(AudioError, match="damaged WAV file: it has no format description"):
        open_wav(path)


def test_missing_data_chunk(tmp_path: Path) -> None:
    data = b"WAVE" + fmt_chunk(1, 1, RATE, 16)
    path = write(tmp_path / "a.wav", b"RIFF" + struct.pack("<I", len(data)) + data)
    with pytest.raises(AudioError, match="no data chunk"):
        open_wav(path)


@pytest.mark.parametrize("cut", [0, 1, 5])
def test_truncated_file_reads_what_is_there_and_warns(tmp_path: Path, cut: int) -> None:
    full = wav_bytes(np.stack([tone(440, 1.0, 44100)] * 2, 1), 44100, "s24")
    data_start = full.index(b"data") + 8
    kept = (len(full) - data_start) // 2 + cut  # about half, maybe mid-frame
    path = write(tmp_path / "cut.wav", full[: data_start + kept])
    with open_wav(path) as source:
        assert source.warning is not None
        assert "cut short" in source.warning and "1.0 s" in source.warning
        assert "0.5 s" in source.warning
        x, _ = read_all(source)
    assert abs(len(x) - RATE // 2) <= BLOCK_FRAMES
    assert peak_hz(x) == pytest.approx(440, abs=2)


# --- FLAC, Ogg and MP3 ----------------------------------------------------------------------


def _sox(src: Path, dest: Path) -> Path:
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed (scripts/setup --dev installs it)")
    subprocess.run(["sox", str(src), str(dest)], check=True)
    return dest


def _soundfile(src: Path, dest: Path, **options: str) -> Path:
    samples, rate = soundfile.read(src)
    soundfile.write(dest, samples, rate, **options)
    return dest


ENCODERS = {
    "flac-by-sox": lambda src, folder: _sox(src, folder / "a.flac"),
    "flac-by-libsndfile": lambda src, folder: _soundfile(src, folder / "a.flac", subtype="PCM_24"),
    "ogg-by-sox": lambda src, folder: _sox(src, folder / "a.ogg"),
    "ogg-by-libsndfile": lambda src, folder: _soundfile(src, folder / "a.ogg"),
    "opus-by-libsndfile": lambda src, folder: _soundfile(
        src, folder / "a.opus", format="OGG", subtype="OPUS"
    ),
    "mp3-by-libsndfile": lambda src, folder: _soundfile(src, folder / "a.mp3", format="MP3"),
}


def _stereo_tone(folder: Path, rate: int = 48000) -> Path:
    """A 440 Hz tone in both channels, 24-bit, as a recorder would write it."""
    return write(
        folder / "tone.wav", wav_bytes(np.stack([tone(440, 2.0, rate)] * 2, 1), rate, "s24")
    )


@pytest.mark.parametrize("encoder", [k for k in ENCODERS if k.startswith("flac")])
def test_flac_reads_exactly_like_the_wav_it_was_made_from(tmp_path: Path, encoder: str) -> None:
    wav = _stereo_tone(tmp_path)
    flac = ENCODERS[encoder](wav, tmp_path)
    with open_wav(wav) as source:
        from_wav, _ = read_all(source)
    with open_wav(flac) as source:
        assert (source.format.container, source.format.bits) == ("FLAC", 24)
        assert source.format.rate == 48000 and source.duration == pytest.approx(2.0)
        assert source.warning is None
        from_flac, _ = read_all(source)
    assert np.array_equal(from_flac, from_wav)


@pytest.mark.parametrize("encoder", [k for k in ENCODERS if not k.startswith("flac")])
def test_lossy_ogg_opus_and_mp3_keep_pitch_level_and_length(tmp_path: Path, encoder: str) -> None:
    path = ENCODERS[encoder](_stereo_tone(tmp_path), tmp_path)
    with open_wav(path) as source:
        assert source.format.container in ("OGG", "MP3") and source.format.channels == 2
        assert source.warning is None
        told: list[str] = []
        source.on_warning = told.append
        x, chunks = read_all(source)
    assert told == []
    assert abs(len(x) - 2 * RATE) <= BLOCK_FRAMES
    assert all(c.rate == RATE for c in chunks)
    assert peak_hz(x) == pytest.approx(440, abs=1)
    assert level_at(x[4000:-4000], 440) == pytest.approx(0.5, abs=0.03)


@pytest.mark.parametrize("encoder", ["flac-by-sox", "mp3-by-libsndfile"])
def test_a_compressed_file_cut_short_is_read_as_far_as_it_goes_and_says_so(
    tmp_path: Path, encoder: str
) -> None:
    """Their header tells the length; the shortfall shows only when decoding stops."""
    whole = ENCODERS[encoder](_stereo_tone(tmp_path), tmp_path)
    cut = write(tmp_path / f"cut{whole.suffix}", whole.read_bytes()[: whole.stat().st_size // 2])
    with open_wav(cut) as source:
        assert source.duration == pytest.approx(2.0, abs=0.05)  # the header's claim
        told: list[str] = []
        source.on_warning = told.append
        x, _ = read_all(source)
    [message] = told
    assert f"{cut} is cut short: its header promised 2.0 s of audio but only " in message
    assert "could be read; using what there was." in message
    assert source.warning == message
    assert 0.5 * RATE < len(x) < 1.5 * RATE
    assert peak_hz(x) == pytest.approx(440, abs=2)


def test_a_recording_cut_before_any_audio_says_so(tmp_path: Path) -> None:
    whole = ENCODERS["flac-by-sox"](_stereo_tone(tmp_path), tmp_path)
    header_only = write(tmp_path / "cut.flac", whole.read_bytes()[:200])
    with (
        pytest.raises(AudioError, match=r"cut\.flac has no audio that can be read.*cut short"),
        open_wav(header_only) as source,
    ):
        read_all(source)


def test_a_wav_cut_short_is_told_when_it_opens(tmp_path: Path) -> None:
    """libsndfile reads a WAV only as far as it goes; its header's claim is still told."""
    data = wav_bytes(tone(440, 2.0, RATE), RATE)
    path = write(tmp_path / "cut.wav", data[: len(data) // 4])
    with open_wav(path) as source:
        assert source.warning is not None
        assert "its header promises 2.0 s of audio but only 0.5 s is there" in source.warning
        assert source.duration == pytest.approx(0.5, abs=0.01)


# --- stdin -----------------------------------------------------------------------------------


def test_stdin_source_reads_raw_pcm_in_blocks() -> None:
    pcm = np.arange(1000, dtype="<i2").tobytes() + b"\x01"  # a stray odd byte at the end
    source = StdinSource(io.BytesIO(pcm))
    chunks = list(iter(lambda: source.read(320), None))
    assert [c.frames for c in chunks] == [320, 320, 320, 40]
    assert [c.start for c in chunks] == [0.0, 0.02, 0.04, 0.06]
    assert b"".join(c.pcm for c in chunks) == pcm[:-1]
    assert source.read(320) is None
    source.close()


class Trickle(io.RawIOBase):
    """A pipe that hands out at most 7 bytes per read, like a slow producer."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(min(size, 7) if size >= 0 else 7)


def test_stdin_source_waits_for_whole_blocks_from_short_reads() -> None:
    pcm = bytes(range(256)) * 10
    source = StdinSource(Trickle(pcm))
    chunks = list(iter(lambda: source.read(320), None))
    assert [c.frames for c in chunks] == [320, 320, 320, 320]
    assert b"".join(c.pcm for c in chunks) == pcm


# --- WAV out ---------------------------------------------------------------------------------


def test_wav_sink_writes_a_valid_file_incrementally(tmp_path: Path) -> None:
    pcm = np.random.default_rng(1).integers(-32768, 32767, 22050).astype("<i2").tobytes()
    path = tmp_path / "speech.wav"
    sink = WavSink(path, 22050)
    assert sink.rate == 22050
    for start in range(0, len(pcm), 999):  # odd-sized pieces split frames
        sink.write(pcm[start : start + 999])
    sink.drain()
    sink.discard()
    sink.close()
    sink.close()
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        assert w.readframes(w.getnframes()) == pcm
    with open_wav(path) as source:  # and it reads back through our own reader
        assert source.format.rate == 22050


def test_wav_sink_round_trips_through_open_wav(tmp_path: Path) -> None:
    pcm = (tone(440, 0.5, RATE) * 32767).astype("<i2").tobytes()
    with WavSink(tmp_path / "a.wav") as sink:
        sink.write(pcm)
    with open_wav(tmp_path / "a.wav") as source:
        assert b"".join(c.pcm for c in iter(source.read, None)) == pcm


def test_wav_sink_unwritable_path(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="Can't write"):
        WavSink(tmp_path / "no-such-folder" / "a.wav")


# --- choosing devices ------------------------------------------------------------------------

DEVICES = [
    Device(0, "HDA Intel PCH: ALC257 Analog (hw:0,0)", 2, 2, 48000),
    Device(1, "HDA Intel PCH: HDMI 0 (hw:0,3)", 0, 8, 48000),
    Device(2, "USB Headset: Audio (hw:1,0)", 1, 2, 44100),
    Device(3, "pulse", 32, 32, 44100),
    Device(4, "default", 32, 32, 44100, is_default_input=True, is_default_output=True),
]


@pytest.mark.parametrize(
    ("wanted", "kind", "index"),
    [
        (None, "input", 4),
        (None, "output", 4),
        (2, "input", 2),
        ("2", "input", 2),
        ("pulse", "input", 3),
        ("PULSE", "output", 3),
        ("headset", "input", 2),
        ("hdmi", "output", 1),
        ("default", "input", 4),
    ],
)
def test_pick_device(wanted: str | int | None, kind: str, index: int) -> None:
    assert pick_device(DEVICES, wanted, kind).index == index


def test_pick_device_without_a_default_takes_the_first() -> None:
    devices = [Device(0, "a", 0, 2, 48000), Device(1, "b", 1, 0, 48000)]
    assert pick_device(devices, None, "input").index == 1


def test_unknown_input_device_lists_the_choices() -> None:
    with pytest.raises(AudioError) as caught:
        pick_device(DEVICES, "blue yeti", "input")
    message = str(caught.value)
    assert 'No input device is called "blue yeti"' in message
    assert "2: USB Headset" in message and "3: pulse" in message
    assert "HDMI" not in message  # it can't record
    assert "voiceglimmer devices" in message and "--input FILE.wav" in message


def test_a_speaker_that_cant_play_is_not_offered() -> None:
    devices = [Device(1, "speaker", 0, 2, 48000), Device(2, "mic only", 1, 0, 16000)]
    with pytest.raises(AudioError, match="There is no output device number 2"):
        pick_device(devices, 2, "output")


def test_ambiguous_name() -> None:
    with pytest.raises(AudioError, match='"hda" matches several output devices'):
        pick_device(DEVICES, "hda", "output")


def test_no_input_devices_at_all() -> None:
    with pytest.raises(AudioError) as caught:
        pick_device([Device(0, "HDMI", 0, 2, 48000)], None, "input")
    message = str(caught.value)
    assert "No microphone found" in message and "Input devices: none" in message
    assert "--input FILE.wav" in message


def test_microphone_and_speaker_without_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    # No PortAudio at all here: these tests stay off the machine's audio stack.
    monkeypatch.setattr(mic, "load_sounddevice", lambda: FakePortAudio(set()))
    monkeypatch.setattr(snd, "load_sounddevice", lambda: FakePortAudio(set()))
    monkeypatch.setattr(mic, "list_devices", lambda: [])
    with pytest.raises(AudioError, match="No microphone found"):
        mic.Microphone()
    with pytest.raises(AudioError, match="No speaker found"):
        snd.Speaker()


def test_missing_portaudio_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def fake(name: str, *args, **kwargs):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(mic.importlib, "import_module", fake)
    with pytest.raises(AudioError) as caught:
        mic.Microphone("anything")
    assert "libportaudio2" in str(caught.value) and "--input FILE.wav" in str(caught.value)
    with pytest.raises(UserError, match="libportaudio2"):
        devices.devices_command(argparse.Namespace(), None)


def test_devices_command_marks_defaults(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(mic, "list_devices", lambda: DEVICES)
    assert devices.devices_command(argparse.Namespace(), None) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["#", "NAME", "IN", "OUT", "RATE", "DEFAULT"]
    default = next(line for line in lines if " default " in line)
    assert default.startswith("*") and default.endswith("input, output")
    assert any(line.startswith("    2  USB Headset") for line in lines)


def test_devices_command_without_devices(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(mic, "list_devices", lambda: [])
    assert devices.devices_command(argparse.Namespace(), None) == 1
    assert "No audio devices found" in capsys.readouterr().err


def test_devices_command_is_registered() -> None:
    parser = argparse.ArgumentParser()
    devices.add_commands(parser.add_subparsers())
    assert parser.parse_args(["devices"]).func is devices.devices_command


class FakePortAudio:
    """Just enough of sounddevice for ``stream_settings``: a device that only does 48 kHz stereo."""

    class PortAudioError(Exception):
        pass

    def __init__(self, accepts: set[tuple[int, int]]) -> None:
        self.accepts = accepts

    def check_input_settings(self, *, device: int, samplerate: int, channels: int, dtype: str):
        if (samplerate, channels) not in self.accepts:
            raise self.PortAudioError("Invalid sample rate")

    check_output_settings = check_input_settings


@pytest.mark.parametrize(
    ("accepts", "expected"),
    [
        ({(16000, 1), (48000, 1)}, (16000, 1)),
        ({(48000, 1)}, (48000, 1)),
        ({(48000, 2)}, (48000, 2)),
        ({(16000, 2), (48000, 1)}, (16000, 2)),
    ],
)
def test_stream_settings_fall_back_to_what_the_device_does(
    monkeypatch: pytest.MonkeyPatch, accepts: set, expected: tuple[int, int]
) -> None:
    monkeypatch.setattr(mic, "load_sounddevice", lambda: FakePortAudio(accepts))
    settings = mic.stream_settings(Device(0, "hw", 2, 2, 48000), RATE, "input")
    assert (settings.rate, settings.channels) == expected


def test_stream_settings_when_nothing_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mic, "load_sounddevice", lambda: FakePortAudio(set()))
    monkeypatch.setattr(mic, "list_devices", lambda: DEVICES)
    match = r"speaker 'hw' can't be opened .*Output devices: 0: HDA.*--output FILE\.wav"
    with pytest.raises(AudioError, match=match):
        mic.stream_settings(Device(0, "hw", 2, 2, 48000), 22050, "output")
