"""Where speech goes: a loudspeaker, or a WAV file when there is no one to hear it live.

The speaker is paced by the device: ``write`` returns only once its audio fits
in a small queue (about 100 ms), so the conversation loop advances in real
time and "stop" has little to throw away. The queue is ours rather than
PortAudio's (a callback stream, not blocking writes) because that makes
``discard`` immediate and safe to call from another thread while a ``write``
is blocked: it empties the queue, wakes the writer, and aborts the stream so
the device's own buffer goes too.
"""

from __future__ import annotations

import os
import stat
import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import soxr

from voiceglimmer.voice.audio import RATE, SAMPLE_WIDTH, AudioError
from voiceglimmer.voice.mic import (
    Device,
    StreamSettings,
    devices_hint,
    find_device,
    list_devices,
    load_sounddevice,
    stream_settings,
)

#: How much audio ``write`` may run ahead of the device.
QUEUE_SECONDS = 0.1
#: Input handed to the resampler at a time, so a long utterance never blocks playback.
SLICE_SECONDS = 0.05
#: A device that has taken nothing for this long has stopped (unplugged, server gone).
STALL_SECONDS = 2.0
#: The device's own buffer. PortAudio's "low" (~10 ms through ALSA's pulse plugin)
#: underruns as the stream starts; 50 ms doesn't, and ``discard`` drops it anyway.
DEVICE_LATENCY = 0.05


def _open_private(path: Path) -> BinaryIO:
    """Open ``path`` for writing as an owner-only file: what was spoken is glimmers.

    A new file is created 0600 (whatever the umask); an existing regular file
    of ours is narrowed to 0600 before anything is written into it. Anything
    else (``/dev/null``, a pipe) is written to as it is and never chmod-ed: its
    permissions belong to the system, not to this recording.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid() and info.st_mode & 0o077:
            os.fchmod(fd, 0o600)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


class WavSink:
    """16-bit mono WAV output, written as it comes; the header is finished by ``close``."""

    def __init__(self, path: str | os.PathLike[str], rate: int = RATE) -> None:
        self.path = Path(path)
        self.rate = rate
        self._odd = b""
        try:
            self._file = _open_private(self.path)
        except OSError as exc:
            raise AudioError(f"Can't write {self.path}: {exc.strerror or exc}.") from None
        self._wav: wave.Wave_write | None = wave.open(self._file, "wb")  # noqa: SIM115
        self._wav.setnchannels(1)
        self._wav.setsampwidth(SAMPLE_WIDTH)
        self._wav.setframerate(rate)

    def write(self, pcm: bytes) -> None:
        data = self._odd + pcm
        whole = len(data) - len(data) % SAMPLE_WIDTH
        self._odd = data[whole:]
        if self._wav is None:
            raise AudioError(f"Can't write {self.path}: it is already closed.")
        try:
            self._wav.writeframesraw(data[:whole])
        except OSError as exc:
            raise AudioError(f"Can't write {self.path}: {exc.strerror or exc}.") from None

    def drain(self) -> None:
        """A file has nothing still playing."""

    def discard(self) -> None:
        """What was written to a file is kept: there is nothing queued to drop."""

    def close(self) -> None:
        wav, self._wav = self._wav, None
        if wav is not None:
            try:
                wav.close()  # writes the final sizes into the header
            finally:
                self._file.close()

    def __enter__(self) -> WavSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Converter:
    """Mono int16 at the speech rate to what the device was opened with."""

    def __init__(self, rate: int, settings: StreamSettings) -> None:
        self.rate = rate
        self.settings = settings
        self._odd = b""
        self._resampler = self._new_resampler()

    def _new_resampler(self) -> soxr.ResampleStream | None:
        if self.settings.rate == self.rate:
            return None
        return soxr.ResampleStream(self.rate, self.settings.rate, 1, dtype="int16", quality="HQ")

    def _shape(self, x: np.ndarray) -> bytes:
        if self.settings.channels > 1:
            x = np.repeat(x, self.settings.channels)
        return x.astype("<i2").tobytes()

    def convert(self, pcm: bytes) -> bytes:
        data = self._odd + pcm
        whole = len(data) - len(data) % SAMPLE_WIDTH
        self._odd = data[whole:]
        x = np.frombuffer(data[:whole], "<i2")
        if self._resampler is None and self.settings.channels == 1:
            return data[:whole]
        if self._resampler is not None:
            x = self._resampler.resample_chunk(x)
        return self._shape(x)

    def flush(self) -> bytes:
        """The resampler's last few samples, at the end of an utterance."""
        self._odd = b""
        if self._resampler is None:
            return b""
        tail = self._resampler.resample_chunk(np.zeros(0, np.int16), last=True)
        self._resampler = self._new_resampler()
        return self._shape(tail)

    def reset(self) -> None:
        self._odd = b""
        self._resampler = self._new_resampler()


class Speaker:
    """A live output device playing 16-bit mono PCM at ``rate``, paced in real time.

    One thread writes; any thread may ``discard``. ``underflows`` counts the
    times the device ran dry mid-stream because the process was too slow.
    """

    def __init__(self, device: str | int | None = None, rate: int = RATE) -> None:
        sd = load_sounddevice()
        self.rate = rate
        self.device: Device = find_device(device, "output")
        self.settings = stream_settings(self.device, rate, "output")
        self.underflows = 0
        self._frame_bytes = SAMPLE_WIDTH * self.settings.channels
        self._limit = int(QUEUE_SECONDS * self.settings.rate) * self._frame_bytes
        self._queue = bytearray()
        self._cond = threading.Condition()
        self._convert_lock = threading.Lock()
        self._converter = _Converter(rate, self.settings)
        self._generation = 0
        self._stream = None
        try:
            self._stream = sd.RawOutputStream(
                device=self.device.index,
                samplerate=self.settings.rate,
                channels=self.settings.channels,
                dtype="int16",
                latency=DEVICE_LATENCY,
                callback=self._callback,
            )
            self._stream.start()
        except sd.PortAudioError as exc:
            self.close()
            raise AudioError(
                f"Can't open the speaker {self.device.name!r}: {exc}. "
                f"{devices_hint(list_devices(), 'output')}"
            ) from None

    def _callback(self, outdata: Any, frames: int, when: Any, status: Any) -> None:
        if status.output_underflow:
            self.underflows += 1
        size = len(outdata)
        with self._cond:
            take = min(size, len(self._queue))
            outdata[:take] = self._queue[:take]
            del self._queue[:take]
            self._cond.notify_all()
        if take < size:
            outdata[take:] = bytes(size - take)

    def _wait(self, ready: Callable[[], bool]) -> None:
        """Wait (holding the condition) until ``ready()``; only a dead device stalls this."""
        if not self._cond.wait_for(ready, timeout=STALL_SECONDS):
            raise AudioError(f"The speaker {self.device.name!r} stopped playing audio.")

    def _enqueue(self, data: bytes, generation: int) -> bool:
        """Queue ``data`` as room frees up; False if a ``discard`` came in meanwhile."""
        view = memoryview(data)
        with self._cond:
            while view:
                self._wait(lambda: len(self._queue) < self._limit or self._generation != generation)
                if self._generation != generation:
                    return False
                room = self._limit - len(self._queue)
                self._queue += view[:room]
                view = view[room:]
        return True

    def _convert(self, pcm: bytes, generation: int) -> bytes | None:
        with self._convert_lock:
            if self._generation != generation:
                return None
            return self._converter.convert(pcm)

    def write(self, pcm: bytes) -> None:
        """Queue speech; returns once all but the last ~100 ms has gone to the device."""
        if self._stream is None:
            raise AudioError("The speaker is closed.")
        generation = self._generation
        step = max(SAMPLE_WIDTH, int(SLICE_SECONDS * self.rate) * SAMPLE_WIDTH)
        for start in range(0, len(pcm), step):
            data = self._convert(pcm[start : start + step], generation)
            if data is None or not self._enqueue(data, generation):
                return

    def drain(self) -> None:
        """Wait until everything written so far has been played out of the device."""
        stream = self._stream
        if stream is None:
            return
        generation = self._generation
        with self._convert_lock:
            tail = self._converter.flush()
        if not self._enqueue(tail, generation):
            return
        with self._cond:
            self._wait(lambda: not self._queue or self._generation != generation)
        # The device still holds its own buffer's worth once our queue is empty.
        time.sleep(max(0.0, float(stream.latency)))

    def discard(self) -> None:
        """Drop everything not yet heard, including a ``write`` blocked in another thread."""
        with self._cond:
            self._generation += 1
            self._queue.clear()
            self._cond.notify_all()
        with self._convert_lock:
            self._converter.reset()
        stream = self._stream
        if stream is not None and stream.active:
            # What the device already holds: aborting drops it instead of letting it play out.
            sd = load_sounddevice()
            try:
                stream.abort()
                stream.start()
            except sd.PortAudioError as exc:
                raise AudioError(
                    f"The speaker {self.device.name!r} failed to restart: {exc}."
                ) from None

    def close(self) -> None:
        """Stop at once; call ``drain`` first to let the last words finish."""
        with self._cond:
            stream, self._stream = self._stream, None
            self._generation += 1
            self._queue.clear()
            self._cond.notify_all()
        if stream is not None:
            stream.abort()
            stream.close()

    def __enter__(self) -> Speaker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
