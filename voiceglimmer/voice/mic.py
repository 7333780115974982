"""Sources of words: a recording (WAV, FLAC, Ogg, MP3), raw PCM on stdin, or a live microphone.

Recognition only understands 16 kHz mono 16-bit PCM, but people hand us
whatever their recorder made: 44.1 kHz stereo, 24-bit, float, 8-bit, FLAC from
a field recorder, Ogg or MP3 from a phone. Each source here converts on the
fly, block by block, so a long recording is never loaded or resampled all at
once and memory stays flat however long it is.

A regular file is decoded by libsndfile (through soundfile, whose wheels carry
it), which reads WAV in every encoding people meet (PCM, float, mu-law, A-law,
ADPCM, extensible, RF64), FLAC, Ogg Vorbis and Opus, MP3, AIFF and more. When
libsndfile refuses a WAV file, its header is walked here to say what exactly is
wrong with it, in words a person can act on.

A named pipe (or ``/dev/stdin`` holding a WAV) can't seek, and libsndfile must
seek to open most formats, so a pipe is read by the streaming WAV reader
below: its RIFF chunks are walked by reading and discarding, its length is
whatever arrives, and a stream that ends before its header's length is
reported when it ends (through ``on_warning``), since that can't be known at
the start. A pipe must therefore carry WAV (plain PCM or float); ``--input -``
takes raw 16 kHz PCM.

A recording whose audio is shorter than its header claims (cut off by a crash
or a partial copy) is read up to where it stops; the source's ``warning``
attribute then says so, for the caller to show (for FLAC, Ogg and MP3, whose
shortfall shows only while decoding, ``on_warning`` says it when it is found).

A header is a claim, not a fact, so nothing is sized from it: rates outside
:data:`MIN_RATE`..:data:`MAX_RATE` (a damaged "1 Hz" header once asked the
resampler for 16,000 output samples per input sample) and more than
:data:`MAX_CHANNELS` channels are refused, and at most :data:`MAX_WAV_SECONDS`
of one file or stream is read, however long its header says it is.

``sounddevice`` is imported only when a device is actually used, so files and
stdin keep working on machines without PortAudio; a missing PortAudio becomes
an ``AudioError`` that says what to install. numpy, soxr and soundfile are
imported where audio is converted, not at module level: the command line
imports this module for ``voiceglimmer devices`` on every start, and importing
numpy there took about a third of the time ``voiceglimmer --version`` did.
"""

from __future__ import annotations

import functools
import importlib
import math
import os
import re
import shlex
import stat
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, BinaryIO

from voiceglimmer.store.diagnostics import get_logger
from voiceglimmer.voice.audio import BLOCK_FRAMES, RATE, SAMPLE_WIDTH, AudioChunk, AudioError

if TYPE_CHECKING:
    import numpy as np

log = get_logger(__name__)

FILE_HINT = "use --input FILE.wav to read a recording instead"
OUTPUT_HINT = "use --output FILE.wav to write the speech to a file instead"
CONVERT_HINT = (
    "e.g. `sox {src} -r 16000 -c 1 -b 16 out.wav` or `ffmpeg -i {src} -ar 16000 -ac 1 out.wav`"
)

PCM = 0x0001
FLOAT = 0x0003
EXTENSIBLE = 0xFFFE
#: Encodings people meet in the wild that we name instead of guessing at.
KNOWN_ENCODINGS = {
    0x0002: "Microsoft ADPCM",
    0x0006: "A-law",
    0x0007: "mu-law",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0050: "MPEG",
    0x0055: "MP3",
    0x00FF: "AAC",
    0x0160: "WMA",
    0x1610: "AAC",
    0xF1AC: "FLAC",
}
#: File signatures, to say what a file that can't be read probably is.
SIGNATURES = [
    (b"ID3", "an MP3"),
    (b"\xff\xfb", "an MP3"),
    (b"\xff\xf3", "an MP3"),
    (b"\xff\xf2", "an MP3"),
    (b"OggS", "an Ogg (Vorbis/Opus)"),
    (b"fLaC", "a FLAC"),
    (b"FORM", "an AIFF"),
    (b"RIFX", "a big-endian WAV (RIFX)"),
    (b"\x1aE\xdf\xa3", "a WebM/Matroska"),
    (b"caff", "a Core Audio (CAF)"),
]
#: Source frames decoded per step: small enough to keep memory flat, big enough to be quick.
FILE_STEP = 4096
#: Sample rates a real recording uses, from old telephone-band files to studio masters;
#: anything outside is a damaged header, and resampling it would be up to 16,000 times
#: the audio (or nothing useful at all).
MIN_RATE = 4_000
MAX_RATE = 384_000
#: More channels than any microphone array: one step of 4,096 frames then stays under 2 MB.
MAX_CHANNELS = 64
#: The most audio read from one recording or stream (4 hours). A session is minutes; more
#: than hours on a header's say-so would only keep the recogniser busy for as long.
MAX_WAV_SECONDS = 4 * 3600
#: Bytes read at a time when a chunk has to be skipped in a stream that can't seek.
SKIP_STEP = 64 * 1024
#: The most of a fmt chunk that is read: the longest real one (extensible) is 40 bytes.
MAX_FMT_BYTES = 1024
#: libsndfile's sample formats as (encoding, bits per sample); other codecs have no fixed
#: sample size and are named by their codec ("vorbis", "opus", "mpeg_layer_iii", "ulaw").
SUBTYPES = {
    "PCM_S8": ("pcm", 8),
    "PCM_U8": ("pcm", 8),
    "PCM_16": ("pcm", 16),
    "PCM_24": ("pcm", 24),
    "PCM_32": ("pcm", 32),
    "FLOAT": ("float", 32),
    "DOUBLE": ("float", 64),
}
#: libsndfile's log line for a WAV data chunk that promises more than the file holds.
_DATA_SHORT = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)
#: What a compressed file may decode short of its header's length without being cut short
#: (encoder padding, an MP3's estimated length): a tenth of a second, or 1 %.
SHORTFALL_SECONDS = 0.1


# --- what a recording holds ------------------------------------------------------------------


@dataclass(frozen=True)
class AudioFormat:
    """What a recording holds, as its header describes it."""

    encoding: str  # "pcm", "float", or the codec ("vorbis", "opus", "mpeg_layer_iii", ...)
    bits: int  # container bits per sample: 8, 16, 24, 32 or 64; 0 for a codec without
    channels: int
    rate: int
    #: Frames that will be read: those present in a file (at most MAX_WAV_SECONDS);
    #: for a stream, what its header promises, or None when it doesn't say.
    frames: int | None
    #: The file format: "WAV", "FLAC", "OGG", "MP3", ...
    container: str = "WAV"

    @property
    def frame_bytes(self) -> int:
        return self.channels * self.bits // 8

    @property
    def duration(self) -> float | None:
        return None if self.frames is None else self.frames / self.rate

    def describe(self) -> str:
        if self.encoding == "float":
            size = f"{self.bits}-bit float"
        elif self.encoding == "pcm":
            size = f"{self.bits}-bit"
        else:
            size = self.encoding.replace("_", " ")
        layout = {1: "mono", 2: "stereo"}.get(self.channels, f"{self.channels}-channel")
        length = "length unknown" if self.duration is None else f"{self.duration:.1f} s"
        return f"{self.container} {size} {layout} {self.rate} Hz, {length}"


#: The name this had while only WAV was read.
WavFormat = AudioFormat


def _span(seconds: float) -> str:
    return f"{seconds / 3600:,.1f} hours" if seconds >= 3600 else f"{seconds:.1f} s"


#: How the limit is put to the person, whenever a recording reaches it.
LIMIT_WORDS = f"voiceglimmer reads at most the first {MAX_WAV_SECONDS // 3600} hours of a recording"


def _hint(path: Path) -> str:
    return CONVERT_HINT.format(src=shlex.quote(str(path)))


def _check_rate(path: Path, rate: int) -> None:
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError(
            f"{path} claims a sample rate of {rate:,} Hz; voiceglimmer reads recordings made at "
            f"{MIN_RATE:,} to {MAX_RATE:,} Hz, so its header is probably damaged. If it really "
            f"is a {rate:,} Hz recording, convert it first, {_hint(path)}."
        )


def _check_channels(path: Path, channels: int, container: str) -> None:
    if not 1 <= channels <= MAX_CHANNELS:
        raise AudioError(
            f"{path} is a damaged {container} file: it claims {channels} channels "
            f"(voiceglimmer reads 1 to {MAX_CHANNELS})."
        )


def _open_binary(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise AudioError(f"There is no file {path}.") from None
    except IsADirectoryError:
        raise AudioError(f"{path} is a folder, not a recording.") from None
    except OSError as exc:
        raise AudioError(f"Can't read {path}: {exc.strerror or exc}.") from None


def _looks_like(head: bytes) -> str | None:
    kind = next((name for sig, name in SIGNATURES if head.startswith(sig)), None)
    if kind is None and head[8:12] in (b"AVI ", b"WEBP"):
        kind = "an AVI/WebP"
    return kind


# --- WAV headers, read by hand: for pipes, and to explain a file libsndfile refused ----------


@dataclass(frozen=True)
class _Layout:
    """Where the samples are and how to read them, found by walking the RIFF chunks."""

    format: AudioFormat
    warning: str | None
    #: The header's own data size in frames, when it gave one (to tell a stream cut short).
    declared: int | None = None
    #: Whether the reading stops at MAX_WAV_SECONDS with audio still to come.
    limited: bool = False


def _not_wav_message(path: Path, head: bytes) -> str:
    kind = _looks_like(head)
    what = f"it looks like {kind} file" if kind else "it doesn't start with a RIFF/WAVE header"
    return (
        f"{path} is not a WAV stream ({what}). A named pipe must carry WAV; FLAC, Ogg and MP3 "
        f"can be read from a regular file. Convert it first, {_hint(path)}."
    )


class _Stream:
    """A binary file read front to back, seeking only where it can.

    A named pipe or a device can't seek (``--input`` on a FIFO once ended in
    "Illegal seek"), so there a chunk is skipped by reading and dropping it, a
    bounded piece at a time; only a regular file has a size to trust.
    """

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        info = os.fstat(file.fileno())
        #: A regular file's size; None for a pipe or device, whose length is whatever arrives.
        self.size: int | None = info.st_size if stat.S_ISREG(info.st_mode) else None
        self.pos = 0

    def read(self, count: int) -> bytes:
        """Up to ``count`` bytes; fewer only at the end (a buffered read waits on a pipe)."""
        data = self.file.read(count)
        self.pos += len(data)
        return data

    def skip(self, count: int) -> None:
        if self.size is not None:
            self.file.seek(count, os.SEEK_CUR)
            self.pos += count
            return
        while count > 0:
            got = self.file.read(min(count, SKIP_STEP))
            if not got:
                return
            count -= len(got)
            self.pos += len(got)

    @property
    def at_end(self) -> bool:
        return self.size is not None and self.pos >= self.size


def _read_chunks(stream: _Stream, path: Path) -> tuple[bytes, int]:
    """The fmt chunk's body and the data chunk's declared size, leaving ``stream`` at the
    first sample. Bodies are read only as far as they are needed, never sized by a header."""
    fmt: bytes | None = None
    ds64_data_size: int | None = None
    while not stream.at_end:
        header = stream.read(8)
        if len(header) < 8:
            break
        chunk_id, size = struct.unpack("<4sI", header)
        padded = size + (size & 1)
        if chunk_id == b"data":
            if fmt is None:
                raise AudioError(
                    f"{path} is a damaged WAV file: its audio comes before its format."
                )
            if ds64_data_size is not None and size == 0xFFFFFFFF:
                size = ds64_data_size
            return fmt, size
        if chunk_id == b"fmt ":
            fmt = stream.read(min(size, MAX_FMT_BYTES))
            if len(fmt) < min(size, MAX_FMT_BYTES):
                raise AudioError(
                    f"{path} is a damaged WAV file: its format description is cut short."
                )
            stream.skip(padded - len(fmt))
        elif chunk_id == b"ds64" and size >= 16:
            body = stream.read(16)
            if len(body) == 16:
                ds64_data_size = struct.unpack("<Q", body[8:16])[0]
            stream.skip(padded - len(body))
        else:
            stream.skip(padded)
    if fmt is None:
        raise AudioError(f"{path} is a damaged WAV file: it has no format description.")
    raise AudioError(f"{path} has no audio in it (the WAV file has no data chunk).")


def _encoding(fmt: bytes, path: Path, decoder_says: str | None) -> tuple[str, int, int, int]:
    """(encoding, container bits, channels, rate) from a fmt chunk, or a clear refusal.

    ``decoder_says`` is libsndfile's reason when it refused a regular file: an encoding
    other than PCM or float is then one it couldn't decode; in a pipe, one the
    streaming reader doesn't decode at all.
    """
    if len(fmt) < 16:
        raise AudioError(f"{path} is a damaged WAV file: its format description is cut short.")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == EXTENSIBLE and len(fmt) >= 40:
        tag = struct.unpack("<H", fmt[24:26])[0]
    if tag not in (PCM, FLOAT):
        name = KNOWN_ENCODINGS.get(tag, f"format code 0x{tag:04X}")
        if decoder_says is None:
            raise AudioError(
                f"{path} is a {name} WAV stream, which voiceglimmer can't read from a pipe; "
                "there it needs plain PCM or float (a regular file may hold other encodings). "
                f"Convert it first, {_hint(path)}."
            )
        raise AudioError(
            f"{path} is a {name} WAV file that can't be decoded ({decoder_says}). "
            f"Convert it first, {_hint(path)}."
        )
    _check_channels(path, channels, "WAV")
    _check_rate(path, rate)
    container = 8 * (block_align // channels) if block_align else bits
    encoding = "float" if tag == FLOAT else "pcm"
    allowed = (32, 64) if encoding == "float" else (8, 16, 24, 32)
    if block_align and (bits > container or block_align % channels):
        frame = f"{block_align} byte{'s' if block_align > 1 else ''}"
        raise AudioError(
            f"{path} is a damaged WAV file: it claims {bits}-bit samples but "
            f"{frame} for each frame of {channels} channel{'s' if channels > 1 else ''}."
        )
    if container not in allowed:
        raise AudioError(
            f"{path} uses {container}-bit {encoding} samples, which voiceglimmer can't read. "
            f"Convert it to 16-bit first, {_hint(path)}."
        )
    return encoding, container, channels, rate


def _layout(stream: _Stream, path: Path, decoder_says: str | None = None) -> _Layout:
    head = stream.read(12)
    if not head:
        raise AudioError(f"{path} is empty (0 bytes); there is no audio in it.")
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
        raise AudioError(_not_wav_message(path, head))
    fmt, declared = _read_chunks(stream, path)
    encoding, bits, channels, rate = _encoding(fmt, path, decoder_says)
    frame_bytes = channels * bits // 8
    cap = MAX_WAV_SECONDS * rate
    # 0 or 0xFFFFFFFF: written to a pipe, so the size was never filled in
    promised = None if declared in (0, 0xFFFFFFFF) else declared // frame_bytes
    warnings = []
    if stream.size is None:  # a pipe: its length is whatever arrives
        frames = promised
    else:
        available = (stream.size - stream.pos) // frame_bytes
        if promised is not None and promised > available:
            warnings.append(_cut_short(path, promised / rate, available / rate))
        frames = available if promised is None else min(promised, available)
        if frames == 0:
            raise AudioError(f"{path} has no audio in it (0 seconds).")
    limited = False
    if frames is not None and frames > cap:
        warnings.append(_too_long(path, frames / rate, stream.size is not None))
        frames, limited = cap, True
    return _Layout(
        AudioFormat(encoding, bits, channels, rate, frames),
        " ".join(warnings) or None,
        declared=promised,
        limited=limited,
    )


def _cut_short(path: Path, promised: float, there: float) -> str:
    return (
        f"{path} is cut short: its header promises {_span(promised)} of audio "
        f"but only {_span(there)} is there; reading what there is."
    )


def _too_long(path: Path, seconds: float, known: bool) -> str:
    what = "holds" if known else "says it holds"
    return f"{path} {what} {_span(seconds)} of audio; {LIMIT_WORDS}, so the rest is not used."


# --- turning any audio into 16 kHz mono blocks -----------------------------------------------


def _to_float(raw: bytes, fmt: AudioFormat) -> np.ndarray:
    """Interleaved samples of any supported encoding as float32 in [-1, 1]."""
    import numpy as np  # deferred: see the module docstring

    if fmt.encoding == "float":
        x = np.frombuffer(raw, "<f4" if fmt.bits == 32 else "<f8").astype(np.float32)
        return np.clip(np.nan_to_num(x), -1.0, 1.0)
    if fmt.bits == 8:
        return (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    if fmt.bits == 16:
        return np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    if fmt.bits == 24:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        packed = (b[:, 0] << 8) | (b[:, 1] << 16) | (b[:, 2] << 24)  # top-aligned: sign for free
        return packed.astype(np.float32) / 2147483648.0
    return np.frombuffer(raw, "<i4").astype(np.float32) / 2147483648.0


def _to_mono(x: np.ndarray, channels: int) -> np.ndarray:
    """Interleaved frames mixed down to one channel by averaging."""
    import numpy as np  # deferred: see the module docstring

    if channels == 1:
        return x
    mono: np.ndarray = x.reshape(-1, channels).mean(axis=1, dtype=np.float32)
    return mono


def float_to_pcm(x: np.ndarray) -> bytes:
    """Float samples in [-1, 1] as 16-bit little-endian PCM, clipped rather than wrapped."""
    import numpy as np  # deferred: see the module docstring

    return np.clip(np.rint(x * 32768.0), -32768, 32767).astype("<i2").tobytes()


class FileSource:
    """A recording as 16 kHz mono PCM, whatever its rate, channels and encoding.

    ``format`` describes the audio as its header does; ``warning`` says what the
    person should know (a file cut short, a recording longer than
    :data:`MAX_WAV_SECONDS`). Some of that is learnt only while reading (a pipe
    that ends early, a FLAC cut short), so ``on_warning``, when set, is also
    called with each warning as it arises. Reads return ``frames`` frames (fewer
    at the very end), then None.

    The two readers below differ only in how they get source frames
    (:meth:`_decode_step`); mixing down, resampling and blocking are shared.
    """

    format: AudioFormat

    def __init__(self, path: Path, fmt: AudioFormat, warning: str | None) -> None:
        import soxr  # deferred: see the module docstring

        self.path = path
        self.format = fmt
        self.warnings: list[str] = [warning] if warning else []
        self.on_warning: Callable[[str], None] | None = None
        self._cap = MAX_WAV_SECONDS * fmt.rate
        # source frames not yet read: what a file holds, else up to the cap
        self._left = fmt.frames if fmt.frames is not None else self._cap
        self._read_frames = 0
        self._pending = bytearray()  # converted 16 kHz PCM not yet handed out
        self._emitted = 0
        # Already 16 kHz mono 16-bit: hand the bytes through untouched.
        self._passthrough = (fmt.encoding, fmt.bits, fmt.rate, fmt.channels) == ("pcm", 16, RATE, 1)
        self._resampler = (
            None
            if fmt.rate == RATE
            else soxr.ResampleStream(fmt.rate, RATE, 1, dtype="float32", quality="HQ")
        )
        self._finished = False

    @property
    def warning(self) -> str | None:
        """Everything the person should be told about this input so far, or None."""
        return " ".join(self.warnings) or None

    @property
    def duration(self) -> float | None:
        """Seconds of audio that will be read; None for a stream that didn't say."""
        return self.format.duration

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        if self.on_warning is not None:
            self.on_warning(message)

    def _asked(self, wanted: int) -> int:
        """Source frames to decode for roughly ``wanted`` more output frames."""
        step = max(FILE_STEP, math.ceil(wanted * self.format.rate / RATE))
        return min(step, self._left)

    def _take(self, samples: np.ndarray | bytes, count: int, asked: int) -> bool:
        """Convert ``count`` decoded frames (interleaved float, or bytes to pass through);
        True when the source stopped short of ``asked`` (it ended before its time)."""
        self._read_frames += count
        stopped = count < asked
        self._left = 0 if stopped else self._left - count
        last = self._left == 0
        if isinstance(samples, bytes):
            self._pending += samples
        else:
            x = _to_mono(samples, self.format.channels)
            if self._resampler is not None:
                x = self._resampler.resample_chunk(x, last=last)
            self._pending += float_to_pcm(x)
        self._finished = last
        return stopped

    def _decode_step(self, wanted: int) -> None:
        raise NotImplementedError

    def read(self, frames: int = BLOCK_FRAMES) -> AudioChunk | None:
        wanted = frames * SAMPLE_WIDTH
        while len(self._pending) < wanted and not self._finished:
            self._decode_step(frames - len(self._pending) // SAMPLE_WIDTH)
        if not self._pending:
            return None
        pcm = bytes(self._pending[:wanted])
        del self._pending[:wanted]
        chunk = AudioChunk(pcm, RATE, self._emitted / RATE)
        self._emitted += len(pcm) // SAMPLE_WIDTH
        return chunk

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- regular files: libsndfile ---------------------------------------------------------------


@functools.cache
def _reader_class() -> type:
    """soundfile's reader, told never to seek.

    After every read soundfile seeks to where the read ended, when the file says it
    can seek; libsndfile's MP3 seeking is approximate, so an MP3 read in blocks came
    out as scraps of noise after the first (a whole-file read was fine). A recording
    is read front to back here, so it is never sought, and the count of frames is
    kept by the caller rather than by soundfile.
    """
    import soundfile  # deferred: see the module docstring

    class FrontToBack(soundfile.SoundFile):
        def seekable(self) -> bool:
            return False

    return FrontToBack


def _format_of(sound: Any, frames: int) -> AudioFormat:
    encoding, bits = SUBTYPES.get(sound.subtype, (str(sound.subtype).lower(), 0))
    return AudioFormat(encoding, bits, sound.channels, sound.samplerate, frames, sound.format)


def _refusal(path: Path, file: BinaryIO, reason: str) -> AudioError:
    """Why libsndfile couldn't open ``file``, as exactly as can be said."""
    file.seek(0)
    head = file.read(12)
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        file.seek(0)
        _layout(_Stream(file), path, decoder_says=reason)  # raises when it finds the fault
        return AudioError(
            f"{path} is a WAV file that can't be read ({reason}). Convert it first, {_hint(path)}."
        )
    kind = _looks_like(head)
    if kind:
        return AudioError(
            f"{path} looks like {kind} file but can't be read ({reason}); it may be damaged "
            f"or cut short. Convert it to WAV first, {_hint(path)}."
        )
    return AudioError(
        f"{path} is not a recording voiceglimmer can read (it has no WAV, FLAC, Ogg, MP3 or "
        f"other audio header). Convert it first, {_hint(path)}."
    )


class RecordingSource(FileSource):
    """A regular file of any format libsndfile reads (WAV, FLAC, Ogg, MP3, AIFF, ...)."""

    def __init__(self, path: Path, file: BinaryIO) -> None:
        import soundfile  # deferred: see the module docstring

        self._file = file
        if os.fstat(file.fileno()).st_size == 0:
            raise AudioError(f"{path} is empty (0 bytes); there is no audio in it.")
        try:
            # the descriptor already opened, so what is read is what was checked
            self._sound = _reader_class()(file.fileno(), closefd=False)
        except soundfile.LibsndfileError as exc:
            raise _refusal(path, file, _reason(exc)) from None
        except (RuntimeError, TypeError, ValueError) as exc:
            raise _refusal(path, file, str(exc)) from None
        try:
            fmt, warnings = self._check(path)
        except BaseException:
            self._sound.close()
            raise
        super().__init__(path, fmt, " ".join(warnings) or None)
        #: What the header promised, to tell a compressed file cut short when it ends.
        self._promised = self._sound.frames
        log.info("reading %s: %s", path, fmt.describe())

    def _check(self, path: Path) -> tuple[AudioFormat, list[str]]:
        sound = self._sound
        _check_channels(path, sound.channels, sound.format)
        _check_rate(path, sound.samplerate)
        frames = sound.frames
        if frames <= 0:
            raise AudioError(f"{path} has no audio in it (0 seconds).")
        warnings = []
        if sound.format in ("WAV", "WAVEX", "RF64", "W64"):
            # libsndfile reads a WAV file only as far as it goes, and logs what its header
            # promised ("data : 264600 (should be 132278)"); 0 and all-ones mean "unknown".
            short = _DATA_SHORT.search(sound.extra_info)
            if short and int(short[1]) not in (0, 0xFFFFFFFF) and int(short[2]):
                promised = frames * int(short[1]) / int(short[2])
                if promised > frames:
                    warnings.append(
                        _cut_short(path, promised / sound.samplerate, frames / sound.samplerate)
                    )
        if frames > MAX_WAV_SECONDS * sound.samplerate:
            warnings.append(_too_long(path, frames / sound.samplerate, True))
            frames = MAX_WAV_SECONDS * sound.samplerate
        return _format_of(sound, frames), warnings

    def _decode_step(self, wanted: int) -> None:
        import numpy as np  # deferred: see the module docstring
        import soundfile

        asked = self._asked(wanted)
        fault = None
        try:
            block = self._sound.read(asked, dtype="int16" if self._passthrough else "float32")
        except (soundfile.LibsndfileError, RuntimeError) as exc:
            # a FLAC cut short fails at its first missing block: what came before stands
            fault = exc
            block = np.zeros((0, self.format.channels), np.float32)
        count = len(block)
        if self._passthrough:
            samples: np.ndarray | bytes = block.astype("<i2").tobytes()
        else:
            samples = np.clip(np.nan_to_num(block.ravel()), -1.0, 1.0).astype(np.float32)
        stopped = self._take(samples, count, asked)
        if stopped:
            self._ended_early(fault)

    def _ended_early(self, fault: BaseException | None) -> None:
        """A compressed file holds less than its header said: say so, once, and go on."""
        rate = self.format.rate
        missing = min(self._promised, self._cap) - self._read_frames
        if self._read_frames == 0:
            raise AudioError(
                f"{self.path} has no audio that can be read"
                + (f" ({_reason(fault)})" if fault else "")
                + "; it may be damaged or cut short."
            )
        if missing > max(SHORTFALL_SECONDS * rate, self._promised / 100):
            self._warn(
                f"{self.path} is cut short: its header promised "
                f"{_span(self._promised / rate)} of audio but only "
                f"{_span(self._read_frames / rate)} could be read; using what there was."
            )

    def close(self) -> None:
        try:
            self._sound.close()
        finally:
            self._file.close()


def _reason(exc: BaseException) -> str:
    """libsndfile's own words, without soundfile's "Error opening <fd>: " in front."""
    said = str(getattr(exc, "error_string", "") or exc).strip()
    return said.rstrip(".") or type(exc).__name__


# --- named pipes: the streaming WAV reader ---------------------------------------------------


class WavSource(FileSource):
    """A WAV stream that can't seek (a named pipe, ``/dev/stdin``), read front to back.

    Its header's promises are checked against what arrives: an empty stream is
    refused like an empty file, and one that ends early or runs past the limit is
    told through ``on_warning`` as it ends.
    """

    def __init__(self, path: Path, file: BinaryIO) -> None:
        self._file = file
        self._stream = _Stream(file)
        layout = _layout(self._stream, path)
        super().__init__(path, layout.format, layout.warning)
        self._promised = layout.declared
        self._limited = layout.limited
        log.info("reading %s as a stream: %s", path, layout.format.describe())
        if self._stream.size is None:
            # A stream's header promises nothing: wait for its first audio (a fraction of
            # a second of it) so an empty one is refused here, like an empty file.
            self._decode_step(BLOCK_FRAMES)

    def _decode_step(self, wanted: int) -> None:
        """Convert roughly enough source audio for ``wanted`` more output frames."""
        fmt = self.format
        asked = self._asked(wanted)
        raw = self._file.read(asked * fmt.frame_bytes)
        count = len(raw) // fmt.frame_bytes
        raw = raw[: count * fmt.frame_bytes]
        samples = raw if self._passthrough else _to_float(raw, fmt)
        stopped = self._take(samples, count, asked)
        if self._finished and self._stream.size is None:
            self._stream_ended(stopped)

    def _stream_ended(self, stopped: bool) -> None:
        """What only the end of a stream tells: that it was empty, short, or too long."""
        rate = self.format.rate
        if self._read_frames == 0:
            raise AudioError(f"{self.path} has no audio in it (0 seconds).")
        if stopped and self._promised is not None and self._read_frames < self._promised:
            self._warn(
                f"{self.path} is cut short: its header promised "
                f"{_span(self._promised / rate)} of audio but only "
                f"{_span(self._read_frames / rate)} came; using what there was."
            )
        elif not stopped and not self._limited and self._read_frames >= self._cap:
            self._warn(
                f"{self.path} went on for {_span(self._cap / rate)}; {LIMIT_WORDS}, "
                "so the rest is not used."
            )

    def close(self) -> None:
        self._file.close()


def open_audio(path: str | os.PathLike[str]) -> FileSource:
    """Open a recording or a named pipe as a 16 kHz mono source; ``AudioError`` says what's
    wrong if it can't (opening a pipe waits for its writer, as reading any pipe does).

    A regular file goes to libsndfile (any format it reads); anything that can't
    seek goes to the streaming WAV reader.
    """
    where = Path(path)
    file = _open_binary(where)
    try:
        if stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            return RecordingSource(where, file)
        return WavSource(where, file)
    except BaseException:
        file.close()
        raise


#: The name this had while only WAV was read; ``run --input`` and the tests still use it.
open_wav = open_audio


# --- stdin -----------------------------------------------------------------------------------


class StdinSource:
    """Raw 16 kHz mono s16le PCM from a pipe (``--input -``), e.g. from ``sox ... -t raw -``."""

    def __init__(self, stream: BinaryIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdin.buffer
        self._emitted = 0
        self._ended = False

    def read(self, frames: int = BLOCK_FRAMES) -> AudioChunk | None:
        wanted = frames * SAMPLE_WIDTH
        data = bytearray()
        while len(data) < wanted and not self._ended:
            got = self._stream.read(wanted - len(data))
            if not got:
                self._ended = True
            data += got
        usable = len(data) - len(data) % SAMPLE_WIDTH  # a stray odd byte at the end is noise
        if not usable:
            return None
        chunk = AudioChunk(bytes(data[:usable]), RATE, self._emitted / RATE)
        self._emitted += usable // SAMPLE_WIDTH
        return chunk

    def close(self) -> None:
        """The stream belongs to the caller (usually the process's stdin): left open."""


# --- devices ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    inputs: int
    outputs: int
    default_rate: int
    is_default_input: bool = False
    is_default_output: bool = False

    def channels(self, kind: str) -> int:
        return self.inputs if kind == "input" else self.outputs

    def label(self) -> str:
        return f"{self.index}: {self.name}"


def load_sounddevice() -> ModuleType:
    """The ``sounddevice`` module, or an ``AudioError`` that says what to install."""
    try:
        return importlib.import_module("sounddevice")
    except OSError as exc:  # raised at import when the PortAudio library itself is missing
        raise AudioError(
            f"Audio devices need the PortAudio library, which isn't installed ({exc}). "
            "Install it with `sudo apt install libportaudio2` (or run scripts/setup), "
            f"or {FILE_HINT}."
        ) from None
    except ImportError as exc:
        raise AudioError(
            f"Audio devices need the sounddevice package ({exc}); "
            f"install it with `pip install sounddevice`, or {FILE_HINT}."
        ) from None


def _default_index(sd: ModuleType, kind: str) -> int | None:
    try:
        return int(sd.query_devices(kind=kind)["index"])
    except (sd.PortAudioError, ValueError, KeyError, TypeError):
        return None


def list_devices() -> list[Device]:
    """Every PortAudio device, with the default input and output marked."""
    sd = load_sounddevice()
    try:
        found = sd.query_devices()
    except sd.PortAudioError as exc:
        raise AudioError(f"Can't list audio devices: {exc}.") from None
    default_in, default_out = _default_index(sd, "input"), _default_index(sd, "output")
    return [
        Device(
            index=int(d["index"]),
            name=str(d["name"]),
            inputs=int(d["max_input_channels"]),
            outputs=int(d["max_output_channels"]),
            default_rate=int(d["default_samplerate"]),
            is_default_input=int(d["index"]) == default_in,
            is_default_output=int(d["index"]) == default_out,
        )
        for d in found
    ]


def _noun(kind: str) -> str:
    return "microphone" if kind == "input" else "speaker"


def devices_hint(devices: list[Device], kind: str) -> str:
    """The devices someone could pick instead, and where to look further."""
    usable = [d for d in devices if d.channels(kind)]
    listed = ", ".join(d.label() for d in usable) or "none"
    way_out = f"; or {FILE_HINT if kind == 'input' else OUTPUT_HINT}"
    return (
        f"{kind.capitalize()} devices: {listed}. "
        f"Run `voiceglimmer devices` to see them all{way_out}."
    )


def pick_device(devices: list[Device], wanted: str | int | None, kind: str) -> Device:
    """The device meant by an index, an exact name or part of a name (any case)."""
    usable = [d for d in devices if d.channels(kind)]
    if not usable:
        raise AudioError(
            f"No {_noun(kind)} found (no audio {kind} devices). {devices_hint(devices, kind)}"
        )
    if wanted is None or wanted == "":
        # PortAudio names no default when its host API has none; any device beats failing.
        return next((d for d in usable if _is_default(d, kind)), usable[0])
    if isinstance(wanted, int) or wanted.strip().isdigit():
        return _by_index(devices, usable, int(wanted), kind)
    return _by_name(devices, usable, wanted, kind)


def _by_index(devices: list[Device], usable: list[Device], index: int, kind: str) -> Device:
    found = next((d for d in usable if d.index == index), None)
    if found is None:
        raise AudioError(f"There is no {kind} device number {index}. {devices_hint(devices, kind)}")
    return found


def _by_name(devices: list[Device], usable: list[Device], name: str, kind: str) -> Device:
    folded = name.lower()
    matches = (
        [d for d in usable if d.name == name]
        or [d for d in usable if d.name.lower() == folded]
        or [d for d in usable if folded in d.name.lower()]
    )
    if not matches:
        raise AudioError(f'No {kind} device is called "{name}". {devices_hint(devices, kind)}')
    if len(matches) > 1:
        names = ", ".join(d.label() for d in matches)
        raise AudioError(
            f'"{name}" matches several {kind} devices ({names}); '
            "use its number or more of its name."
        )
    return matches[0]


def _is_default(device: Device, kind: str) -> bool:
    return device.is_default_input if kind == "input" else device.is_default_output


def find_device(wanted: str | int | None, kind: str) -> Device:
    """Resolve ``wanted`` against the devices present now ("input" or "output")."""
    return pick_device(list_devices(), wanted, kind)


@dataclass(frozen=True)
class StreamSettings:
    """How a device will be opened: its native rate/channels when it refuses 16 kHz mono."""

    rate: int
    channels: int


def stream_settings(device: Device, rate: int, kind: str) -> StreamSettings:
    """The first of (wanted rate, device rate) x (mono, stereo) the device accepts."""
    sd = load_sounddevice()
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    rates = dict.fromkeys([rate, device.default_rate])
    channel_options = [c for c in (1, 2) if c <= device.channels(kind)]
    last_error: Exception | None = None
    for r in rates:
        for channels in channel_options:
            try:
                check(device=device.index, samplerate=r, channels=channels, dtype="int16")
            except (sd.PortAudioError, ValueError) as exc:
                last_error = exc
                continue
            return StreamSettings(r, channels)
    raise AudioError(
        f"The {_noun(kind)} {device.name!r} can't be opened for 16-bit audio ({last_error}). "
        f"{devices_hint(list_devices(), kind)}"
    )


# --- the microphone --------------------------------------------------------------------------


class Microphone:
    """A live input device as 16 kHz mono PCM, resampled when the device can't do 16 kHz.

    ``overflows`` counts the times audio was lost because reads fell behind.
    """

    def __init__(self, device: str | int | None = None, frames: int = BLOCK_FRAMES) -> None:
        import soxr  # deferred: see the module docstring

        sd = load_sounddevice()
        self.device = find_device(device, "input")
        self.settings = stream_settings(self.device, RATE, "input")
        self.overflows = 0
        self._emitted = 0
        self._pending = bytearray()
        self._resampler = (
            None
            if self.settings.rate == RATE
            else soxr.ResampleStream(self.settings.rate, RATE, 1, dtype="int16", quality="HQ")
        )
        self._stream = None
        try:
            self._stream = sd.RawInputStream(
                device=self.device.index,
                samplerate=self.settings.rate,
                channels=self.settings.channels,
                dtype="int16",
                blocksize=max(1, round(frames * self.settings.rate / RATE)),
                latency="low",
            )
            self._stream.start()
        except sd.PortAudioError as exc:
            self.close()
            raise AudioError(
                f"Can't open the microphone {self.device.name!r}: {exc}. "
                f"{devices_hint(list_devices(), 'input')}"
            ) from None

    def _capture(self, frames: int) -> None:
        import numpy as np  # deferred: see the module docstring

        sd = load_sounddevice()
        if self._stream is None:
            raise AudioError("The microphone is closed.")
        count = max(1, math.ceil(frames * self.settings.rate / RATE))
        try:
            data, overflowed = self._stream.read(count)
        except sd.PortAudioError as exc:
            raise AudioError(
                f"The microphone {self.device.name!r} stopped working: {exc}."
            ) from None
        self.overflows += bool(overflowed)
        x = np.frombuffer(bytes(data), "<i2")
        if self.settings.channels > 1:
            x = x.reshape(-1, self.settings.channels).mean(axis=1).astype(np.int16)
        if self._resampler is not None:
            x = self._resampler.resample_chunk(x)
        self._pending += x.astype("<i2").tobytes()

    def read(self, frames: int = BLOCK_FRAMES) -> AudioChunk:
        wanted = frames * SAMPLE_WIDTH
        while len(self._pending) < wanted:
            self._capture(frames - len(self._pending) // SAMPLE_WIDTH)
        pcm = bytes(self._pending[:wanted])
        del self._pending[:wanted]
        chunk = AudioChunk(pcm, RATE, self._emitted / RATE)
        self._emitted += frames
        return chunk

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort()
            stream.close()

    def __enter__(self) -> Microphone:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- `voiceglimmer devices` ------------------------------------------------------------------
