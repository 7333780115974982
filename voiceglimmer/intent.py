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

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hassil import Intents, recognize_all
from hassil.intents import SlotList, TextSlotList, WildcardSlotList

if TYPE_CHECKING:
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
_TRAILING_FILLER = re.compile(
    r"[\s,]+(?:please|thanks|thank you|for me|okay|ok)[\s.!?]*$", re.IGNORECASE
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
    words = value.split()
    if not words:
        return value
    pattern = r"[\W_]*".join(re.escape(w) for w in words)
    # the last occurrence: slots come after the template's literal words
    found = next(reversed(list(re.finditer(pattern, text, re.IGNORECASE))), None)
    if not found:
        return value
    end = found.end()
    if not re.search(r"\w", text[end:]):
        end = len(text)  # keep a closing "!" or emoji
    return text[found.start() : end].strip(_SLOT_EDGES)


_SLOT_EDGES = " \t-\u2013\u2014:;,.?\"'"


class IntentRegistry:
    """Every intent the loaded plugins registered, compiled for matching."""

    def __init__(self) -> None:
        self.intents: list[Intent] = []
        self._compiled: list[tuple[Intent, Intents, dict[str, SlotList], int]] = []

    def add(self, intent: Intent, plugin: str, order: int) -> None:
        """Compile one intent; a bad template raises ValueError naming it."""
        if not intent.templates:
            raise ValueError(f"intent {intent.name!r} has no templates")
        if not callable(intent.handler):
            raise ValueError(f"intent {intent.name!r} has no callable handler")
        intent.plugin = plugin
        slot_lists: dict[str, SlotList] = {}
        for template in intent.templates:
            for name in _SLOT.findall(template):
                spec = intent.slots.get(name)
                if spec is None:
                    slot_lists[name] = WildcardSlotList(name)
                elif isinstance(spec, Mapping):
                    slot_lists[name] = TextSlotList.from_tuples(list(spec.items()), name=name)
                else:
                    slot_lists[name] = TextSlotList.from_strings(list(spec), name=name)
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
                _ = data.sentences  # hassil parses lazily; find template errors now
        except Exception as exc:  # hassil raises several parse error types
            raise ValueError(
                f"intent {intent.name!r} has a template hassil can't read: {exc}"
            ) from exc
        self.intents.append(intent)
        self._compiled.append((intent, compiled, slot_lists, order))

    def match(self, text: str) -> Match | None:
        """The best intent for the words, or None.

        Ranking, highest first: the intent's declared priority, fewer free-text
        slots, more template words matched, less text swallowed by free-text
        slots, then plugin load order and intent name so ties never flip.
        """
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
                    best = Match(intent=intent, slots=slots, score=score)
        return best
