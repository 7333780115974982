"""Intent recognition: from words to (plugin, intent, slots).

Templates use hassil, the Home Assistant sentence-template language, so a
plugin author writes ``"[i] (noticed|had) a glimmer[:] {glimmer}"`` instead of
a regular expression. Around hassil this module adds what a spoken companion
needs: filler words and politeness are ignored, a contraction in a template
also matches its long form, free-text slots keep the person's own punctuation
and capitals, and when two plugins claim a sentence the winner is always the
same one.

A plugin keeps its sentences as data, in a file beside its module in hassil's
own YAML form (``intents:`` with templates and examples, ``lists:`` of slot
words, ``expansion_rules:`` for shared pieces), read by :class:`IntentFile`;
the handlers, priorities and ``suggest`` stay in Python. So the sentences can
be read, translated and used to train an understanding stage without running
the plugin, and hassil itself can load the same file.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import hashlib
import importlib.util
import json
import os
import re
import stat
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voiceglimmer.dialog.slots import OPENS
from voiceglimmer.wording import CONTRACTIONS as _CONTRACTIONS

if TYPE_CHECKING:
    # hassil (with yaml and unicode_rbnf) takes 45-90 ms to import on a 2-core machine,
    # a fifth of `voiceglimmer --version`; it is imported where templates are compiled
    # or matched, so commands that never route words (--version, list ...) don't pay.
    from hassil import Intents
    from hassil.intents import SlotList

    from voiceglimmer.dialog.assistant import Turn
    from voiceglimmer.events import Reply

Handler = Callable[["Turn"], "Reply | str | None"]
#: A slot is free text (WILDCARD) or one of a list of words, each mapped to a value.
SlotSpec = Sequence[str] | Mapping[str, str] | None
WILDCARD = None

_SLOT = re.compile(r"\{(\w+)\}")
#: ``<name>`` in a template: an expansion rule, hassil's named piece of template.
_RULE = re.compile(r"<([^<>{}\[\]()|]+)>")
_LONG_FORMS = {long: short for short, long in _CONTRACTIONS.items()}
_CONTRACTION_RE = re.compile(
    r"(?<![\w'])("
    + "|".join(re.escape(c) for c in sorted([*_CONTRACTIONS, *_LONG_FORMS], key=len, reverse=True))
    + r")(?![\w'])",
    re.IGNORECASE,
)
#: "hey" and "hi" open a sentence, unless they are all of it ("hi there", "hey again").
_HI = r"(?:hey|hi)(?![\s,]+(?:there|again|all|everyone|everybody|y'?all|folks|you)\W*$)"
_LEADING_FILLER = re.compile(
    rf"^(?:(?:um+|uh+|erm+|er|hmm+|oh|ah|okay|ok|so|well now{OPENS}|well|{_HI}|right|alright|"
    r"like|please)"
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
    #: Other ways people say it: the understanding stage learns from these (and the
    #: examples and templates); they need not match a template.
    paraphrases: Sequence[str] = ()
    #: Higher wins when two intents match the same words.
    priority: int = 0
    #: Offer this intent's first example when nothing was understood.
    suggest: bool = False
    #: Rule name -> template text: ``<name>`` in a template (or another rule) stands
    #: for it, as in hassil's ``expansion_rules``.
    expansion_rules: Mapping[str, str] = field(default_factory=dict)
    #: Filled in by the registry: the plugin that registered the intent.
    plugin: str = ""

    @classmethod
    def from_data(
        cls,
        source: str | os.PathLike[str],
        handlers: Mapping[str, Handler],
        *,
        priority: int | Mapping[str, int] = 0,
        suggest: Collection[str] = (),
    ) -> list[Intent]:
        """Every intent of a plugin's sentence file, each with its handler: the one call
        a plugin's ``register_intents`` needs when its sentences are data::

            for intent in Intent.from_data(__name__, {"gratitude": thanks}):
                register(intent)

        ``source`` is the plugin's module name (its ``.yaml`` file beside it) or the
        file's path; see :class:`IntentFile` for the file and the other arguments.
        """
        return IntentFile.load(source).intents(handlers, priority=priority, suggest=suggest)

    @property
    def label(self) -> str:
        """``plugin/name``: how the understanding stages and reports name the intent."""
        return f"{self.plugin}/{self.name}"

    def slot_names(self) -> set[str]:
        """Every slot any of the intent's templates (or their rules) can fill."""
        texts = [*self.templates, *self.expansion_rules.values()]
        return {name for text in texts for name in _SLOT.findall(text)}

    def optional_slots(self) -> set[str]:
        """Slots some template can do without, so the handler copes when they're missing."""
        expanded = [self._expanded(t) for t in self.templates]
        return {n for n in self.slot_names() if any(f"{{{n}}}" not in t for t in expanded)}

    def request_words(self) -> frozenset[str]:
        """The words the intent's templates ask with (not their slots): what is left of
        a request without them is what it is about ("read me" + "Sunday please")."""
        text = " ".join(_SLOT.sub(" ", self._expanded(t)) for t in self.templates)
        return frozenset(re.findall(r"[a-z']+", text.lower()))

    def _expanded(self, template: str, depth: int = 0) -> str:
        """A template with its ``<rule>`` references written out (textually, for slots)."""
        if depth > 8 or "<" not in template:
            return template
        return self._expanded(
            re.sub(r"<(\w+)>", lambda m: self.expansion_rules.get(m.group(1), ""), template),
            depth + 1,
        )


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
    start = _with_leading_sign(text, start)
    if not re.search(r"\w", text[end:]):
        end = len(text)  # keep a closing "!" or emoji
    return _trim_edges(text[start:end])


_SLOT_EDGES = " \t-\u2013\u2014:;,.?\"'"
# Marks that belong to the first word rather than separate it from the template:
# a minus or decimal point before a number ("-5 degrees", ".5 miles"), and an
# ellipsis that trails into the words ("...and then the sun came out").
_LEADING_SIGN = re.compile(r"(?:(?<=[\s:;,])|^)(?:-|\.|\.{2,}|\u2026)$")

_SIGN_AHEAD = re.compile(r"-\d|\.\d|\.{2,}\w")


def _with_leading_sign(text: str, start: int) -> int:
    """Move ``start`` back over a sign or ellipsis written against the first word."""
    found = _LEADING_SIGN.search(text, 0, start)
    if found is None or start >= len(text):
        return start
    sign = found.group()
    if sign in "-." and not text[start].isdigit():
        return start  # "glimmer:-the sun": a dash used as a separator
    return found.start()


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
        if _SIGN_AHEAD.match(span, start, end):
            break
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
    every start; reading them back takes a few milliseconds. Entries are keyed
    by hassil's version and the exact texts, so an edited template or an
    upgraded hassil is parsed afresh. The plugins' sentence files (YAML, which
    takes a few milliseconds more to parse) are kept too, keyed by a hash of
    their bytes, so an edited file is read afresh. The file is written only
    when something changed and holds only the last start's entries, so it
    can't grow without bound.

    The file is JSON holding plain data (strings, numbers, lists), rebuilt into
    hassil's objects by a decoder that accepts only the shapes written here: a
    pickle would run whatever code a planted file carried. It is also not read
    when the file or its folder could have been written by anyone but the user
    (or root), since a doctored parse could change what a sentence means. A
    damaged, odd or unreadable file is ignored and rebuilt; a ``templates.pickle``
    left by earlier versions is never opened, and removed at the next save.
    """

    #: What earlier versions wrote beside the cache: never read, deleted when saving.
    LEGACY_NAMES = ("templates.pickle",)
    #: Far above the ~130 KB the built-in plugins need; a bigger file isn't ours.
    MAX_BYTES = 32 * 1024 * 1024

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stored: dict[tuple[str, ...], Any] = {}
        self._used: dict[tuple[str, ...], Any] = {}
        self._loaded = False
        self._version = ""
        #: The folder could be written by others: neither read nor written.
        self._refused = False

    def _load(self) -> None:
        self._loaded = True
        if self.path is None:
            return
        from importlib.metadata import version

        self._version = version("hassil")
        data = self._read()
        if data is None:
            return
        collecting = gc.isenabled()
        gc.disable()  # building thousands of small objects sets off collections: slower
        try:
            self._stored = _decode_cache(data, self._version)
        except Exception:  # damaged, from another version, or not ours: parse again
            self._stored = {}
        finally:
            if collecting:
                gc.enable()

    def _read(self) -> bytes | None:
        """The file's bytes, when it and its folder can only have been written by the user.

        Both are judged through the descriptors that are read (the folder opened
        first, the file opened inside it without following a symlink), so
        nothing can be swapped in between the check and the read.
        """
        assert self.path is not None
        from voiceglimmer.store.home import untrusted, warn_once

        cloexec = getattr(os, "O_CLOEXEC", 0)
        folder = self.path.parent
        try:
            dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | cloexec)
        except OSError:
            return None  # no cache yet, or no folder to hold one
        try:
            problem = untrusted(folder, os.fstat(dir_fd))
            if problem:
                self._refused = True
                warn_once(f"the template cache in {folder} was not used: {problem}")
                return None
            try:
                fd = os.open(self.path.name, os.O_RDONLY | os.O_NOFOLLOW | cloexec, dir_fd=dir_fd)
            except OSError:
                return None
            with os.fdopen(fd, "rb") as f:
                st = os.fstat(f.fileno())
                if (
                    not stat.S_ISREG(st.st_mode)
                    or st.st_size > self.MAX_BYTES
                    or untrusted(self.path, st)  # rebuilt: the save replaces it with our own
                ):
                    return None
                return f.read(self.MAX_BYTES + 1)
        except OSError:
            return None
        finally:
            os.close(dir_fd)

    def get(self, key: tuple[str, ...], make: Callable[[], Any]) -> Any:
        """What ``make()`` returns for these texts, from last run when it's there."""
        if not self._loaded:
            self._load()
        value = self._stored.get(key)
        if value is None:
            value = make()
        self._used[key] = value
        return value

    @contextlib.contextmanager
    def in_use(self) -> Iterator[None]:
        """While plugins register: the sentence files they read (:class:`IntentFile`) are
        kept here too, so a start reads their parse back instead of parsing YAML."""
        token = _CACHE_IN_USE.set(self)
        try:
            yield
        finally:
            _CACHE_IN_USE.reset(token)

    def save(self) -> None:
        """Keep this start's entries for the next one; silent if the disk refuses."""
        if self.path is None or self._refused or self._used.keys() == self._stored.keys():
            return
        entries = []
        for key, value in self._used.items():
            try:
                entries.append([list(key), _encode_value(value)])
            except (TypeError, KeyError):
                continue  # something this format can't hold: parsed afresh each start
        if {tuple(k) for k, _ in entries} == self._stored.keys():
            return
        text = json.dumps(
            {"format": _CACHE_FORMAT, "hassil": self._version, "entries": entries},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".templates-")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
            for name in self.LEGACY_NAMES:
                if name != self.path.name:
                    (self.path.parent / name).unlink(missing_ok=True)
        except OSError:
            return  # a read-only or full disk: parse again next time
        self._stored = dict(self._used)


# -- the cache's data format ---------------------------------------------------------------
#
# Every value is a JSON list whose first item says what it is:
#   ["sentences", [[expression, text], ...]]   what IntentData.sentences holds
#   ["data", plain JSON]                        a sentence file's parsed YAML (_FileData)
#   ["slots", name, [[expression, value], ...]] a TextSlotList (values are JSON scalars)
# and expressions are
#   "text"                              TextChunk with no parent, original_text == text
#   ["t", text, parent(, original_text)] other TextChunks; parent is the index of a group
#                                       before it in depth-first order (hassil keeps
#                                       it), or -1; original_text when it differs
#   ["s", [items]] / ["p", [items]] / ["a", [items], is_optional]   Sequence, Permutation,
#                                       Alternative
#   ["l", list_name, prefix, suffix, is_end_of_word, is_capture, slot_name, is_range]
#   ["r", rule_name]                    RuleReference
# Encoding refuses (TypeError/KeyError) any object whose fields aren't exactly the ones
# known here, so a hassil that grew a field is parsed afresh instead of half-restored.

_CACHE_FORMAT = 1


@dataclass(frozen=True)
class _FileData:
    """A sentence file's YAML, parsed: plain data, keyed in the cache by the file's hash."""

    data: Any


def _plain(value: Any, depth: int = 0) -> bool:
    """Only what JSON holds as itself: str-keyed dicts, lists, strings, numbers, bools, None."""
    if depth > 20:
        return False
    if type(value) is dict:
        return all(type(k) is str and _plain(v, depth + 1) for k, v in value.items())
    if type(value) is list:
        return all(_plain(v, depth + 1) for v in value)
    return type(value) in _SCALARS


_CACHE_IN_USE: ContextVar[TemplateCache | None] = ContextVar("voiceglimmer_cache", default=None)
_SCALARS = (str, int, float, bool, type(None))


class _OddCache(ValueError):
    """The cache file holds something this version never writes."""


def _fields(obj: object, *names: str) -> None:
    """Refuse an object with attributes this format doesn't know (fields not set on the
    instance, like an unbuilt slot index, are class defaults and may be missing)."""
    if not vars(obj).keys() <= set(names):
        raise TypeError(f"{type(obj).__name__} has fields this cache doesn't know")


def _encode_value(value: Any) -> list[Any]:
    from hassil.expression import Sentence
    from hassil.intents import TextSlotList, TextSlotValue

    if type(value) is _FileData:
        if not _plain(value.data):
            raise TypeError("sentence file with values JSON can't hold")
        return ["data", value.data]
    if type(value) is list and all(type(s) is Sentence for s in value):
        sentences = []
        for s in value:
            _fields(s, "expression", "text", "pattern", "required_clauses")
            if s.text is not None and type(s.text) is not str:
                raise TypeError("sentence text")
            sentences.append([_encode_expression(s.expression, {}), s.text])
        return ["sentences", sentences]
    if type(value) is TextSlotList:
        _fields(value, "name", "values", "_value_trie", "_unindexed_values")
        values = []
        for v in value.values:
            _fields(v, "text_in", "value_out", "context", "metadata")
            if type(v) is not TextSlotValue or v.context is not None or v.metadata is not None:
                raise TypeError("slot value with context or metadata")
            if type(v.value_out) not in _SCALARS:
                raise TypeError("slot value that is not a plain scalar")
            values.append([_encode_expression(v.text_in, {}), v.value_out])
        if value.name is not None and type(value.name) is not str:
            raise TypeError("slot list name")
        return ["slots", value.name, values]
    raise TypeError(f"can't cache a {type(value).__name__}")


def _encode_expression(e: Any, groups: dict[int, int]) -> list[Any] | str:
    from hassil.expression import (
        Alternative,
        ListReference,
        Permutation,
        RuleReference,
        Sequence,
        TextChunk,
    )

    kind = type(e)
    if kind is TextChunk:
        _fields(e, "text", "original_text", "parent")
        if type(e.text) is not str or type(e.original_text) is not str:
            raise TypeError("text chunk")
        if e.parent is None and e.original_text == e.text:
            return e.text  # most of them: a bare string is the cheapest thing to read back
        parent = -1 if e.parent is None else groups[id(e.parent)]
        if e.original_text == e.text:
            return ["t", e.text, parent]
        return ["t", e.text, parent, e.original_text]
    if kind in (Sequence, Permutation, Alternative):
        groups[id(e)] = len(groups)
        items = [_encode_expression(item, groups) for item in e.items]
        if kind is Alternative:
            _fields(e, "items", "is_optional")
            return ["a", items, e.is_optional]
        _fields(e, "items")
        return ["s" if kind is Sequence else "p", items]
    if kind is ListReference:
        _fields(
            e, "list_name", "prefix", "suffix", "is_end_of_word", "is_capture",
            "_slot_name", "_inline_range_match",
        )  # fmt: skip
        return [
            "l", e.list_name, e.prefix, e.suffix, e.is_end_of_word, e.is_capture,
            e._slot_name, e._inline_range_match is not None,
        ]  # fmt: skip
    if kind is RuleReference:
        _fields(e, "rule_name")
        return ["r", e.rule_name]
    raise TypeError(f"can't cache a {kind.__name__}")


def _decode_cache(data: bytes, hassil_version: str) -> dict[tuple[str, ...], Any]:
    """The entries of a cache file, or _OddCache (or another error) if anything is off."""
    stored = json.loads(data)
    if (
        type(stored) is not dict
        or stored.get("format") != _CACHE_FORMAT
        or stored.get("hassil") != hassil_version
        or type(stored.get("entries")) is not list
    ):
        raise _OddCache("another format or hassil version")
    decoder = _Decoder()
    entries: dict[tuple[str, ...], Any] = {}
    for entry in stored["entries"]:
        if type(entry) is not list or len(entry) != 2 or type(entry[0]) is not list:
            raise _OddCache("entry")
        key = tuple(entry[0])
        if not key or not all(type(k) is str for k in key):
            raise _OddCache("key")
        entries[key] = decoder.value(entry[1])
    return entries


class _Decoder:
    """Rebuilds hassil's objects from the cache's lists, checking every type on the way."""

    def __init__(self) -> None:
        from hassil.expression import (
            INLINE_RANGE_PATTERN,
            Alternative,
            ListReference,
            Permutation,
            RuleReference,
            Sentence,
            Sequence,
            TextChunk,
        )
        from hassil.intents import TextSlotList, TextSlotValue

        self.range_pattern = INLINE_RANGE_PATTERN
        self.Alternative, self.Permutation, self.Sequence = Alternative, Permutation, Sequence
        self.ListReference, self.RuleReference, self.TextChunk = (
            ListReference,
            RuleReference,
            TextChunk,
        )
        self.Sentence, self.TextSlotList, self.TextSlotValue = (
            Sentence,
            TextSlotList,
            TextSlotValue,
        )

    def value(self, node: Any) -> Any:
        if type(node) is not list or not node:
            raise _OddCache("value")
        if node[0] == "sentences" and len(node) == 2 and type(node[1]) is list:
            sentences = []
            for item in node[1]:
                if type(item) is not list or len(item) != 2:
                    raise _OddCache("sentence")
                expression, text = item
                if text is not None and type(text) is not str:
                    raise _OddCache("sentence text")
                sentences.append(
                    self.Sentence(expression=self.expression(expression, []), text=text)
                )
            return sentences
        if node[0] == "slots" and len(node) == 3 and type(node[2]) is list:
            name = node[1]
            if name is not None and type(name) is not str:
                raise _OddCache("slot list name")
            values = []
            for item in node[2]:
                if type(item) is not list or len(item) != 2 or type(item[1]) not in _SCALARS:
                    raise _OddCache("slot value")
                values.append(
                    self.TextSlotValue(text_in=self.expression(item[0], []), value_out=item[1])
                )
            return self.TextSlotList(name=name, values=values)
        if node[0] == "data" and len(node) == 2:
            # JSON holds only plain data; what it means is checked as any file's is
            return _FileData(node[1])
        raise _OddCache("value kind")

    def expression(self, node: Any, groups: list[Any]) -> Any:
        """One expression; ``groups`` collects the groups met so far, depth first.

        The hot path of every start (some 4,000 nodes for the built-in plugins), so
        objects get their fields directly: exactly the ones ``_encode_expression``
        read, checked here, without hassil's constructors redoing their parsing.
        """
        if type(node) is str:
            chunk = _new(self.TextChunk)
            chunk.text = chunk.original_text = node
            chunk.parent = None
            return chunk
        if type(node) is not list or not node:
            raise _OddCache("expression")
        tag = node[0]
        if tag == "t":
            if len(node) == 3:
                _, text, parent = node
                original = text
            else:
                _, text, parent, original = node
            if type(text) is not str or type(original) is not str or type(parent) is not int:
                raise _OddCache("text chunk")
            if not -1 <= parent < len(groups):
                raise _OddCache("text chunk parent")
            chunk = _new(self.TextChunk)
            chunk.text = text
            chunk.original_text = original
            chunk.parent = groups[parent] if parent >= 0 else None
            return chunk
        if tag == "s" or tag == "a" or tag == "p":
            if type(node[1]) is not list:
                raise _OddCache("group")
            if tag == "s" and len(node) == 2:
                group: Any = _new(self.Sequence)
            elif tag == "a" and len(node) == 3 and type(node[2]) is bool:
                group = _new(self.Alternative)
                group.is_optional = node[2]
            elif tag == "p" and len(node) == 2:
                group = _new(self.Permutation)
            else:
                raise _OddCache("group")
            groups.append(group)
            expression = self.expression
            group.items = [expression(item, groups) for item in node[1]]
            return group
        if tag == "l":
            _, name, prefix, suffix, end_of_word, capture, slot, is_range = node
            if (
                type(name) is not str
                or type(slot) is not str
                or not all(v is None or type(v) is str for v in (prefix, suffix))
                or not all(type(v) is bool for v in (end_of_word, capture, is_range))
            ):
                raise _OddCache("list reference")
            match = self.range_pattern.match(name) if is_range else None
            if is_range and match is None:
                raise _OddCache("inline range")
            ref: Any = _new(self.ListReference)
            ref.list_name, ref.prefix, ref.suffix = name, prefix, suffix
            ref.is_end_of_word, ref.is_capture = end_of_word, capture
            ref._slot_name, ref._inline_range_match = slot, match
            return ref
        if tag == "r" and len(node) == 2 and type(node[1]) is str:
            rule: Any = _new(self.RuleReference)
            rule.rule_name = node[1]
            return rule
        raise _OddCache("expression kind")


#: An instance without running its constructor (the decoder sets its fields).
_new = object.__new__


def _parse(template: str) -> Any:
    """One template (or rule body) parsed by hassil, keeping its text."""
    from hassil.parse_expression import parse_sentence

    return parse_sentence(template, keep_text=True)


def _parsed(rule_body: str) -> list[Any]:
    """A rule body's parse as the cache keeps it: a list of one sentence."""
    return [_parse(rule_body)]


def _rules_used(intent: Intent, templates: Sequence[str]) -> dict[str, str]:
    """The expansion rules ``templates`` refer to, directly or through other rules, with
    contractions expanded; a reference to a rule the intent doesn't have is a ValueError."""
    used: dict[str, str] = {}
    waiting = [name for t in templates for name in _RULE.findall(t)]
    while waiting:
        name = waiting.pop()
        if name in used:
            continue
        body = intent.expansion_rules.get(name)
        if body is None:
            raise ValueError(
                f"intent {intent.name!r} uses <{name}>, but has no expansion rule of that name"
            )
        used[name] = _expand_contractions(body)
        waiting.extend(_RULE.findall(body))
    return dict(sorted(used.items()))


class IntentRegistry:
    """Every intent the loaded plugins registered, compiled for matching."""

    def __init__(self, cache: TemplateCache | None = None) -> None:
        self.intents: list[Intent] = []
        self._compiled: list[tuple[Intent, Intents, dict[str, SlotList], int]] = []
        self.cache = cache or TemplateCache(None)

    def add(self, intent: Intent, plugin: str, order: int) -> None:
        """Compile one intent; a bad template raises ValueError naming it.

        Intents are kept in plugin load order (``order``), then in the order each
        plugin registered them, however the plugins' hooks happened to be called.
        """
        from hassil import Intents

        if not intent.templates:
            raise ValueError(f"intent {intent.name!r} has no templates")
        if not callable(intent.handler):
            raise ValueError(f"intent {intent.name!r} has no callable handler")
        intent.plugin = plugin
        templates = [_expand_contractions(t) for t in intent.templates]
        rules = _rules_used(intent, templates)
        slot_lists: dict[str, SlotList] = {}
        for text in [*templates, *rules.values()]:
            for name in _SLOT.findall(text):
                slot_lists[name] = self._slot_list(name, intent.slots.get(name))
        # A parse depends on the rules it refers to (hassil keeps what it worked out
        # from them on the parsed sentence), so they are part of its cache key.
        with_rules = ("\0rules", *(f"{k}\0{v}" for k, v in sorted(rules.items()))) if rules else ()
        try:
            compiled = Intents.from_dict(
                {"language": "en", "intents": {intent.name: {"data": [{"sentences": templates}]}}}
            )
            compiled.expansion_rules = {
                name: self.cache.get(("rule", name, body), partial(_parsed, body))[0]
                for name, body in rules.items()
            }
            for data in compiled.intents[intent.name].data:
                # hassil parses lazily (a cached_property); parse now, or take last
                # run's parse, so a template error is found at start-up.
                data.__dict__["sentences"] = self.cache.get(
                    ("sentences", *data.sentence_texts, *with_rules),
                    partial(getattr, data, "sentences"),
                )
        except Exception as exc:  # hassil raises several parse error types
            raise ValueError(
                f"intent {intent.name!r} has a template hassil can't read: {exc}"
            ) from exc
        at = bisect.bisect_right([entry[3] for entry in self._compiled], order)
        self.intents.insert(at, intent)
        self._compiled.insert(at, (intent, compiled, slot_lists, order))

    def _slot_list(self, name: str, spec: SlotSpec) -> SlotList:
        from hassil.intents import TextSlotList, WildcardSlotList

        if spec is None:
            return WildcardSlotList(name)
        found: SlotList
        if isinstance(spec, Mapping):
            items = list(spec.items())
            found = self.cache.get(
                ("pairs", name, *(f"{k}\0{v}" for k, v in items)),
                lambda: TextSlotList.from_tuples(items, name=name),
            )
            return found
        words = list(spec)
        found = self.cache.get(
            ("words", name, *words), lambda: TextSlotList.from_strings(words, name=name)
        )
        return found

    def compiled_intents(self) -> list[tuple[Intent, Intents, dict[str, SlotList]]]:
        """Each intent with its compiled sentences and slot lists (for sampling sentences)."""
        return [(intent, compiled, lists) for intent, compiled, lists, _ in self._compiled]

    def intent(self, label: str) -> Intent | None:
        """The intent called ``plugin/name``, if it is loaded."""
        return next((i for i in self.intents if i.label == label), None)

    def match_intent(self, wanted: Intent, text: str) -> Match | None:
        """How ``text`` matches one intent's templates (for finding its slots), or None."""
        from hassil import recognize_all

        text = clean_utterance(text)
        for intent, compiled, slot_lists, _ in self._compiled:
            if intent is not wanted:
                continue
            for result in recognize_all(text, compiled, slot_lists=slot_lists):
                slots = {
                    e.name: (_original_span(str(e.value), text) if e.is_wildcard else str(e.value))
                    for e in result.entities_list
                }
                if all(_has_words(v) for v in slots.values()):
                    return Match(intent=intent, slots=slots, score=())
        return None

    def match(self, text: str) -> Match | None:
        """The best intent for the words, or None.

        Ranking, highest first: the intent's declared priority, fewer free-text
        slots, more template words matched, less text swallowed by free-text
        slots, then plugin load order and intent name so ties never flip.
        """
        from hassil import recognize_all

        # "hi" or "okay" alone: filler in front of a request, but a greeting on its own
        text = clean_utterance(text) or " ".join(re.sub(r"[^\w' ]+", " ", text).split())
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


# -- intents as data ---------------------------------------------------------------------

#: The most a sentence file may hold; far above what a plugin needs.
MAX_DATA_BYTES = 1024 * 1024
_FILE_KEYS = {"language", "intents", "lists", "expansion_rules"}
_INTENT_KEYS = {"data", "examples", "paraphrases"}


@dataclass(frozen=True)
class IntentFile:
    """A plugin's sentences as data: a YAML file in hassil's form, beside the plugin.

    ``log.py`` keeps its sentences in ``log.yaml``::

        language: en
        intents:
          log_glimmer:
            data:
              - sentences:
                  - "<noticed> a glimmer[:] {glimmer}"
            examples:
              - "I noticed a glimmer: the warm sunlight on my face"
        lists:
          glimmer:
            wildcard: true          # free text
          length:
            values:
              - in: quick           # the words said ...
                out: quick          # ... and the value the handler gets
              - in: short
                out: quick
        expansion_rules:
          noticed: "[i] (noticed|had|found)"

    ``examples`` is the one key hassil doesn't read (it ignores it): the
    sentences ``voiceglimmer plugins`` shows, the no-match reply offers, and the
    tests and an understanding stage can learn from. A ``{slot}`` with no list
    is free text. Handlers, priorities and ``suggest`` stay in the plugin's
    Python (:meth:`intents`), so a translation is a new file, not new code.
    """

    path: Path
    #: Intent name -> its sentence templates, in the file's order.
    templates: Mapping[str, tuple[str, ...]]
    #: Intent name -> its example sentences.
    examples: Mapping[str, tuple[str, ...]]
    #: List name -> words -> values (None: free text), as ``Intent.slots`` takes them.
    lists: Mapping[str, SlotSpec]
    #: Rule name -> template text, as ``Intent.expansion_rules`` takes them.
    expansion_rules: Mapping[str, str]
    #: Intent -> other ways people say it, for the understanding stage to learn from;
    #: unlike examples they need not match a template.
    paraphrases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, source: str | os.PathLike[str]) -> IntentFile:
        """Read a sentence file: a path, or a module's name for the file beside it
        (``"voiceglimmer_plugins.log"`` -> ``log.yaml`` beside ``log.py``; a package's
        ``__init__.py`` -> ``intents.yaml`` in the package). Raises ValueError, naming
        the file, for anything this module can't use."""
        path = _data_path(source)
        try:
            st = path.stat()
        except OSError as exc:
            raise ValueError(f"{path}: can't read the plugin's sentences: {exc}") from exc
        key = (path, st.st_mtime_ns, st.st_size, st.st_ino)
        found = _LOADED.get(key)
        if found is None:
            found = _LOADED[key] = _read_intent_file(path)
        elif cache := _CACHE_IN_USE.get():
            cache.get(found[1], lambda: found[2])  # still this start's: kept for the next
        return found[0]

    def intent(
        self, name: str, handler: Handler, *, priority: int = 0, suggest: bool = False
    ) -> Intent:
        """The file's intent ``name``, answered by ``handler``."""
        if name not in self.templates:
            raise ValueError(f"{self.path}: there is no intent {name!r}")
        templates = self.templates[name]
        rules: dict[str, str] = {}
        waiting = [r for t in templates for r in _RULE.findall(t)]
        while waiting:
            rule = waiting.pop()
            if rule not in rules:
                rules[rule] = self.expansion_rules[rule]  # all defined: checked when read
                waiting.extend(_RULE.findall(rules[rule]))
        slots = {
            slot: self.lists[slot]
            for text in [*templates, *rules.values()]
            for slot in _SLOT.findall(text)
            if slot in self.lists
        }
        return Intent(
            name=name,
            templates=list(templates),
            handler=handler,
            slots=slots,
            examples=list(self.examples.get(name, ())),
            paraphrases=list(self.paraphrases.get(name, ())),
            priority=priority,
            suggest=suggest,
            expansion_rules=dict(sorted(rules.items())),
        )

    def intents(
        self,
        handlers: Mapping[str, Handler],
        *,
        priority: int | Mapping[str, int] = 0,
        suggest: Collection[str] = (),
    ) -> list[Intent]:
        """Every intent of the file with its handler, in the file's order (which breaks
        ties between a plugin's intents). ``priority`` is one for all, or by intent
        name (others get 0); ``suggest`` names the intents whose first example the
        no-match reply offers. A handler for an intent the file doesn't have, or an
        intent with no handler, is a ValueError: a renamed intent is found at once."""
        named = [*handlers, *(priority if isinstance(priority, Mapping) else ()), *suggest]
        unknown = sorted({n for n in named if n not in self.templates})
        missing = [n for n in self.templates if n not in handlers]
        if unknown or missing:
            problems = [f"no intent {', '.join(map(repr, unknown))} in the file"] if unknown else []
            if missing:
                problems.append(f"no handler for {', '.join(map(repr, missing))}")
            raise ValueError(f"{self.path}: {'; '.join(problems)}")
        return [
            self.intent(
                name,
                handlers[name],
                priority=priority.get(name, 0) if isinstance(priority, Mapping) else priority,
                suggest=name in suggest,
            )
            for name in self.templates
        ]


#: Files read in this process, by path and the stat that says they haven't changed: the
#: file, and its key and data in the template cache.
_LOADED: dict[tuple[Path, int, int, int], tuple[IntentFile, tuple[str, ...], _FileData]] = {}


def _data_path(source: str | os.PathLike[str]) -> Path:
    text = os.fspath(source)
    if not isinstance(source, str) or text.endswith((".yaml", ".yml")) or os.sep in text:
        return Path(text).resolve()
    module = sys.modules.get(text)
    origin = getattr(module, "__file__", None)
    if origin is None:
        try:
            spec = importlib.util.find_spec(text)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec else None
    if not origin:
        raise ValueError(f"there is no module {text!r} to find a sentence file beside")
    module_path = Path(origin).resolve()
    if module_path.name == "__init__.py":
        return module_path.with_name("intents.yaml")
    return module_path.with_suffix(".yaml")


def _read_intent_file(path: Path) -> tuple[IntentFile, tuple[str, ...], _FileData]:
    """The file, checked, and how the template cache keeps its parse (by the file's hash:
    reading and hashing a few KB costs far less than parsing the YAML)."""
    from voiceglimmer.store.home import untrusted

    with path.open("rb") as f:
        # A sentence file decides what words mean, so it must be no easier to change than
        # the code beside it: refused when others could write it but not its folder.
        problem = untrusted(path, os.fstat(f.fileno()))
        if problem and not untrusted(path.parent, path.parent.stat()):
            raise ValueError(f"{path} was not read: {problem}")
        raw = f.read(MAX_DATA_BYTES + 1)
    if len(raw) > MAX_DATA_BYTES:
        raise ValueError(f"{path}: more than {MAX_DATA_BYTES:,} bytes of sentences")
    key = ("data", hashlib.sha256(raw).hexdigest())
    cache = _CACHE_IN_USE.get()
    parsed = cache.get(key, lambda: _parse_yaml(path, raw)) if cache else _parse_yaml(path, raw)
    return _intent_file(path, parsed.data), key, parsed


def _parse_yaml(path: Path, raw: bytes) -> _FileData:
    import yaml

    try:
        data = yaml.load(raw.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: not a YAML file voiceglimmer can read: {exc}") from exc
    return _FileData(data)


def _intent_file(path: Path, data: object) -> IntentFile:
    """Check a sentence file's parsed YAML, every problem named with the file and the key."""

    def fail(where: str, problem: str) -> ValueError:
        return ValueError(f"{path}: {where}: {problem}")

    def mapping(value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise fail(where, "should be a mapping of names")
        return value

    def strings(value: object, where: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise fail(where, "should be a list of texts")
        return tuple(value)

    top = mapping(data, "the file")
    if unknown := sorted(set(top) - _FILE_KEYS):
        raise fail("the file", f"unknown key {unknown[0]!r} (it has {sorted(_FILE_KEYS)})")
    if top.get("language", "en") != "en":
        raise fail("language", "voiceglimmer understands English (en) so far")
    templates: dict[str, tuple[str, ...]] = {}
    examples: dict[str, tuple[str, ...]] = {}
    paraphrases: dict[str, tuple[str, ...]] = {}
    for name, body in mapping(top.get("intents"), "intents").items():
        where = f"intents.{name}"
        body = mapping(body, where)
        if unknown := sorted(set(body) - _INTENT_KEYS):
            raise fail(
                where, f"unknown key {unknown[0]!r} (an intent has data, examples, paraphrases)"
            )
        blocks = body.get("data")
        if not isinstance(blocks, list) or not blocks:
            raise fail(f"{where}.data", "should be a list of blocks with sentences")
        found: list[str] = []
        for n, block in enumerate(blocks):
            block = mapping(block, f"{where}.data[{n}]")
            if set(block) != {"sentences"}:
                raise fail(f"{where}.data[{n}]", "voiceglimmer reads only 'sentences' here")
            found.extend(strings(block["sentences"], f"{where}.data[{n}].sentences"))
        templates[name] = tuple(found)
        examples[name] = strings(body.get("examples", []), f"{where}.examples")
        paraphrases[name] = strings(body.get("paraphrases", []), f"{where}.paraphrases")
    lists = {
        name: _slot_spec(mapping(spec, f"lists.{name}"), fail, f"lists.{name}")
        for name, spec in mapping(top.get("lists", {}), "lists").items()
    }
    rules: dict[str, str] = {}
    for name, body in mapping(top.get("expansion_rules", {}), "expansion_rules").items():
        if not isinstance(body, str) or not body.strip():
            raise fail(f"expansion_rules.{name}", "should be a template text")
        rules[name] = body
    texts = [(f"intents.{n}", t) for n, ts in templates.items() for t in ts]
    texts += [(f"expansion_rules.{n}", t) for n, t in rules.items()]
    for where, text in texts:
        for rule in _RULE.findall(text):
            if rule not in rules:
                raise fail(where, f"<{rule}> is used but not in expansion_rules")
    return IntentFile(path, templates, examples, lists, rules, paraphrases)


def _slot_spec(
    spec: dict[str, Any], fail: Callable[[str, str], ValueError], where: str
) -> SlotSpec:
    """A hassil list as ``Intent.slots`` takes it: None (wildcard), words, or words -> values."""
    if spec == {"wildcard": True}:
        return WILDCARD
    if set(spec) != {"values"} or not isinstance(spec["values"], list) or not spec["values"]:
        raise fail(where, "should be 'wildcard: true' or a list of 'values'")
    pairs: list[tuple[str, str]] = []
    plain = True
    for n, value in enumerate(spec["values"]):
        if isinstance(value, str) and value:
            pairs.append((value, value))
        elif (
            isinstance(value, dict)
            and set(value) == {"in", "out"}
            and isinstance(value["in"], str)
            and value["in"]
            and isinstance(value["out"], str | int | float)
            and not isinstance(value["out"], bool)
        ):
            pairs.append((value["in"], str(value["out"])))
            plain = False
        else:
            raise fail(f"{where}.values[{n}]", "should be a word, or 'in' words and an 'out' value")
    if plain:
        return [word for word, _ in pairs]
    return dict(pairs)
