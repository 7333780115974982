"""A room's satellite: its microphone in, voiceglimmer's speech out, over Wyoming.

voiceglimmer connects to each `wyoming-satellite` the way Home Assistant does
(``run-satellite``), and the satellite streams its microphone as
``audio-chunk`` events. Those become a :class:`NetworkSource` for the same
speech loop the local microphone feeds (wake, recognition, understanding and
speech all run here); the loop's speech goes back as ``audio-start``,
``audio-chunk`` and ``audio-stop`` through a :class:`NetworkSink`, written in
the loop's slices, so the script's silences and "stop" work as they do at
home.

A link that drops, stalls or sends something unreadable ends that room's
loop (its current turn is lost, never another room's, and the journal is
untouched: every turn runs on the dialog thread), and the link is tried again
after a wait that doubles up to a limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from wyoming.event import Event

from voiceglimmer.events import LoopEvent, RoomStatus
from voiceglimmer.voice.audio import RATE, SAMPLE_WIDTH, AudioChunk

#: Seconds a connected satellite may send nothing before its link counts as stalled
#: (a satellite streams its microphone all the time, silence included).
STALL_SECONDS = 5.0
#: Seconds of a room's microphone kept waiting for its loop, at most.
BEHIND_SECONDS = 30.0
#: Seconds to wait for a satellite to accept a connection or answer ``describe``.
CONNECT_SECONDS = 5.0
#: The first wait before trying a lost satellite again, and the longest.
RETRY_SECONDS = (1.0, 30.0)


class AddressError(ValueError):
    """A satellite address that cannot be used, worded for the person."""


@dataclass(frozen=True)
class SatelliteAddress:
    """Where a room's satellite listens, and the room's name if the person gave one."""

    host: str
    port: int
    name: str | None = None

    @property
    def uri(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        return f"tcp://{host}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> SatelliteAddress:
        """``tcp://HOST:PORT``, or ``ROOM=tcp://HOST:PORT`` to name the room."""
        name, _, uri = text.rpartition("=") if "=" in text.split("://")[0] else ("", "", text)
        parts = urlsplit(uri.strip())
        try:
            port = parts.port
        except ValueError:
            port = None
        if parts.scheme != "tcp" or not parts.hostname or port is None:
            raise AddressError(
                f"{text!r} is not a satellite address: write tcp://HOST:PORT, for example "
                "tcp://192.168.1.20:10700, or kitchen=tcp://192.168.1.20:10700 to name the room."
            )
        return cls(parts.hostname, port, name.strip() or None)


class NetworkSource:
    """Microphone audio arriving from a satellite, read by the speech loop's thread."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._finished = False
        self._changed = threading.Condition()
        self._frames = 0

    def feed(self, pcm: bytes) -> None:
        """More 16 kHz mono 16-bit audio (from the network's side). A room whose loop
        falls more than ``BEHIND_SECONDS`` behind loses its oldest audio, not the
        server's memory; the stream's clock still counts it."""
        with self._changed:
            self._buffer += pcm
            excess = len(self._buffer) - round(BEHIND_SECONDS * RATE) * SAMPLE_WIDTH
            if excess > 0:
                excess += excess % SAMPLE_WIDTH
                del self._buffer[:excess]
                self._frames += excess // SAMPLE_WIDTH
            self._changed.notify_all()

    def finish(self) -> None:
        """The link has ended: what is buffered is read, then the stream ends."""
        with self._changed:
            self._finished = True
            self._changed.notify_all()

    def read(self, frames: int) -> AudioChunk | None:
        wanted = frames * SAMPLE_WIDTH
        with self._changed:
            self._changed.wait_for(lambda: len(self._buffer) >= wanted or self._finished)
            if not self._buffer:
                return None
            pcm = bytes(self._buffer[:wanted])
            del self._buffer[:wanted]
        chunk = AudioChunk(pcm, RATE, self._frames / RATE)
        self._frames += len(pcm) // SAMPLE_WIDTH
        return chunk

    def close(self) -> None:
        self.finish()


@dataclass
class NetworkSink:
    """Speech for a satellite's speaker: each reply one ``audio-start`` ... ``audio-stop``."""

    rate: int
    send: Callable[[Event], None]
    _open: bool = field(default=False, init=False)

    def write(self, pcm: bytes) -> None:
        from wyoming.audio import AudioChunk as WyomingChunk
        from wyoming.audio import AudioStart

        if not self._open:
            self.send(AudioStart(rate=self.rate, width=SAMPLE_WIDTH, channels=1).event())
            self._open = True
        self.send(WyomingChunk(rate=self.rate, width=SAMPLE_WIDTH, channels=1, audio=pcm).event())

    def drain(self) -> None:
        """The reply is over: the satellite plays out what it has."""
        from wyoming.audio import AudioStop

        if self._open:
            self.send(AudioStop().event())
            self._open = False

    def discard(self) -> None:
        """After "stop": speech is sent in the loop's slices, so little is still queued
        on the satellite; closing the reply ends it there."""
        self.drain()

    def close(self) -> None:
        self.drain()


class _Link:
    """A satellite connection that says what was wrong with a bad event (the ``wyoming``
    client reads one as the end of the connection, which would hide the reason)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def write_event(self, event: Event) -> None:
        from wyoming.event import async_write_event

        await async_write_event(event, self._writer)

    async def read_event(self) -> Event | None:
        """The next event; None when the satellite closed the connection. Raises
        ValueError for anything that is not a Wyoming event."""
        line = await self._reader.readline()
        if not line:
            return None
        try:
            header = json.loads(line)
            kind = header["type"]
            data = header.get("data") or {}
            extra = int(header.get("data_length") or 0)
            size = int(header.get("payload_length") or 0)
            if not isinstance(kind, str) or not isinstance(data, dict) or extra < 0 or size < 0:
                raise TypeError("not an event header")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a Wyoming event: {line[:60]!r}") from exc
        if extra:
            more = json.loads(await self._reader.readexactly(extra))
            if not isinstance(more, dict):
                raise ValueError("an event's data is not an object")
            data = {**data, **more}
        payload = await self._reader.readexactly(size) if size else None
        return Event(type=kind, data=data, payload=payload)


#: Runs one room's speech loop on its own thread until the source ends:
#: (room, source, sink, send) -> None.
Converse = Callable[[str, NetworkSource, NetworkSink, Callable[[Event], None]], None]


@dataclass
class SatelliteLink:
    """One satellite, connected and kept connected (see the module's docstring)."""

    address: SatelliteAddress
    converse: Converse
    #: Reports a room's events: (room, event).
    emit: Callable[[str, LoopEvent], None]
    #: The rate of the speech sent to the speaker (the voice's own).
    rate: int
    stall_seconds: float = STALL_SECONDS
    connect_seconds: float = CONNECT_SECONDS
    retry_seconds: tuple[float, float] = RETRY_SECONDS
    room: str = field(init=False)

    def __post_init__(self) -> None:
        self.room = self.address.name or self.address.uri

    async def run(self, stopping: asyncio.Event) -> None:
        """Connect, converse, and when the link is lost, wait and connect again."""
        first, longest = self.retry_seconds
        delay = first
        while not stopping.is_set():
            reason, talked = await self._session(stopping)
            if stopping.is_set():
                break
            delay = first if talked else delay
            self.emit(self.room, RoomStatus(0.0, "retrying", f"{reason}; trying again in "
                                            f"{delay:g} s"))  # fmt: skip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), delay)
            delay = min(longest, delay * 2)

    async def _session(self, stopping: asyncio.Event) -> tuple[str, bool]:
        """One connection: (why it ended, whether the room got to talk)."""
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.address.host, self.address.port),
                self.connect_seconds,
            )
        except (OSError, TimeoutError) as exc:
            return f"cannot reach {self.address.uri} ({exc or 'no answer'})", False
        link = _Link(reader, writer)
        try:
            return await self._talk(link, stopping), True
        except (OSError, TimeoutError, ValueError) as exc:
            return f"the link to {self.address.uri} failed ({exc or 'no answer'})", False
        finally:
            writer.close()
            with contextlib.suppress(Exception):  # a link already broken has nothing to close
                await writer.wait_closed()

    async def _named(self, client: _Link) -> str:
        """The room's name: the person's, else the satellite's area or name."""
        from wyoming.info import Describe, Info

        if self.address.name:
            return self.address.name
        await client.write_event(Describe().event())
        while True:
            event = await asyncio.wait_for(client.read_event(), self.connect_seconds)
            if event is None:
                raise OSError("closed before describing itself")
            if Info.is_type(event.type):
                satellite = Info.from_event(event).satellite
                found = satellite.area or satellite.name if satellite else None
                return found or self.address.uri

    async def _talk(self, client: _Link, stopping: asyncio.Event) -> str:
        from wyoming.audio import AudioChunk as WyomingChunk
        from wyoming.audio import AudioChunkConverter
        from wyoming.satellite import RunSatellite

        self.room = await self._named(client)
        loop = asyncio.get_running_loop()

        def send(event: Event) -> None:
            done = asyncio.run_coroutine_threadsafe(client.write_event(event), loop)
            with contextlib.suppress(Exception):
                done.result(timeout=self.stall_seconds)

        source = NetworkSource()
        sink = NetworkSink(self.rate, send)
        await client.write_event(RunSatellite().event())
        self.emit(self.room, RoomStatus(0.0, "connected", self.address.uri))
        conversing = asyncio.ensure_future(
            asyncio.to_thread(self.converse, self.room, source, sink, send)
        )
        converter = AudioChunkConverter(rate=RATE, width=SAMPLE_WIDTH, channels=1)
        reason = "the satellite closed the connection"
        try:
            while not stopping.is_set() and not conversing.done():
                try:
                    event = await asyncio.wait_for(client.read_event(), self.stall_seconds)
                except TimeoutError:
                    reason = f"nothing heard from the satellite for {self.stall_seconds:g} s"
                    break
                except (OSError, asyncio.IncompleteReadError):
                    reason = "the connection to the satellite dropped"
                    break
                except ValueError as exc:
                    reason = f"the satellite sent something unreadable ({exc})"
                    break
                if event is None:
                    break
                if WyomingChunk.is_type(event.type):
                    try:
                        chunk = converter.convert(WyomingChunk.from_event(event))
                    except (KeyError, ValueError, TypeError) as exc:
                        reason = f"the satellite sent unreadable audio ({exc})"
                        break
                    source.feed(chunk.audio)
            if stopping.is_set():
                reason = "voiceglimmer is stopping"
        finally:
            source.finish()
            try:
                await conversing
            except Exception as exc:
                reason = f"the room's conversation failed ({exc})"
        return reason


__all__ = [
    "AddressError",
    "NetworkSink",
    "NetworkSource",
    "SatelliteAddress",
    "SatelliteLink",
]
