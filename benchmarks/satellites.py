"""Rooms over Wyoming: the network path's cost, and how many rooms two cores serve.

A real, unmodified ``wyoming-satellite`` 1.0.0 (from PyPI, in a virtual
environment of its own: it pins ``wyoming`` 1.4.1) per room, with a named
pipe as its microphone, fed Korean speech in real time, and as its speaker a
small program that writes down when each piece of audio arrived.
``voiceglimmer serve``'s server runs in this process with the real Vosk
recogniser (Korean model) per room, the real assistant, plugins and journal,
and the real voice; each Korean line is answered as the English request it
stands for, in order, as in the first-audio benchmark.

Figures, all from the final transcript (Vosk's endpoint silence is the same
on both paths and is not counted):

- the local loop's first reply audio (the ``first_audio`` figure's setup,
  here with the same lines), and the same through a satellite, to the moment
  the satellite's speaker program received it;
- the network path alone: for each reply, when the speaker received the first
  audio less when voiceglimmer wrote it (budget: 50 ms on loopback);
- how many rooms, all streaming and recognised at once and each speaking (a
  little after the one before: people in different rooms do not speak at the
  same instant), are served before a room's median first audio is twice that
  of one room alone.

The helpers (the satellite's environment, a paced microphone, starting a
satellite) are shared with ``tests/test_serve.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.context import NOW, Context, cache_root
from benchmarks.core import Budget, Figure
from benchmarks.speech import KOREAN, SpeechCache, SpokenRequests, Track

SATELLITE = "wyoming-satellite==1.0.0"
STAGE = "satellites"
NETWORK_BUDGET = Budget(0.050)
REQUESTS = (
    "how many glimmers this week",
    "glimmer the warm sunlight on my face",
    "what was my last glimmer",
    "no thanks",
)
#: Quiet after each line: the endpoint, the reply (read back while it plays), a margin.
GAP = 7.0
#: Seconds between one room's speech and the next's.
STAGGER = 1.3
#: Rooms tried at once (2, 4, ... up to the most) until a room's first audio doubles.
MOST_ROOMS = 12
ROOM_STEP = 2


class Speakers:
    """Wyoming sound services the satellites play to (``--snd-uri``), noting when each
    piece of audio arrives, by port. A sound service rather than a program: the
    satellite starts its sound program afresh for every reply, so a program that
    notes times (Python) would add its own start-up to every figure."""

    def __init__(self) -> None:
        self.arrivals: dict[int, list[float]] = {}
        self._loop = asyncio.new_event_loop()
        self._servers: list[asyncio.AbstractServer] = []
        threading.Thread(target=self._loop.run_forever, daemon=True).start()

    def open(self) -> int:
        port = free_port()
        heard = self.arrivals.setdefault(port, [])

        async def play(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            from wyoming.audio import AudioChunk
            from wyoming.event import async_read_event

            while (event := await async_read_event(reader)) is not None:
                if AudioChunk.is_type(event.type):
                    heard.append(time.time())
            writer.close()

        async def serve() -> None:
            self._servers.append(await asyncio.start_server(play, "127.0.0.1", port))

        asyncio.run_coroutine_threadsafe(serve(), self._loop).result(10)
        return port

    def close(self) -> None:
        for server in self._servers:
            self._loop.call_soon_threadsafe(server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)


def satellite_python(root: Path) -> Path:
    """The Python of a virtual environment holding the unmodified wyoming-satellite,
    made under ``root`` once and kept."""
    python = root / "bin" / "python"
    if not (root / "installed").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", SATELLITE], check=True,
                       timeout=900)  # fmt: skip
        (root / "installed").touch()
    return python


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mic:
    """A satellite's microphone: a named pipe fed ``speed`` times faster than real time
    (16 kHz mono 16-bit), silence until ``say`` hands it speech."""

    fifo: Path
    speed: float = 1.0
    #: Wall time (time.time) at which each piece handed to ``say`` finished playing.
    ended: list[float] = field(default_factory=list)
    _queue: list[bytes] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        threading.Thread(target=self._feed, daemon=True).start()

    def say(self, pcm: bytes) -> None:
        with self._lock:
            self._queue.append(pcm)

    def _feed(self) -> None:
        block = 3200  # 0.1 s
        pending = b""
        try:
            with open(self.fifo, "wb", buffering=0) as pipe:
                began, sent = time.monotonic(), 0
                while not self._stop.is_set():
                    if not pending:
                        with self._lock:
                            pending = self._queue.pop(0) if self._queue else b""
                    piece, pending = pending[:block], pending[block:]
                    pipe.write(piece.ljust(block, b"\0"))
                    if piece and not pending:
                        self.ended.append(time.time())
                    sent += 1
                    ahead = began + sent * 0.1 / self.speed - time.monotonic()
                    if ahead > 0:
                        time.sleep(ahead)
        except OSError:
            pass  # the satellite is gone

    def stop(self) -> None:
        self._stop.set()


@dataclass
class Satellite:
    """A running wyoming-satellite and its microphone and speaker."""

    process: subprocess.Popen[bytes]
    port: int
    mic: Mic
    speaker: Path

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def close(self) -> None:
        """Stop the satellite and the programs it started (its microphone command outlives
        it otherwise, waiting on the pipe)."""
        self.mic.stop()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def start_satellite(
    python: Path,
    folder: Path,
    room: str,
    *,
    speed: float = 1.0,
    speaker_port: int | None = None,
    port: int | None = None,
) -> Satellite:
    """A wyoming-satellite on a free port of 127.0.0.1, named after its room, its speaker
    a program writing raw audio to ``folder/ROOM.raw`` (or the sound service on
    ``speaker_port``)."""
    fifo = folder / f"{room}.mic"
    if not fifo.exists():
        os.mkfifo(fifo)
    speaker = folder / f"{room}.raw"
    play = ["--snd-command", f"sh -c {shlex.quote('cat >> ' + shlex.quote(str(speaker)))}"]
    if speaker_port is not None:
        play = ["--snd-uri", f"tcp://127.0.0.1:{speaker_port}"]
    port = port or free_port()
    process = subprocess.Popen(
        [str(python), "-m", "wyoming_satellite", "--uri", f"tcp://127.0.0.1:{port}",
         "--name", room, "--area", room, "--no-zeroconf",
         "--mic-command", f"cat {shlex.quote(str(fifo))}", *play],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    mic = Mic(fifo, speed)
    mic.start()
    satellite = Satellite(process, port, mic, speaker)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return satellite
        if process.poll() is not None:
            break
        time.sleep(0.1)
    satellite.close()
    raise RuntimeError("wyoming-satellite did not start listening")


# -- the benchmark -------------------------------------------------------------------


def _track(ctx: Context, name: str) -> Track:
    voice = ctx.once("voice.ko", lambda: SpeechCache(ctx.engine("pyttsx3-ko")))
    requests = REQUESTS[:1] if ctx.quick else REQUESTS
    track = Track(ctx.folder("satellites") / f"{name}.wav", voice)
    track.quiet(0.5)
    for i, request in enumerate(requests):
        track.say(KOREAN[i % len(KOREAN)], means=request).quiet(GAP)
    track.close()
    return track


def _local(ctx: Context, track: Track) -> list[float]:
    """The local loop's first audio for the same lines (a WAV in, a WAV out)."""
    from benchmarks.first_audio import _assistant, run_first_audio_loop
    from voiceglimmer.events import LoopEvent, Spoken

    assistant = _assistant(ctx, "satellites-local")
    _warm(assistant)
    spoken = SpokenRequests(assistant, track.lines)
    found: list[float] = []

    def emit(event: LoopEvent) -> None:
        spoken.observe(event)
        if isinstance(event, Spoken) and event.first_audio is not None:
            found.append(event.first_audio)

    out = ctx.folder("satellites") / "local-out.wav"
    run_first_audio_loop(ctx, track.path, out, assistant, spoken, ctx.engine("pyttsx3"), emit,
                         None)  # fmt: skip
    return found


def _warm(assistant: Any) -> None:
    """Load (or train, once) the understanding models before anything is timed."""
    for model in (assistant.pipeline.model, assistant.pipeline.boundary, assistant.safety.model):
        assert model is not None


@dataclass
class InOrder:
    """A room's dialog answering its n-th transcript as the n-th line's English request
    (the room's stream starts when it connects, so lines are matched by order, not time)."""

    dialog: Any
    means: list[str]
    said: int = 0

    def handle(self, utterance: Any) -> Any:
        from dataclasses import replace

        text = self.means[min(self.said, len(self.means) - 1)]
        self.said += 1
        return self.dialog.handle(replace(utterance, text=text))

    def announcements(self) -> list[str]:
        return list(self.dialog.announcements())


@dataclass
class Room:
    satellite: Satellite
    heard: list[float]
    finals: list[float] = field(default_factory=list)
    #: (wall time the reply's first audio was written, its first_audio) per reply.
    written: list[tuple[float, float]] = field(default_factory=list)

    def arrivals(self) -> list[float]:
        return list(self.heard)

    def first_audio(self) -> list[float]:
        """Per reply: final transcript to the first audio the room's speaker received."""
        heard = self.arrivals()
        found = []
        for final in self.finals:
            after = [t for t in heard if t > final]
            if after:
                found.append(after[0] - final)
        return found

    def network(self) -> list[float]:
        """Per reply: the first audio written to the network, to its arrival."""
        heard = self.arrivals()
        found = []
        for wrote, _ in self.written:
            after = [t for t in heard if t >= wrote - 0.001]
            if after:
                found.append(max(0.0, after[0] - wrote))
        return found


def _rooms_at_once(ctx: Context, python: Path, track: Track, count: int) -> list[Room]:
    """``count`` rooms, each saying the track at the same time; their timings."""
    from voiceglimmer.app import App
    from voiceglimmer.events import Final, LoopEvent, Spoken
    from voiceglimmer.network.rooms import DialogThread
    from voiceglimmer.network.satellite import SatelliteAddress
    from voiceglimmer.network.server import Server, SharedVoice
    from voiceglimmer.store.home import Home
    from voiceglimmer.voice.asr import VoskRecognizer
    from voiceglimmer.voice.loop import Settings

    folder = ctx.folder(f"satellites-{count}")
    home = ctx.folder(f"satellites-home-{count}")
    speed = 4.0 if ctx.quick else 1.0
    speakers = Speakers()
    rooms = {}
    for n in range(count):
        port = speakers.open()
        satellite = start_satellite(python, folder, f"room{n}", speed=speed, speaker_port=port)
        rooms[f"room{n}"] = Room(satellite, speakers.arrivals[port])
    app = App(home=Home(data=home, config=home), clock=lambda: NOW)
    dialog = DialogThread(lambda: app.assistant)
    dialog.call(lambda: _warm(app.assistant))
    connected: set[str] = set()
    model = ctx.korean_model()

    def emit(room: str, event: LoopEvent) -> None:
        here = rooms.get(room)
        if here is None:
            return
        if event.kind == "status" and getattr(event, "state", "") == "connected":
            connected.add(room)
        elif isinstance(event, Final):
            here.finals.append(time.time())
        elif isinstance(event, Spoken) and event.first_audio is not None and here.finals:
            here.written.append((here.finals[-1] + event.first_audio, event.first_audio))

    def wrap(room_dialog: Any, _: Callable[[LoopEvent], None]) -> Any:
        return InOrder(room_dialog, [line.means for line in track.lines])

    server = Server(
        dialog, f"tcp://127.0.0.1:{free_port()}", emit, lambda *_: None, lambda t: t,
        [SatelliteAddress.parse(r.satellite.uri) for r in rooms.values()],
        listeners=lambda room: (VoskRecognizer(model), None, None),
        voice=SharedVoice(ctx.engine("pyttsx3")),
        settings=Settings(wake_phrase=None, speech_memory_bytes=0),
        wrap=wrap,
    )  # fmt: skip
    loop = asyncio.new_event_loop()
    stopping = asyncio.Event()
    runner = threading.Thread(target=lambda: loop.run_until_complete(server.run(stopping)))
    runner.start()
    try:
        deadline = time.monotonic() + 60
        while len(connected) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        pcm = track.path.read_bytes()[44:]  # the WAV's samples
        for n, room in enumerate(rooms.values()):
            # people in different rooms do not speak at the same instant: each room starts
            # STAGGER later than the one before (all are listening all the time)
            room.satellite.mic.say(bytes(2 * round(16000 * STAGGER * n)) + pcm)
        wanted = len(track.lines)
        deadline = time.monotonic() + track.seconds / speed * 3 + 60
        while time.monotonic() < deadline and not all(
            len(r.written) >= wanted for r in rooms.values()
        ):
            time.sleep(0.1)
        time.sleep(0.5)  # the last reply's audio reaches its speaker
    finally:
        loop.call_soon_threadsafe(stopping.set)
        runner.join(60)
        for room in rooms.values():
            room.satellite.close()
        speakers.close()
        dialog.call(app.close)
        dialog.close()
    return list(rooms.values())


def run(ctx: Context) -> list[Figure]:
    ctx.log("  satellites: a real wyoming-satellite per room, Vosk (Korean) per room ...")
    # every home here reads one trained understanding model (trained at most once)
    shared = os.environ.setdefault("VOICEGLIMMER_CACHE", str(ctx.folder("satellites-models")))
    try:
        return _figures(ctx)
    finally:
        if shared == str(ctx.folder("satellites-models")):
            os.environ.pop("VOICEGLIMMER_CACHE", None)


def _figures(ctx: Context) -> list[Figure]:
    python = satellite_python(cache_root() / "wyoming-satellite-venv")
    track = _track(ctx, "rooms")
    local = _local(ctx, track)
    one = _rooms_at_once(ctx, python, track, 1)[0]
    through = one.first_audio()
    label = "real wyoming-satellite 1.0.0 on 127.0.0.1 + Vosk (Korean speech for the English)"
    figures = [
        Figure("satellites.first_audio.local", STAGE, "final transcript to first audio, local "
               "loop", "s", local, label=label),
        Figure("satellites.first_audio.room", STAGE, "final transcript to first audio at a "
               "satellite's speaker", "s", through, label=label,
               details={"local_median": statistics.median(local) if local else None}),
        Figure("satellites.network_path", STAGE, "first audio at a satellite's speaker less "
               "the local loop's", "s",
               [t - statistics.median(local) for t in through] if local else [],
               NETWORK_BUDGET, label=label,
               details={"written_to_arrival": one.network(),
                        "what": "per reply: final transcript to the satellite's speaker, less the "
                                "local loop's median final transcript to first audio"}),
    ]  # fmt: skip
    alone = statistics.median(through) if through else None
    served, medians = 1, {1: alone}
    for count in range(2, (2 if ctx.quick else MOST_ROOMS) + 1, ROOM_STEP):
        ctx.log(f"    {count} rooms at once ...")
        rooms = _rooms_at_once(ctx, python, track, count)
        heard = [t for room in rooms for t in room.first_audio()]
        answered = all(len(room.first_audio()) >= len(track.lines) for room in rooms)
        medians[count] = statistics.median(heard) if heard else None
        if alone is None or medians[count] is None or not answered:
            break
        if medians[count] > 2 * alone:  # type: ignore[operator]
            break
        served = count
    figures.append(
        Figure("satellites.rooms_before_doubling", STAGE, "rooms served at once before a "
               "room's first audio doubles (2 cores, real recognition in each)", "rooms",
               [float(served)], label=label,
               details={"median_first_audio_by_rooms": medians, "most_tried": MOST_ROOMS,
                        "at_least": served == MOST_ROOMS,
                        "lines_per_room": len(track.lines)})
    )  # fmt: skip
    return figures
