"""``voiceglimmer serve``: every room of the home, over Wyoming.

One process on a home server: a Wyoming ``handle`` service on ``--uri`` (Home
Assistant's conversation agent), and a room for each ``--satellite`` (a
`wyoming-satellite` whose microphone and speaker voiceglimmer uses), all with
one journal. Assembly and reporting only; the parts are in
``voiceglimmer.network``.

config.toml can hold the same::

    [serve]
    uri = "tcp://127.0.0.1:10700"
    satellites = ["kitchen=tcp://192.168.1.20:10700", "bedroom=tcp://192.168.1.21:10700"]
    reminders = "kitchen"        # the room reminders are said in, or "all"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from voiceglimmer.commands.chat import cap_utterance
from voiceglimmer.commands.run import (
    DISCLAIMER,
    CappedAssistant,
    FencedEngine,
    add_listening_options,
    chosen_wake_phrase,
)
from voiceglimmer.errors import UserError
from voiceglimmer.events import (
    Final,
    Handled,
    LoopEvent,
    Notice,
    RoomStatus,
    Said,
    Spoken,
    Utterance,
    Wake,
)
from voiceglimmer.hookspecs import Subparsers
from voiceglimmer.store import config
from voiceglimmer.wording import for_terminal

if TYPE_CHECKING:
    from voiceglimmer.app import App
    from voiceglimmer.network.satellite import SatelliteAddress
    from voiceglimmer.voice.loop import Dialog

DEFAULT_URI = "tcp://127.0.0.1:10700"


def add_command(sub: Subparsers) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the rooms of a home over Wyoming: satellites and Home Assistant",
        description="Listen as a Wyoming service (Home Assistant's conversation agent) and "
        "talk through each wyoming-satellite given, with one journal for every room.",
    )
    p.add_argument(
        "--uri",
        metavar="tcp://HOST:PORT",
        help=f"where to listen as a Wyoming handle service (default {DEFAULT_URI}: this "
        "machine only; tcp://0.0.0.0:10700 lets the home network in)",
    )
    p.add_argument(
        "--satellite",
        action="append",
        metavar="[ROOM=]tcp://HOST:PORT",
        help="a wyoming-satellite to talk through (repeat for each room)",
    )
    p.add_argument("--reminders", metavar="ROOM|all", help="where reminders are said (default all)")
    add_listening_options(p)
    p.set_defaults(func=serve_command)


def _section(app: App) -> dict[str, Any]:
    section = config.load(app.home).get("serve", {})
    where = app.home.config / "config.toml"
    if not isinstance(section, dict):
        raise UserError(f"{where}: serve is a table, [serve], with uri, satellites, reminders.")
    for key, kind in (("uri", str), ("satellites", list), ("reminders", str)):
        if key in section and not isinstance(section[key], kind):
            raise UserError(f"{where}: [serve] {key} should be a {kind.__name__}.")
    unknown = set(section) - {"uri", "satellites", "reminders"}
    if unknown:
        raise UserError(f"{where}: [serve] has no {', '.join(sorted(unknown))}; "
                        "it takes uri, satellites and reminders.")  # fmt: skip
    return section


def _listening_uri(uri: str) -> str:
    """``uri`` if it names a TCP host and port to listen on, else a clear message."""
    from voiceglimmer.network.satellite import AddressError, SatelliteAddress

    try:
        address = SatelliteAddress.parse(uri)
    except AddressError:
        address = None
    if address is None or address.name:
        raise UserError(
            f"--uri {uri!r} is not an address to listen on: write tcp://HOST:PORT, for example "
            f"{DEFAULT_URI} (this machine only) or tcp://0.0.0.0:10700 (the home network)."
        )
    return address.uri


def _satellites(given: list[str]) -> list[SatelliteAddress]:
    from voiceglimmer.network.satellite import AddressError, SatelliteAddress

    found = []
    for text in given:
        try:
            found.append(SatelliteAddress.parse(str(text)))
        except AddressError as exc:
            raise UserError(str(exc)) from None
    rooms = [a.name or a.uri for a in found]
    if len(set(rooms)) != len(rooms):
        raise UserError("Two satellites have the same room name or address; give each its own.")
    return found


def json_reporter(out: TextIO) -> Callable[[str, dict[str, Any]], None]:
    def emit(room: str, shown: dict[str, Any]) -> None:
        print(json.dumps({"room": room, **shown}, ensure_ascii=False), file=out, flush=True)

    return emit


def _terminal(out: TextIO, err: TextIO) -> Callable[[str, LoopEvent], None]:
    """What was heard and said, and each room's link, one line each, tagged by room."""

    def emit(room: str, event: LoopEvent) -> None:
        tag = f"[{room}]"
        if isinstance(event, RoomStatus):
            print(f"{tag} {event.state}{': ' + event.detail if event.detail else ''}", file=err,
                  flush=True)  # fmt: skip
        elif isinstance(event, Wake):
            print(f"{tag} (listening)", file=err, flush=True)
        elif isinstance(event, Final):
            print(f"{tag} you> {for_terminal(event.text)}", file=out, flush=True)
        elif isinstance(event, Said):
            print(f"{tag} glimmer> {for_terminal(event.text)}", file=out, flush=True)
        elif isinstance(event, Spoken) and event.stopped:
            print(f"{tag} (stopped)", file=out, flush=True)
        elif isinstance(event, Notice):
            print(f"{tag} {event.message}", file=err, flush=True)

    return emit


def serve_command(args: argparse.Namespace, app: App) -> int:
    from voiceglimmer.network.rooms import ALL_ROOMS, DialogThread
    from voiceglimmer.network.server import Server

    section = _section(app)
    uri = _listening_uri(str(args.uri or section.get("uri") or DEFAULT_URI))
    satellites = _satellites(args.satellite or section.get("satellites") or [])
    reminders = args.reminders or section.get("reminders") or ALL_ROOMS
    settings = config.load(app.home)
    printed: Callable[[str, dict[str, Any]], None] | None = None
    emit: Callable[[str, LoopEvent], None]
    if args.json:
        printed = json_reporter(sys.stdout)
        shown = printed

        def emit_json(room: str, event: LoopEvent) -> None:
            if event.kind != "partial":
                shown(room, event.as_json())

        emit = emit_json

    else:
        emit = _terminal(sys.stdout, sys.stderr)

    def report(room: str, utterance: Utterance, turn: Handled) -> None:
        if printed is not None:
            printed(room, {"event": "handled", **turn.as_json()})
        else:
            emit(room, Final(0.0, utterance.text, None, None))
            emit(room, Said(0.0, turn.reply.text, turn.reply.glimmer_id))

    def capped(text: str) -> str:
        return cap_utterance(text).text

    part: dict[str, Any] = {}
    if satellites:
        part = _voice_parts(args, app, settings, emit)
    dialog = DialogThread(lambda: app.assistant)
    try:
        server = Server(
            dialog,
            uri,
            emit,
            report,
            capped,
            satellites,
            reminders=reminders,
            wrap=lambda room, room_emit: _capped(room, room_emit),
            **part,
        )
        if not args.json:
            print(DISCLAIMER, file=sys.stderr)
        _run(server, uri, emit)
    finally:
        dialog.call(app.close)
        dialog.close()
    return 0


def _capped(room: Dialog, emit: Callable[[LoopEvent], None]) -> Dialog:
    return CappedAssistant(room, emit, lambda: 0.0)


def _voice_parts(
    args: argparse.Namespace,
    app: App,
    settings: dict[str, Any],
    emit: Callable[[str, LoopEvent], None],
) -> dict[str, Any]:
    """The model (loaded once, shared), each room's recognisers, and the shared voice."""
    from voiceglimmer.network.server import SharedVoice
    from voiceglimmer.voice import speech_models as models
    from voiceglimmer.voice import tts
    from voiceglimmer.voice.asr import ModelError, VoskRecognizer, load_model
    from voiceglimmer.voice.loop import Settings
    from voiceglimmer.voice.wake import STOP_PHRASES, PhraseDetector

    wake_phrase = chosen_wake_phrase(args, settings)
    model = load_model(models.resolve_model(args.model, app.home))

    def listeners(room: str) -> tuple[VoskRecognizer, PhraseDetector | None, PhraseDetector | None]:
        wake = PhraseDetector(model, (wake_phrase,)) if wake_phrase else None
        try:
            stop = PhraseDetector(model, STOP_PHRASES)
        except ModelError:
            stop = None
        return VoskRecognizer(model), wake, stop

    try:
        engine = tts.open_engine(
            tts.with_builtin_engines(app.plugins), args.voice or settings.get("voice")
        )
    except tts.TtsError as exc:
        raise UserError(str(exc)) from exc
    voice = FencedEngine(SharedVoice(engine), lambda event: emit("voice", event))
    return {
        "listeners": listeners,
        "voice": voice,
        "settings": Settings(
            wake_phrase=wake_phrase,
            follow_up_seconds=args.follow_up or settings.get("follow_up_seconds", 8.0),
        ),
    }


def _run(server: Any, uri: str, emit: Callable[[str, LoopEvent], None]) -> None:
    async def main() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        try:
            await server.run(
                stopping,
                ready=lambda: emit("serve", _listening(uri)),
            )
        except OSError as exc:
            raise UserError(
                f"Cannot listen on {uri} ({exc.strerror or exc}). Another program may be using "
                "that port: choose another with --uri tcp://127.0.0.1:PORT."
            ) from None

    asyncio.run(main())


def _listening(uri: str) -> RoomStatus:
    return RoomStatus(0.0, "listening", f"{uri} (Wyoming handle service)")


__all__ = ["add_command", "serve_command"]
