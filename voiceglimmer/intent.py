"""Intent recognition: from words to (plugin, intent, slots).

Templates use hassil, the Home Assistant sentence-template language, so a
plugin author writes ``"[i] (noticed|had) a glimmer[:] {glimmer}"`` instead of
a regular expression. Around hassil this module adds what a spoken companion
needs: filler words and politeness are ignored, a contraction in a template
also matches its long form, free-text slots keep the person's own punctuation
and capitals, and when two plugins claim a sentence the winner is always the
same one.
"""

from __future__ import annotations

import gc
import os
import pickle
import re
import tempfile
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # hassil (with yaml and unicode_rbnf) takes 45-90 ms to import on a 2-core machine,
    # a fifth of `voiceglimmer --version`; it is imported where templates are compiled
    # or matched, so commands that never route words (--version, list ...) don't pay.
    from hassil import Intents
    from hassil.intents import SlotList

    from voiceglimmer.events import Reply
    from voiceglimmer.handle import Turn

Handler = Callable[["Turn"], "Reply | str | None"]
#: A slot is free text (WILDCARD) or one of a list of words, each mapped to a value.
SlotSpec = Sequence[str] | Mapping[str, str] | None
WILDCARD = None

_SLOT = re.compile(r"\{(\w+)\}")
_CONTRACTIONS = {
    "what's": "what is",
    "that's": "that is",
    "it's": "it is",
    "i'm": "i am",
    "i've": "i have",
    "i'd": "i would",
    "i'll": "i will",
    "let's": "let us",
    "don't": "do not",
    "didn't": "did not",
    "can't": "cannot",
    "how's": "how is",
    "there's": "there is",
}
_LONG_FORMS = {long: short for short, long in _CONTRACTIONS.items()}
_CONTRACTION_RE = re.compile(
    r"(?<![\w'])("
    + "|".join(re.escape(c) for c in sorted([*_CONTRACTIONS, *_LONG_FORMS], key=len, reverse=True))
    + r")(?![\w'])",
    re.IGNORECASE,
)
_LEADING_FILLER = re.compile(
    r"^(?:(?:um+|uh+|erm+|er|hmm+|oh|ah|okay|ok|so|well|hey|hi|right|alright|like|please)"
    r"\b[\s,.!?;:-]*)+",
    re.IGNORECASE,
)
# The lookbehind starts a try only where a run of spaces and commas begins: without it
# every position inside a long run ("a, , , , ...") is retried, and 100 KB takes hours.
_TRAILING_FILLER = re.compile(
    r"(?<![\s,])[\s,]+(?:please|thanks|thank you|for me|okay|ok)[\s.!?]*$", re.IGNORECASE
)


@dataclass
class Intent:
    """Something a person can say, and the code that answers it."""

    name: str
    templates: Sequence[str]
    handler: Handler
    #: Slot name -> list of accepted words (or words -> values); slots not named
    #: here are free text.
    slots: Mapping[str, SlotSpec] = field(default_factory=dict)
    #: Sentences shown by ``voiceglimmer plugins`` and the no-match reply.
    examples: Sequence[str] = ()
    #: Higher wins when two intents match the same words.
    priority: int = 0
    #: Offer this intent's first example when nothing was understood.
    suggest: bool = False
    #: Filled in by the registry: the plugin that registered the intent.
    plugin: str = ""


@dataclass(frozen=True)
class Match:
    intent: Intent
    slots: dict[str, str]
    score: tuple[int, ...]


def clean_utterance(text: str) -> str:
    """Drop the ums, the pleases and the curly quotes a person or recogniser adds."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").strip()
    text = " ".join(text.split())
    previous = None
    while previous != text:
        previous = text
        text = _LEADING_FILLER.sub("", text)
        text = _TRAILING_FILLER.sub("", text).strip()
    return text


def _expand_contractions(template: str) -> str:
    """``what's`` in a template also accepts ``whats`` and ``what is``, and the other way round."""

    def alternatives(m: re.Match[str]) -> str:
        said = m.group(1).lower()
        short = _LONG_FORMS.get(said, said)
        return f"({short}|{short.replace(chr(39), '')}|{_CONTRACTIONS[short]})"

    return _CONTRACTION_RE.sub(alternatives, template)


def _original_span(value: str, text: str) -> str:
    """Find the words hassil matched inside the person's own text.

    hassil drops punctuation from free-text slots; a journal should keep
    "Mum's laugh, in Paris!" exactly as it was said or typed.
    """
    # By runs of letters and digits: hassil also drops some punctuation inside the
    # slot ('"thank you," she said' comes back without its comma).
    words = re.findall(r"\w+", value)
    pattern = r"[\W_]*".join(re.escape(w) for w in words)
    if words:
        # whole words: in "a glimmer: R R" the slot is the last two words, not "r: R"
        pattern = rf"(?<![^\W_]){pattern}(?![^\W_])"
    else:  # emoji and symbols only: by character
        words = [ch for ch in value if not ch.isspace() and unicodedata.category(ch)[0] != "P"]
        if not words:
            return value
        pattern = r"[\W_]*".join(re.escape(w) for w in words)
    # the last occurrence: slots come after the template's literal words
    found = next(reversed(list(re.finditer(pattern, text, re.IGNORECASE))), None)
    if not found:
        return _trim_edges(value)
    start, end = found.start(), found.end()
    # Keep what came before the first word, an emoji or a bracket, and an opening quote
    # (trimmed below unless its closing one is there too), but not the separators.
    first = re.search(r"\w", value)
    keep = set(value[: first.start() if first else 0]) - set(_SLOT_EDGES) | set(_QUOTES)
    gap = start
    while gap and (text[gap - 1] == "_" or not _WORD.match(text[gap - 1])):
        gap -= 1
    start = next((i for i in range(gap, start) if text[i] in keep), start)
    if not re.search(r"\w", text[end:]):
        end = len(text)  # keep a closing "!" or emoji
    return _trim_edges(text[start:end])


_SLOT_EDGES = " \t-\u2013\u2014:;,.?\"'"
_QUOTES = "\"'"


def _has_words(slot: str) -> bool:
    """Whether a free-text slot holds something to keep: a letter, digit or symbol (emoji),
    not only punctuation, spaces or invisible control and format characters."""
    return any(unicodedata.category(ch)[0] in "LNS" for ch in slot)


def _trim_edges(span: str) -> str:
    """Strip separators from a slot's ends, but not quotes that pair up inside it:
    'she said "thank you".' keeps both quotation marks, and loses only the period."""
    start, end = 0, len(span)
    # A quote with no partner nearer the middle has none further in: decide once per quote.
    closes: dict[str, bool] = {}
    while start < end and span[start] in _SLOT_EDGES:
        q = span[start]
        if q in _QUOTES:
            if q not in closes:
                closes[q] = bool(re.search(rf"\S{q}(?!\w)", span[start + 1 : end]))
            if closes[q]:
                break
        start += 1
    opens: dict[str, bool] = {}
    while end > start and span[end - 1] in _SLOT_EDGES:
        q = span[end - 1]
        if q in _QUOTES:
            if q not in opens:
                opens[q] = bool(re.search(rf"(?<!\S){q}\S", span[start : end - 1]))
            if opens[q]:
                break
        end -= 1
    return span[start:end]


_WORD = re.compile(r"\w")


class TemplateCache:
    """What hassil made of the templates, kept between runs in the person's cache folder.

    hassil parses the built-in plugins' ~155 templates and ~780 slot words in
    about 70 ms on a 2-core machine, half the start-up budget for plugins, at
    every start; reading them back takes under 10 ms. Entries are keyed by
    hassil's version and the exact texts, so an edited template or an upgraded
    hassil is parsed afresh. The file is written only when something changed and
    holds only the last start's entries, so it can't grow without bound. It is a
    pickle in a folder only its owner can write, beside plugins that run as
    their code anyway; a damaged or unreadable file is ignored and rebuilt.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stored: dict[tuple[str, ...], Any] = {}
        self._used: dict[tuple[str, ...], Any] = {}
        self._loaded = False
        self._version = ""

    def _load(self) -> None:
        self._loaded = True
        if self.path is None:
            return
        from importlib.metadata import version

        self._version = version("hassil")
        collecting = gc.isenabled()
        gc.disable()  # unpickling thousands of small objects sets off collections: 3x slower
        try:
            with self.path.open("rb") as f:
                stored = pickle.load(f)
        except Exception:  # missing or damaged: parse again
            return
        finally:
            if collecting:
                gc.enable()
        if isinstance(stored, dict) and stored.get("hassil") == self._version:
            entries = stored.get("entries")
            if isinstance(entries, dict):
                self._stored = entries

    def get(self, key: tuple[str, ...], make: Callable[[], Any]) -> Any:
        """What ``make()`` returns for these texts, from last run when it's there."""
        if not self._loaded:
            self._load()
        value = self._stored.get(key)
        if value is None:
            value = make()
        self._used[key] = value
        return value

    def save(self) -> None:
        """Keep this start's entries for the next one; silent if the disk refuses."""
        if self.path is None or self._used.keys() == self._stored.keys():
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".templates-")
            try:
                with os.fdopen(fd, "wb") as f:
                    pickle.dump(
                        {"hassil": self._version, "entries": self._used},
                        f,
                        protocol=pickle.HIGHEST_PROTOCOL,
                    )
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except (OSError, pickle.PicklingError):
            return  # a read-only or full disk: parse again next time
        self._stored = dict(self._used)


class IntentRegistry:
    """Every intent the loaded plugins registered, compiled for matching."""

    def __init__(self, cache: TemplateCache | None = None) -> None:
        self.intents: list[Intent] = []
        self._compiled: list[tuple[Intent, Intents, dict[str, SlotList], int]] = []
        self.cache = cache or TemplateCache(None)

    def add(self, intent: Intent, plugin: str, order: int) -> None:
        """Compile one intent; a bad template raises ValueError naming it."""
        from hassil import Intents

        if not intent.templates:
            raise ValueError(f"intent {intent.name!r} has no templates")
        if not callable(intent.handler):
            raise ValueError(f"intent {intent.name!r} has no callable handler")
        intent.plugin = plugin
        slot_lists: dict[str, SlotList] = {}
        for template in intent.templates:
            for name in _SLOT.findall(template):
                slot_lists[name] = self._slot_list(name, intent.slots.get(name))
        try:
            compiled = Intents.from_dict(
                {
                    "language": "en",
                    "intents": {
                        intent.name: {
                            "data": [
                                {"sentences": [_expand_contractions(t) for t in intent.templates]}
                            ]
                        }
                    },
                }
            )
            for data in compiled.intents[intent.name].data:
                # hassil parses lazily (a cached_property); parse now, or take last
                # run's parse, so a template error is found at start-up.
                data.__dict__["sentences"] = self.cache.get(
                    ("sentences", *data.sentence_texts), lambda data=data: data.sentences
                )
        except Exception as exc:  # hassil raises several parse error types
            raise ValueError(
                f"intent {intent.name!r} has a template hassil can't read: {exc}"
            ) from exc
        self.intents.append(intent)
        self._compiled.append((intent, compiled, slot_lists, order))

    def _slot_list(self, name: str, spec: SlotSpec) -> SlotList:
        from hassil.intents import TextSlotList, WildcardSlotList

        if spec is None:
            return WildcardSlotList(name)
        if isinstance(spec, Mapping):
            items = list(spec.items())
            return self.cache.get(
                ("pairs", name, *(f"{k}\0{v}" for k, v in items)),
                lambda: TextSlotList.from_tuples(items, name=name),
            )
        words = list(spec)
        return self.cache.get(
            ("words", name, *words), lambda: TextSlotList.from_strings(words, name=name)
        )

    def match(self, text: str) -> Match | None:
        """The best intent for the words, or None.

        Ranking, highest first: the intent's declared priority, fewer free-text
        slots, more template words matched, less text swallowed by free-text
        slots, then plugin load order and intent name so ties never flip.
        """
        from hassil import recognize_all

        text = clean_utterance(text)
        if not text:
            return None
        best: Match | None = None
        for intent, compiled, slot_lists, order in self._compiled:
            for result in recognize_all(text, compiled, slot_lists=slot_lists):
                wildcards = [e for e in result.entities_list if e.is_wildcard]
                score = (
                    intent.priority,
                    -len(wildcards),
                    result.text_chunks_matched,
                    -sum(len(e.text or "") for e in wildcards),
                    -order,
                )
                if best is None or score > best.score:
                    slots = {
                        e.name: (
                            _original_span(str(e.value), text) if e.is_wildcard else str(e.value)
                        )
                        for e in result.entities_list
                    }
                    if not all(_has_words(slots[e.name]) for e in wildcards):
                        continue  # "glimmer: -" or "glimmer: \x00" has no glimmer in it
                    best = Match(intent=intent, slots=slots, score=score)
        return best
