"""Real audio through a real sound server: what the microphone hears and the speaker plays.

A private PulseAudio (see pulse.py) stands in for the sound card: speech fed
into its pipe source must come out of ``Microphone``, and what ``Speaker``
plays must show up on the null sink's monitor, on time and at the right pitch.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from voiceglimmer.voice import mic
from voiceglimmer.voice import speaker as snd
from voiceglimmer.voice.audio import RATE, AudioError
from voiceglimmer.voice.mic import Microphone, StreamSettings, list_devices, open_wav
from voiceglimmer.voice.speaker import Speaker

pytest_plugins = ["pulse"]

SILENCE_LEVEL = 300  # int16: well above dither, well below speech


def to_pcm(x: np.ndarray) -> bytes:
    return np.clip(np.rint(x * 32767), -32768, 32767).astype("<i2").tobytes()


def tone(hz: float, seconds: float, rate: int, amplitude: float = 0.4) -> bytes:
    t = np.arange(round(seconds * rate)) / rate
    return to_pcm(amplitude * np.sin(2 * np.pi * hz * t))


def samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, "<i2").astype(np.float64)


def sounding_span(x: np.ndarray) -> tuple[int, int]:
    """First and one-past-last sample louder than silence."""
    loud = np.nonzero(np.abs(x) > SILENCE_LEVEL)[0]
    assert len(loud), "nothing audible was captured"
    return int(loud[0]), int(loud[-1]) + 1


def best_alignment(captured: np.ndarray, reference: np.ndarray) -> tuple[int, float]:
    """Where ``reference`` sits in ``captured`` (may be negative) and their correlation there.

    Pulse's own resampler may shift audio by a few samples either way, so both
    directions are searched.
    """
    size = 1 << (len(captured) + len(reference)).bit_length()
    spectrum = np.fft.rfft(captured, size) * np.conj(np.fft.rfft(reference, size))
    xc = np.fft.irfft(spectrum, size)
    lags = np.concatenate([np.arange(len(captured)), np.arange(1 - len(reference), 0)])
    values = np.concatenate([xc[: len(captured)], xc[size - len(reference) + 1 :]])
    lag = int(lags[np.argmax(values)])
    a = captured[max(lag, 0) :]
    b = reference[max(-lag, 0) :]
    n = min(len(a), len(b))
    return lag, float(np.corrcoef(a[:n], b[:n])[0, 1])


def peak_hz(x: np.ndarray, rate: int = RATE) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes, int]:
    """A spoken sentence: (16 kHz PCM, PCM at espeak's own rate, that rate)."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is missing (scripts/setup installs it)")
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    text = "I noticed a glimmer of sunlight."
    subprocess.run(["espeak-ng", "-s", "190", "-w", str(path), text], check=True)
    with open_wav(path) as source:
        native_rate = source.format.rate
        pcm16k = b"".join(c.pcm for c in iter(source.read, None))
    data = path.read_bytes()
    native = data[data.index(b"data") + 8 :]
    return pcm16k, native[: len(native) // 2 * 2], native_rate


def record_microphone(microphone: Microphone, seconds: float) -> tuple[np.ndarray, float]:
    started = time.monotonic()
    chunks = [microphone.read() for _ in range(round(seconds * RATE / 320))]
    elapsed = time.monotonic() - started
    assert [c.start for c in chunks] == [i * 320 / RATE for i in range(len(chunks))]
    return samples(b"".join(c.pcm for c in chunks)), elapsed


# --- devices ---------------------------------------------------------------------------------


def test_list_devices_shows_the_pulse_devices(pulse) -> None:
    devices = {d.name: d for d in list_devices()}
    assert {"pulse", "default"} <= devices.keys()
    assert devices["default"].is_default_input and devices["default"].is_default_output
    assert devices["pulse"].inputs >= 1 and devices["pulse"].outputs >= 1
    assert "vg_mic" in pulse.pactl("list", "short", "sources")  # and it is our server


def test_unknown_device_lists_what_there_is(pulse) -> None:
    with pytest.raises(AudioError) as caught:
        Microphone("blue yeti")
    message = str(caught.value)
    assert 'No input device is called "blue yeti"' in message
    assert "pulse" in message and "default" in message
    assert "voiceglimmer devices" in message and "--input FILE.wav" in message
    with pytest.raises(AudioError, match=r'No output device is called "hdmi".*: pulse'):
        Speaker("hdmi")


def test_a_child_process_finds_the_server_from_the_env(pulse_server) -> None:
    code = "from voiceglimmer.commands import devices; devices.devices_command(None, None)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=pulse_server.child_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "pulse" in done.stdout
    default = next(line for line in done.stdout.splitlines() if " default " in line)
    assert default.startswith("*") and default.endswith("input, output")


# --- the microphone --------------------------------------------------------------------------


def test_microphone_hears_speech_fed_into_the_source(pulse, speech) -> None:
    pcm, _, _ = speech
    reference = samples(pcm)
    with Microphone() as microphone:
        assert microphone.device.name == "default"
        pulse.feed(bytes(3200) + pcm)
        captured, elapsed = record_microphone(microphone, len(reference) / RATE + 0.6)
    lag, corr = best_alignment(captured, reference)
    assert corr > 0.99
    assert 0 < lag < 0.4 * RATE  # the 0.1 s of silence fed first, plus a little stale audio
    start, end = sounding_span(captured)
    expected_start, expected_end = sounding_span(reference)
    assert abs((end - start) - (expected_end - expected_start)) < 0.02 * RATE
    assert elapsed > 0.8 * len(captured) / RATE, "a live microphone delivers in real time"


def test_microphone_by_name_resamples_a_device_that_refuses_16k(pulse, monkeypatch) -> None:
    # Pretend the device only does 44.1 kHz stereo, so the real stream runs that way.
    monkeypatch.setattr(mic, "stream_settings", lambda *a: StreamSettings(44100, 2))
    with Microphone("PULS") as microphone:
        assert microphone.device.name == "pulse"
        assert microphone.settings == StreamSettings(44100, 2)
        pulse.feed(tone(440, 1.0, RATE))
        captured, _ = record_microphone(microphone, 1.4)
    start, end = sounding_span(captured)
    assert abs((end - start) - RATE) < 0.02 * RATE
    assert peak_hz(captured[start:end]) == pytest.approx(440, abs=2)
    level = np.sqrt(2) * np.std(captured[start + 800 : end - 800]) / 32767
    assert level == pytest.approx(0.4, abs=0.02)


# --- the speaker -----------------------------------------------------------------------------


def test_speaker_plays_a_tone_in_real_time(pulse) -> None:
    with Speaker(None, 22050) as speaker, pulse.record() as recording:
        started = time.monotonic()
        speaker.write(tone(1000, 1.0, 22050))
        written = time.monotonic() - started
        speaker.drain()
        drained = time.monotonic() - started
    assert 0.7 < written < 1.0, "write is paced by the device"
    assert 0.95 < drained < 1.3, "drain returns once the tone has played"
    start, end = sounding_span(recording.samples)
    assert (end - start) / RATE == pytest.approx(1.0, abs=0.03)
    assert peak_hz(recording.samples[start:end]) == pytest.approx(1000, abs=2)


def test_speaker_by_name_plays_speech_at_a_device_rate(pulse, speech, monkeypatch) -> None:
    pcm16k, native, native_rate = speech
    monkeypatch.setattr(snd, "stream_settings", lambda *a: StreamSettings(48000, 2))
    with Speaker("Pulse", native_rate) as speaker, pulse.record() as recording:
        assert speaker.device.name == "pulse"
        speaker.write(native)
        speaker.drain()
    reference = samples(pcm16k)
    _, corr = best_alignment(recording.samples, reference)
    assert corr > 0.95
    start, end = sounding_span(recording.samples)
    expected_start, expected_end = sounding_span(reference)
    assert abs((end - start) - (expected_end - expected_start)) < 0.03 * RATE


def test_discard_cuts_a_long_tone_short(pulse) -> None:
    with Speaker(None, 22050) as speaker:
        with pulse.record() as recording:
            writer = threading.Thread(target=speaker.write, args=(tone(440, 5.0, 22050),))
            writer.start()
            time.sleep(0.5)
            stop = time.monotonic()
            speaker.discard()
            writer.join(2)
            returned = time.monotonic() - stop
            time.sleep(0.3)
        assert not writer.is_alive() and returned < 0.1, "a blocked write returns at once"
        start, end = sounding_span(recording.samples)
        assert (end - start) / RATE < 0.7  # 0.5 s before "stop", plus at most ~100 ms

        # The speaker still works after a discard.
        with pulse.record() as recording:
            speaker.write(tone(660, 0.3, 22050))
            speaker.drain()
        start, end = sounding_span(recording.samples)
        assert (end - start) / RATE == pytest.approx(0.3, abs=0.03)
        assert peak_hz(recording.samples[start:end]) == pytest.approx(660, abs=5)


def test_closed_speaker_refuses_writes(pulse, tmp_path: Path) -> None:
    speaker = Speaker()
    speaker.close()
    speaker.close()
    speaker.drain()
    with pytest.raises(AudioError, match="closed"):
        speaker.write(bytes(100))
