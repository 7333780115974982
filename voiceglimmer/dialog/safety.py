"""A learned second net under the reviewed crisis and distress phrases.

People who may be in danger rarely use a list's words: "everyone would
manage fine without me", "I've been giving my things away", "I don't see a
tomorrow". The phrase lists in ``voiceglimmer/crisis.py`` and
``dialog/distress.py`` catch what they name exactly; this classifier,
trained on ``voiceglimmer/crisis_sentences.jsonl`` (sentences of crisis,
distress and ordinary speech written for it, never from the held-out safety
set or the corpus's test split; the last ordinary ones answer false alarms
seen on the dev split and the probes), catches the rest. Both nets run on
every utterance and every answer; either one is enough. The thresholds lean
towards the pointer: a needless pointer costs seconds, a missed one is not
acceptable.

The sentences file is part of the reviewed safety material, like crisis.py:
a change to it must be read and approved by a person.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voiceglimmer import crisis
from voiceglimmer.dialog import boundary, distress, robust
from voiceglimmer.dialog.model_cache import cached

if TYPE_CHECKING:
    from voiceglimmer.dialog.robust import Model
    from voiceglimmer.dialog.understanding import Intent, IntentRegistry

#: The training sentences (package data, beside crisis.py).
SENTENCES = Path(crisis.__file__).with_name("crisis_sentences.jsonl")
#: P(crisis) at or above this is a crisis: chosen by cross-validation on the
#: training sentences, leaning towards recall (``benchmarks/safety.py`` prints both).
CRISIS_AT = 0.08
#: The learned net judges utterances of at least this many words (of two letters or
#: more, or "I"): "lowkey a 1 rn" is too little to read.
MIN_WORDS = 4
#: The classifier reads this much of an utterance (the phrase lists read all of it).
READ_CHARS = 4000
#: Told glimmers the net learns as ordinary speech.
TOLD = 4000
#: P(crisis) + P(distress) at or above this is distress.
DISTRESS_AT = 0.50


_WORD = re.compile(r"\b(?:[^\W\d_]{2,}|[iI])\b")


@dataclass(frozen=True)
class Assessment:
    """How an utterance reads: the learned probabilities, and the verdicts."""

    crisis: float
    distress: float
    is_crisis: bool
    is_distress: bool
    #: Whether a reviewed phrase list said so (not only the learned net).
    listed: bool = False


def training_sentences(path: Path = SENTENCES) -> list[tuple[str, str]]:
    """(text, label) pairs from the sentences file; labels crisis, distress, ordinary."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            pairs.append((str(item["text"]), str(item["label"])))
    return pairs


def everyday(registry: IntentRegistry | None) -> list[tuple[str, str]]:
    """What people say to the assistant every day, as ordinary speech: the plugins'
    own sentences (the resourcing plugin's hard moments as distress) and the short
    answers. Without them the classifier took "sure, keep going" for a crisis."""
    from voiceglimmer.dialog.answers import NO, YES

    pairs = [(p, "ordinary") for p in (*YES, *NO)]
    # answers as people give them, hedged and with a remark ("I think three", "yes, I
    # think I would"): short, and so easily taken for a short crisis sentence
    pairs += [(t, "ordinary") for t in answers(ANSWERS, seed=17)]
    # glimmers as people tell them, with their hedges and closings ("I'm not sure it
    # counts", "at the funeral", "nobody cried"): the speech false alarms came from
    pairs += [(t, "ordinary") for t in boundary.told(TOLD, seed=13)]
    if registry is not None:
        sentences = robust.training_sentences(registry, seed=11, only=built_in)
        for text, label in sentences:
            pairs.append((text, "distress" if label == DISTRESS_LABEL else "ordinary"))
    return pairs


#: Hedged answers and ratings the net learns as ordinary speech.
ANSWERS = 1200
_HEDGES = ("", "", "um", "oh", "well", "hmm", "I think", "probably", "maybe", "honestly",
           "I guess", "ok so", "erm", "I'd say", "right", "ah")  # fmt: skip
_REMARKS = (
    "", "", "", "thanks", "thank you", "I would", "I think", "for now", "today", "please",
    "bit calmer now", "not bad", "if that's ok", "I suppose", "right now", "this evening",
    "bit tired though", "same as usual", "bit better", "calmer than this morning", "I reckon",
    "not sure", "honestly", "love", "dear", "mate", "to be fair", "give or take", "I'd say",
    "lol", "ish", "on a good day", "after the tea", "since the walk", "more or less",
)  # fmt: skip
_NUMBERS = ("one", "two", "three", "four", "five")


def answers(count: int, seed: int) -> list[str]:
    """Answers to the assistant's questions, put together at random: a yes or a no, or a
    calm rating said in words ("like a four", "three only", "a 2"), with a hedge before
    and a remark after; a third as a recogniser writes them."""
    from voiceglimmer.dialog.answers import NO, YES

    rng = random.Random(seed)
    said = []
    for _ in range(count):
        if rng.random() < 0.5:
            n = rng.randrange(5)
            word = rng.choice((_NUMBERS[n], str(n + 1)))
            core = rng.choice((word, f"a {word}", f"like a {word}", f"{word} only",
                               f"about a {word}", f"maybe {word}", f"a solid {word}"))  # fmt: skip
        else:
            core = rng.choice((*YES, *NO))
        parts = [rng.choice(_HEDGES), core, rng.choice(_REMARKS)]
        text = ", ".join(p for p in parts if p)
        if rng.random() < 0.2:
            text += rng.choice(("?", ".", "!", "..."))
        if rng.random() < 0.33:
            text = " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())
        said.append(text)
    return said


def built_in(intent: Intent) -> bool:
    """The built-in plugins' intents: the everyday speech the net learns from, so that
    installing a plugin doesn't retrain it (nor can a plugin's sentences weaken it)."""
    module = getattr(intent.handler, "__module__", "") or ""
    return module.startswith("voiceglimmer_plugins.")


#: The intent whose sentences are hard moments (see ``assistant.DISTRESS_INTENT``).
DISTRESS_LABEL = "resourcing/steady"


class SafetyNet:
    """The phrase lists, then the classifier; loaded (or trained) on first use."""

    def __init__(self, cache_dir: Path | None, registry: IntentRegistry | None = None) -> None:
        self.cache_dir = cache_dir
        self.registry = registry
        self._model: Model | None = None
        self._loaded = False

    @property
    def model(self) -> Model | None:
        if not self._loaded:
            self._loaded = True
            self._model = _model(self.cache_dir, self.registry)
        return self._model

    def assess(self, text: str) -> Assessment:
        listed_crisis = crisis.is_crisis(text)
        listed_distress = distress.is_distress(text)
        model = self.model
        p_crisis = p_distress = 0.0
        if model is not None and text.strip():
            scores = model.probabilities(text[:READ_CHARS])
            p_crisis, p_distress = scores.get("crisis", 0.0), scores.get("distress", 0.0)
        # the learned net never overrules a listed figure of speech ("to die for")
        # nor acts on a few words alone ("still here"): too little to read; the phrase
        # lists catch the short explicit ones ("kms", "want to die")
        enough = len(_WORD.findall(text)) >= MIN_WORDS
        learned_crisis = enough and p_crisis >= CRISIS_AT and not crisis.figure_of_speech(text)
        return Assessment(
            crisis=round(p_crisis, 3),
            distress=round(p_distress, 3),
            is_crisis=listed_crisis or learned_crisis,
            is_distress=listed_distress or (enough and p_crisis + p_distress >= DISTRESS_AT),
            listed=listed_crisis or listed_distress,
        )


def _model(cache_dir: Path | None, registry: IntentRegistry | None) -> Model | None:
    if not SENTENCES.is_file():
        return None
    raw = SENTENCES.read_bytes()
    plugins = robust.cache_key(registry, only=built_in) if registry is not None else ""
    told = boundary.cache_key()
    made = f"{robust.VERSION}-{TOLD}-{ANSWERS}-{plugins}-{told}"
    # the answers it learns as ordinary speech are made from these: a change retrains it
    from voiceglimmer.dialog.answers import NO, YES

    spoken = json.dumps([YES, NO, _HEDGES, _REMARKS, _NUMBERS]).encode()
    key = hashlib.sha256(f"safety-v{made}".encode() + spoken + raw).hexdigest()[:16]
    path = cache_dir / f"safety-{key}" if cache_dir else None
    return cached(
        path,
        "safety-*",
        robust.Model.load,
        lambda: robust.train([*training_sentences(), *everyday(registry)]),
    )
