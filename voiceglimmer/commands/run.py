"""``voiceglimmer run``: put the stages together and talk.

Everything here is assembly and reporting: which source (microphone, WAV
file, stdin), which sink (speaker or WAV), which model, voice and wake
phrase, and how events are shown (a live terminal line, or JSON lines for
scripts and tests). Problems a person can fix end with one clear message and
a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from voiceglimmer.app import App
from voiceglimmer.commands.chat import cap_utterance
from voiceglimmer.errors import UserError
from voiceglimmer.events import (
    Ended,
    Final,
    Handled,
    LoopEvent,
    Notice,
    Pace,
    Partial,
    Ready,
    Said,
    Sleep,
    Spoken,
    Utterance,
    Wake,
)
from voiceglimmer.hookspecs import Subparsers
from voiceglimmer.store import config
from voiceglimmer.voice.audio import (
    AudioError,
    AudioSource,
    AudioSourceWithWarnings,
    Sink,
    Speech,
)
from voiceglimmer.wording import for_terminal

if TYPE_CHECKING:
    from voiceglimmer.voice.asr import VoskRecognizer
    from voiceglimmer.voice.loop import Dialog
    from voiceglimmer.voice.tts import SpeechEngine
    from voiceglimmer.voice.wake import PhraseDetector

DISCLAIMER = (
    "voiceglimmer is a practice companion, not therapy or medical advice. "
    "If you are in crisis, contact your local emergency number or a crisis line."
)


def add_command(sub: Subparsers) -> None:
    p = sub.add_parser("run", help="listen and talk: the hands-free voice assistant")
    p.add_argument(
        "--input",
        "-i",
        metavar="FILE|-",
        help="read speech from a recording (WAV, FLAC, Ogg or MP3; any rate/channels), a "
        "named pipe carrying WAV, or raw 16 kHz PCM on stdin (-), instead of the microphone",
    )
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE.wav",
        help="write everything spoken to a WAV file instead of the speaker",
    )
    p.add_argument("--device", metavar="NAME|INDEX", help="microphone (see `voiceglimmer devices`)")
    p.add_argument("--output-device", metavar="NAME|INDEX", help="speaker")
    add_listening_options(p)
    p.set_defaults(func=run_command)


def add_listening_options(p: argparse.ArgumentParser) -> None:
    """The options every spoken front end shares (``run``, ``serve``)."""
    p.add_argument("--model", metavar="PATH|NAME", help="Vosk model folder or catalog name")
    p.add_argument("--voice", metavar="ENGINE", help="speech engine: pyttsx3 (default) or piper")
    p.add_argument("--wake-phrase", metavar="WORDS", help='default "hey glimmer"')
    p.add_argument("--no-wake", action="store_true", help="no wake phrase: always listening")
    p.add_argument(
        "--follow-up",
        type=float,
        metavar="SECONDS",
        help="keep listening this long after a reply without the wake phrase",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object per event")


def chosen_wake_phrase(args: argparse.Namespace, settings: dict) -> str | None:
    """The wake phrase: none with --no-wake, else --wake-phrase, config.toml, the default."""
    from voiceglimmer.voice.wake import DEFAULT_PHRASE

    if args.no_wake:
        return None
    return str(args.wake_phrase or settings.get("wake_phrase") or DEFAULT_PHRASE)


# -- reporting ---------------------------------------------------------------------


def json_reporter(out: TextIO) -> Callable[[LoopEvent], None]:
    def emit(event: LoopEvent) -> None:
        print(json.dumps(event.as_json(), ensure_ascii=False), file=out, flush=True)

    return emit


def terminal_reporter(out: TextIO, err: TextIO) -> Callable[[LoopEvent], None]:
    """Partials on one live line; what was heard and said on their own lines."""
    live = [False]

    def clear() -> None:
        if live[0]:
            print("\r\033[K", end="", file=err, flush=True)
            live[0] = False

    def emit(event: LoopEvent) -> None:
        if isinstance(event, Partial):
            print(f"\r\033[K… {for_terminal(event.text)}", end="", file=err, flush=True)
            live[0] = True
            return
        clear()
        if isinstance(event, Ready):
            hint = f'Say "{event.wake_phrase}" to begin.' if event.wake_phrase else "Go ahead."
            print(
                f"Listening ({event.model}, loaded in {event.load_seconds:.1f} s). {hint}",
                file=err,
                flush=True,
            )
        elif isinstance(event, Wake):
            print("(listening)", file=err, flush=True)
        elif isinstance(event, Final):
            print(f"you> {for_terminal(event.text)}", file=out, flush=True)
        elif isinstance(event, Said):
            print(f"glimmer> {for_terminal(event.text)}", file=out, flush=True)
        elif isinstance(event, Spoken) and event.stopped:
            print("(stopped)", file=out, flush=True)
        elif isinstance(event, Sleep):
            print("(waiting for the wake phrase)", file=err, flush=True)
        elif isinstance(event, Notice):
            print(event.message, file=err, flush=True)
        elif isinstance(event, Ended) and event.reason == "interrupted":
            print("Take care.", file=err, flush=True)

    return emit


# -- assembly ------------------------------------------------------------------------


class FencedEngine:
    """A voice whose failure costs the sound of a reply, never the session.

    A reply is spoken after its turn was handled, so a glimmer it confirms is
    already on disk; a voice (often a plugin's) that raises must not end the
    run with a traceback. The first failure is reported as a notice, and
    replies are then still shown or emitted as text.
    """

    def __init__(self, engine: SpeechEngine, emit: Callable[[LoopEvent], None]) -> None:
        self.engine = engine
        self.name = getattr(engine, "name", "speech")
        self.rate = engine.rate
        #: Whether the loop should say a reply's first few words on their own.
        self.phrase_first = bool(getattr(engine, "phrase_first", False))
        self.failures = 0
        self._emit = emit
        self.clock: Callable[[], float] = lambda: 0.0

    def synthesize(self, text: str, pace: Pace = "normal") -> Speech:
        try:
            return self.engine.synthesize(text, pace)
        except Exception as exc:
            self.failures += 1
            if self.failures == 1:
                self._emit(
                    Notice(
                        round(self.clock(), 3),
                        f"The {self.name!r} voice could not speak a reply ({exc}); "
                        "carrying on without sound. What you said is handled and kept; "
                        "try another voice with --voice.",
                    )
                )
            return Speech(b"", self.rate)


class CappedAssistant:
    """The assistant, handed at most ``chat.MAX_UTTERANCE_CHARS`` of one transcript.

    A recogniser that never hears a pause (a long monologue, a stuck stream)
    can return one transcript of any length; typed chat keeps only the first
    ``MAX_UTTERANCE_CHARS`` characters of a line, and so does the voice. The person is told, in
    a notice, that the rest was not used; words of harm in the rest still get
    the crisis pointer (see ``chat.Capped.text``).
    """

    def __init__(
        self, assistant: Dialog, emit: Callable[[LoopEvent], None], clock: Callable[[], float]
    ) -> None:
        self.assistant = assistant
        self._emit = emit
        self._clock = clock

    def handle(self, utterance: Utterance) -> Handled:
        said = cap_utterance(utterance.text)
        if not said.cut:
            return self.assistant.handle(utterance)
        self._emit(Notice(round(self._clock(), 3), said.notice or ""))
        return self.assistant.handle(
            Utterance(said.text, source=utterance.source, confidence=utterance.confidence)
        )

    def announcements(self) -> list[str]:
        return self.assistant.announcements()


def _source(args: argparse.Namespace, settings: dict) -> AudioSource:
    from voiceglimmer.voice import mic

    if args.input == "-":
        return mic.StdinSource()
    if args.input:
        return mic.open_audio(args.input)
    return mic.Microphone(args.device if args.device is not None else settings.get("input_device"))


def _sink(args: argparse.Namespace, settings: dict, rate: int) -> Sink:
    from voiceglimmer.voice import speaker as snd

    if args.output:
        return snd.WavSink(args.output, rate)
    device = args.output_device if args.output_device is not None else None
    return snd.Speaker(device if device is not None else settings.get("output_device"), rate)


@dataclass
class _Listeners:
    """The model and the recognisers built on it."""

    recognizer: VoskRecognizer
    wake: PhraseDetector | None
    stop: PhraseDetector | None
    load_seconds: float


def _listen_with(path: Path, wake_phrase: str | None) -> _Listeners:
    """Load the model and build the recognisers: the slow part of start-up, almost all
    in C (Vosk releases the GIL), so ``run_command`` does it on a worker thread."""
    from voiceglimmer.voice.asr import ModelError, VoskRecognizer, load_model
    from voiceglimmer.voice.wake import STOP_PHRASES, PhraseDetector

    began = time.perf_counter()
    model = load_model(path)
    load_seconds = time.perf_counter() - began
    wake = PhraseDetector(model, (wake_phrase,)) if wake_phrase else None
    try:
        stop = PhraseDetector(model, STOP_PHRASES)
    except ModelError:
        stop = None  # reported once the loop is ready
    return _Listeners(VoskRecognizer(model), wake, stop, load_seconds)


def run_command(args: argparse.Namespace, app: App) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from voiceglimmer.voice import speech_models as models
    from voiceglimmer.voice import tts
    from voiceglimmer.voice.loop import Loop, Settings

    settings = config.load(app.home)
    emit = json_reporter(sys.stdout) if args.json else terminal_reporter(sys.stdout, sys.stderr)
    wake_phrase = chosen_wake_phrase(args, settings)

    # Cheap checks first, so a bad file or missing model is reported at once.
    model_path = models.resolve_model(args.model, app.home)
    source: AudioSource | None = None
    sink: Sink | None = None
    try:
        source = _source(args, settings)
        with ThreadPoolExecutor(1, thread_name_prefix="model-load") as pool:
            # The voice, the speaker and the intents get ready while the model loads.
            loading = pool.submit(_listen_with, model_path, wake_phrase)
            try:
                engine = FencedEngine(
                    tts.open_engine(
                        tts.with_builtin_engines(app.plugins), args.voice or settings.get("voice")
                    ),
                    emit,
                )
                sink = _sink(args, settings, engine.rate)
                app.assistant  # noqa: B018 - the registry compiles while the model loads
            finally:
                # A broken model is reported before a missing speaker or voice: without
                # a model nothing else matters.
                listeners = loading.result()
        loop = Loop(
            source=source,
            sink=sink,
            # its clock is read only once the loop runs
            assistant=CappedAssistant(app.assistant, emit, lambda: loop.stats.audio_seconds),
            recognizer=listeners.recognizer,
            engine=engine,
            emit=emit,
            wake=listeners.wake,
            stop=listeners.stop,
            settings=Settings(
                wake_phrase=wake_phrase,
                follow_up_seconds=args.follow_up or settings.get("follow_up_seconds", 8.0),
            ),
        )
        engine.clock = lambda: loop.stats.audio_seconds
        # a model installed as a Python package lives in a folder called "model"
        label = model_path.parent.name if model_path.name == "model" else model_path.name
        emit(Ready(0.0, label, round(listeners.load_seconds, 3), wake_phrase))
        if listeners.stop is None:
            emit(
                Notice(
                    0.0,
                    'This model has no word for "stop"; say it to end a script '
                    "won't work, but Ctrl-C will.",
                )
            )
        if isinstance(source, AudioSourceWithWarnings):
            if source.warning:
                emit(Notice(0.0, source.warning))  # e.g. a WAV file cut short
            # a named pipe only finds out as it ends that it was cut short or too long
            source.on_warning = lambda message: emit(Notice(round(engine.clock(), 3), message))
        if not args.json and not args.input:
            print(DISCLAIMER, file=sys.stderr)
        loop.run()
    except (AudioError, tts.TtsError) as exc:
        raise UserError(str(exc)) from exc
    finally:
        if source is not None:
            source.close()
        if sink is not None:
            sink.close()
    return 0
