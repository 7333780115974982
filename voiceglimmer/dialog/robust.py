"""The robust stage: which intent a sentence means when no template matched it.

People rarely say a template's exact words. This stage learns, from each
intent's own templates and example sentences (sampled with hassil, so a
third-party plugin gets it with no extra code), a linear classifier over word
and character n-grams: TF-IDF features and multinomial logistic regression
(scikit-learn). On the blind corpus's dev split it beat fuzzy alignment of
the sentence to sampled template sentences (rapidfuzz) by a wide margin (see
``benchmarks/understanding_designs.py``).

Training happens once for a given set of templates and is kept in the cache
folder as plain arrays (``.npz``, read with ``allow_pickle=False``, and
JSON), keyed by a hash of the training sentences; reading a sentence then
needs only numpy, not scikit-learn. The model is loaded on first use, so a
start that only hears template sentences never pays for it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import random
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voiceglimmer.dialog.model_cache import cached

if TYPE_CHECKING:
    import numpy as np
    from hassil.intents import Intents, SlotList

    from voiceglimmer.dialog.understanding import Intent, IntentRegistry

#: Bump when the features or the training change, so old caches are retrained.
VERSION = 3
#: Sentences sampled per intent from its templates (their examples are always used).
PER_INTENT = 400
#: The most sentences read from one template before sampling from them.
TEMPLATE_CAP = 8000
#: Stand-ins for free-text slots in sampled sentences: varied, everyday words.
FILLERS = (
    "the warm sun on my face", "tea", "my friend's laugh", "the rain on the roof", "my dog",
    "a kind message", "the sea", "birdsong", "fresh bread", "my daughter's hug", "the garden",
    "a quiet walk", "music", "nature", "comfort", "connection", "yesterday", "last week",
    "monday", "this morning", "8am", "9 pm", "work", "the kids", "my mum",
)  # fmt: skip
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def _word_features(text: str) -> list[str]:
    words = _TOKEN.findall(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def _char_features(text: str) -> list[str]:
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        for n in (3, 4, 5):
            if len(padded) < n:
                break
            grams += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return grams


ANALYZERS = (_word_features, _char_features)


def prepare(text: str) -> str:
    """What the classifier reads: lower case, plain apostrophes, single spaces."""
    return " ".join(text.lower().replace("\u2019", "'").split())


@dataclass(frozen=True)
class Prediction:
    """The best intent for a sentence, and how sure the classifier is (0 to 1)."""

    label: str
    confidence: float
    #: The runner-up, for a clarifying question when the two are close.
    second: str
    second_confidence: float


class Model:
    """A trained classifier: vocabularies, IDF weights and coefficients."""

    def __init__(
        self,
        labels: list[str],
        vocabularies: list[dict[str, int]],
        idfs: list[np.ndarray],
        coef: np.ndarray,
        intercept: np.ndarray,
    ) -> None:
        self.labels = labels
        self.vocabularies = vocabularies
        self.idfs = idfs
        self.coef = coef
        self.intercept = intercept

    def known_words(self, text: str) -> int:
        """How many of ``text``'s words the classifier learned from: "asdf" none."""
        return sum(w in self.vocabularies[0] for w in _TOKEN.findall(prepare(text)))

    def _features(self, text: str) -> tuple[list[int], list[float]]:
        """The sentence's TF-IDF features as (column, value) lists, each analyzer's part
        L2-normalised as scikit-learn does. Worked out sparsely in plain Python: a
        sentence has a few hundred features of tens of thousands, and BLAS calls on
        the full vector were both slower and, after a fork, able to deadlock."""
        columns: list[int] = []
        values: list[float] = []
        offset = 0
        for analyzer, vocabulary, idf in zip(ANALYZERS, self.vocabularies, self.idfs, strict=True):
            counts = Counter(f for f in analyzer(text) if f in vocabulary)
            part = {vocabulary[f]: (1.0 + math.log(n)) * float(idf[vocabulary[f]])
                    for f, n in counts.items()}  # fmt: skip
            norm = math.sqrt(sum(v * v for v in part.values()))
            if norm:
                columns += [offset + index for index in part]
                values += [v / norm for v in part.values()]
            offset += len(vocabulary)
        return columns, values

    def _scores(self, text: str) -> np.ndarray:
        """Class probabilities for ``text`` (elementwise numpy only: no BLAS)."""
        import numpy as np

        columns, values = self._features(prepare(text))
        scores = self.intercept.astype(np.float64, copy=True)
        if columns:
            scores = scores + (self.coef[:, columns] * np.asarray(values)).sum(axis=1)
        scores = np.exp(scores - scores.max())
        probabilities: np.ndarray = scores / scores.sum()
        return probabilities

    def probabilities(self, text: str) -> dict[str, float]:
        """Every label's probability for ``text``."""
        probabilities = self._scores(text)
        return {label: float(p) for label, p in zip(self.labels, probabilities, strict=True)}

    def predict(self, text: str, weights: Mapping[str, float] | None = None) -> Prediction:
        """The likeliest label for ``text``, and the runner-up; ``weights`` makes some
        labels that many times likelier first (evidence the words carry beside their
        reading, such as a day said)."""
        import numpy as np

        probabilities = self._scores(text)
        if weights:
            factors = np.array([weights.get(label, 1.0) for label in self.labels])
            probabilities = probabilities * factors
            probabilities = probabilities / probabilities.sum()
        ranked = np.argsort(probabilities)[::-1]
        if len(ranked) < 2:  # one intent loaded (a plugin's own tests): nothing to weigh
            return Prediction(self.labels[0], 1.0, "", 0.0)
        first, second = ranked[:2]
        return Prediction(
            self.labels[int(first)],
            float(probabilities[first]),
            self.labels[int(second)],
            float(probabilities[second]),
        )

    # -- the cache ----------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the model as two plain-data files beside ``path`` (never pickle)."""
        import numpy as np

        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".robust-", suffix=".npz")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, coef=self.coef, intercept=self.intercept, idf0=self.idfs[0],
                     idf1=self.idfs[1])  # fmt: skip
        os.replace(tmp, path.with_suffix(".npz"))
        # each vocabulary as its features in column order: a list reads back faster
        ordered = [sorted(v, key=v.__getitem__) for v in self.vocabularies]
        meta = {"labels": self.labels, "vocabularies": ordered}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".robust-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(meta, f)
        os.replace(tmp, path.with_suffix(".json"))

    @classmethod
    def load(cls, path: Path) -> Model | None:
        """The model saved at ``path``, or None if it is missing or damaged."""
        import numpy as np

        try:
            meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            with np.load(path.with_suffix(".npz"), allow_pickle=False) as arrays:
                coef, intercept = arrays["coef"], arrays["intercept"]
                idfs = [arrays["idf0"], arrays["idf1"]]
            labels = [str(x) for x in meta["labels"]]
            vocabularies = [dict(zip(map(str, vocab), itertools.count(), strict=False))
                            for vocab in meta["vocabularies"]]  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if coef.shape != (len(labels), sum(len(v) for v in vocabularies)):
            return None
        return cls(labels, vocabularies, idfs, coef, intercept)


def train(samples: Sequence[tuple[str, str]]) -> Model:
    """Fit the classifier on (sentence, label) pairs (needs scikit-learn)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import normalize
    from threadpoolctl import threadpool_limits

    texts = [prepare(t) for t, _ in samples]
    labels = sorted({label for _, label in samples})
    index = {label: n for n, label in enumerate(labels)}
    vectorizers = [
        TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, lowercase=False)
        for analyzer in ANALYZERS
    ]
    parts = [normalize(v.fit_transform(texts)) for v in vectorizers]
    classifier = LogisticRegression(C=10, max_iter=3000)
    # One BLAS thread: the training may run in a process that has forked (a test
    # runner, a server), where a threaded BLAS can deadlock; it costs under a second.
    with threadpool_limits(limits=1):
        classifier.fit(hstack(parts).tocsr(), [index[label] for _, label in samples])
    return Model(
        labels,
        [{str(k): int(n) for k, n in v.vocabulary_.items()} for v in vectorizers],
        [v.idf_ for v in vectorizers],
        classifier.coef_,
        classifier.intercept_,
    )


def training_sentences(
    registry: IntentRegistry,
    extra: Iterable[tuple[str, str]] = (),
    *,
    seed: int = 7,
    only: Callable[[Intent], bool] | None = None,
) -> list[tuple[str, str]]:
    """(sentence, "plugin/intent") pairs: sampled template sentences, free-text slots
    filled with everyday words, and every intent's examples."""
    rng = random.Random(seed)
    samples: list[tuple[str, str]] = []
    for intent, compiled, slot_lists in registry.compiled_intents():
        if only is not None and not only(intent):
            continue
        label = f"{intent.plugin}/{intent.name}"
        sentences = _sampled(compiled, slot_lists, rng)
        for text in [*sentences, *intent.examples, *intent.paraphrases]:
            filled = re.sub(r"\{\w+\}", lambda _: rng.choice(FILLERS), text)
            if filled.strip():
                samples.append((filled, label))
    samples += list(extra)
    return samples


def _sampled(compiled: Intents, slot_lists: dict[str, SlotList], rng: random.Random) -> list[str]:
    """PER_INTENT sentences drawn from each template in turn: a template with many
    optional words would otherwise fill the sample alone, and its intent's other
    phrasings (and the next template a plugin adds) would go unlearned."""
    from hassil.sample import sample_sentence

    lists = {**compiled.slot_lists, **slot_lists}
    pools: list[list[str]] = []
    for known in compiled.intents.values():
        for data in known.data:
            rules = {**compiled.expansion_rules, **(data.expansion_rules or {})}
            for template in data.sentences:
                pool = list(itertools.islice(sample_sentence(template, lists, rules), TEMPLATE_CAP))
                rng.shuffle(pool)
                pools.append(pool)
    chosen: list[str] = []
    while len(chosen) < PER_INTENT and any(pools):
        for pool in pools:
            if pool and len(chosen) < PER_INTENT:
                chosen.append(pool.pop())
    return chosen


def cache_key(
    registry: IntentRegistry,
    extra: str = "",
    only: Callable[[Intent], bool] | None = None,
) -> str:
    """A key that changes whenever what the classifier learns from changes: the
    templates, slot words and examples of every intent, and ``extra``, a key for the
    sentences added to them."""
    digest = hashlib.sha256(f"v{VERSION}".encode())
    digest.update(json.dumps([FILLERS, PER_INTENT, TEMPLATE_CAP]).encode())
    for intent in registry.intents:
        if only is not None and not only(intent):
            continue
        digest.update(json.dumps(
            [intent.plugin, intent.name, list(intent.templates), list(intent.examples),
             list(intent.paraphrases),
             {k: v if v is None or isinstance(v, str) else sorted(map(str, v))
              for k, v in intent.slots.items()}],
            sort_keys=True, default=str,
        ).encode())  # fmt: skip
    digest.update(extra.encode())
    return digest.hexdigest()[:16]


def model_for(
    registry: IntentRegistry,
    cache_dir: Path | None,
    extra: Callable[[], Sequence[tuple[str, str]]] | None = None,
    extra_key: str = "",
) -> Model | None:
    """The classifier for these intents: from the cache, or trained now and cached.

    ``extra()`` gives sentences to learn besides the intents' own, and ``extra_key``
    names them in the cache key: they are only made when the model is trained.
    None when scikit-learn is missing and nothing is cached: the pipeline then
    goes from the templates straight to the clarifying stage.
    """
    path = (cache_dir / f"robust-{cache_key(registry, extra_key)}") if cache_dir else None

    def trained() -> Model | None:
        samples = training_sentences(registry, extra() if extra is not None else ())
        return train(samples) if samples else None

    return cached(path, "robust-*", Model.load, trained)


__all__ = ["Model", "Prediction", "model_for", "train", "training_sentences"]
