"""Where the moment starts and ends in what a person said: a learned boundary.

People wrap a glimmer in words of their own, and no list of lead-ins and
closings keeps up with them: "So my counsellor has me trying this, and I
think I had one this afternoon, which was when ...", "..., and honestly my
therapist would be proud of me". This model reads each word in its context
(its neighbours, how far it is from the start and the end, whether a request
to keep something or a colon came before it) and says how likely it is to be
part of the moment; the moment is the run of words that is most likely as a
whole (one contiguous span, so a word in the middle is never dropped).

The gap scores see a few words either side, which is too little to tell
"..., which honestly I didn't expect" (a remark about the moment) from
"..., and I nearly cried" (part of it). So the few best starts and ends are
weighed again with a second classifier that reads each left-out piece whole
and says whether it sounds more like a lead-in or closing than like part of
a moment.

Both learn from pieces written for it (``boundary_data/``: moments, lead-ins,
closings and the openings of answers, in many people's voices, written
independently of every evaluation set), put together at random, typed and in
the form a speech recogniser writes. Training (logistic regression,
scikit-learn) is done once and cached as plain data like the robust stage.
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from voiceglimmer.dialog import robust
from voiceglimmer.dialog.model_cache import cached
from voiceglimmer.dialog.slots import TITLES

#: Bump when the features or the training change, so old caches are retrained.
VERSION = 13
DATA = Path(__file__).with_name("boundary_data")
#: Sentences put together for training.
SAMPLES = 12000
#: A feature is kept when it moves the start or the end score by at least this much.
PRUNE = 0.1
#: The starts and the ends (the gap scores' best) weighed again with the pieces whole.
CANDIDATES = 4
#: What leaving out a closing costs (log-odds): a moment's own last words lost ("...,
#: like just for a sec", "and said thanks, son") are worse than a remark kept.
CLOSING_DOUBT = 0.7
#: A left-out piece of fewer words counts for less: "it" or "right back" say too
#: little to be sure they are not the moment's last words.
WHOLE_PIECE_WORDS = 3

#: A word: anything but spaces and these marks (so a vowel sign or accent written as a
#: combining mark stays in its word), joined by an inner apostrophe, hyphen, point or
#: colon ("Tom's", "6:15", "e-mail"); or one mark on its own. A title's point is its
#: own ("Mrs. B", "Dr. Rao"), not a sentence's end.
_MARKS = "!?.,;:()\\[\\]{}\"\u201c\u201d\u2018\u2019'\u2014\u2013\u2026/-"
_TOKEN = re.compile(
    rf"\b(?i:{'|'.join(TITLES)})\.(?=\s+\w)|[^\s{_MARKS}]+(?:['\u2019\-.:/][^\s{_MARKS}]+)*"
    rf"|[{_MARKS}]|[^\w\s]"
)
_COLONS = frozenset({":", "\u2014", "\u2013", "-"})
_CUE = re.compile(
    r"^(?:gl[ai]m+[eo]u?rs?|glimmers?|glamours?|save|saved|record|log|note|keep|remember|"
    r"write|jot|add|put|journal|book|entry|moment|one|wan)$"
)


@dataclass(frozen=True)
class Span:
    """The moment's place in the text (character offsets) and how sure the edges are."""

    start: int
    end: int
    confidence: float


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) for each word and each punctuation mark."""
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _wordy(token: str) -> bool:
    return any(c.isalnum() for c in token)


def _bucket(n: int, top: int) -> str:
    return str(n) if n < top else f"{top}+"


def features(words: Sequence[str]) -> list[list[str]]:
    """The features of each gap between tokens (gap g is before token g; the last gap
    is after the last token): the tokens either side, how far the gap is from each
    end, and whether a request to keep something or a colon comes before or after."""
    low = [w.lower().replace("\u2019", "'") for w in words]
    n = len(low)
    pad = ["<s>", "<s>", "<s>", *low, "</s>", "</s>", "</s>"]
    cue_before = [-1] * (n + 1)
    colon_before = [False] * (n + 1)
    for g in range(1, n + 1):
        word = low[g - 1]
        cue_before[g] = g - 1 if _CUE.match(word) else cue_before[g - 1]
        colon_before[g] = colon_before[g - 1] or word in _COLONS
    cue_after = [-1] * (n + 1)
    for g in range(n - 1, -1, -1):
        cue_after[g] = g if _CUE.match(low[g]) else cue_after[g + 1]
    ends = frozenset(".!?")
    since_end = [0] * (n + 1)
    for g in range(1, n + 1):
        since_end[g] = 0 if low[g - 1] in ends else since_end[g - 1] + 1
    until_end = [0] * (n + 1)
    for g in range(n - 1, -1, -1):
        until_end[g] = 0 if low[g] in ends else until_end[g + 1] + 1
    out: list[list[str]] = []
    for g in range(n + 1):
        j = g + 3  # pad[j] is token g; pad[j - 1] the token before the gap
        l1, l2, l3 = pad[j - 1], pad[j - 2], pad[j - 3]
        r1, r2, r3 = pad[j], pad[j + 1], pad[j + 2]
        before = g - cue_before[g] if cue_before[g] >= 0 else 0
        after = cue_after[g] - g + 1 if cue_after[g] >= 0 else 0
        f = [
            "b",
            f"l1={l1}",
            f"l2={l2}",
            f"l3={l3}",
            f"r1={r1}",
            f"r2={r2}",
            f"r3={r3}",
            f"l2l1={l2}|{l1}",
            f"l1r1={l1}|{r1}",
            f"r1r2={r1}|{r2}",
            f"l3l2l1={l3}|{l2}|{l1}",
            f"r1r2r3={r1}|{r2}|{r3}",
            f"from_start={_bucket(g, 8)}",
            f"to_end={_bucket(n - g, 8)}",
            f"cue_before={_bucket(before, 8) if cue_before[g] >= 0 else 'none'}",
            f"cue_after={_bucket(after, 8) if cue_after[g] >= 0 else 'none'}",
            f"colon_before={colon_before[g]}",
            f"since_end={_bucket(since_end[g], 6)}",
            f"until_end={_bucket(until_end[g], 6)}",
            f"l1suf={l1[-3:]}",
            f"r1suf={r1[-3:]}",
        ]
        if g < n and words[g][:1].isupper():
            f.append("r1_cap")
        out.append(f)
    return out


_PIECE_WORD = re.compile(r"[^\W_]+")


class Model:
    """Weights for the moment's start and its end, over one vocabulary of features, and
    the classifier of left-out pieces (lead-in, moment or closing)."""

    def __init__(
        self,
        vocabulary: dict[str, int],
        starts: list[float],
        ends: list[float],
        pieces: robust.Model | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.starts = starts
        self.ends = ends
        self.pieces = pieces

    def scores(self, words: Sequence[str]) -> tuple[list[float], list[float]]:
        """Each gap's log-odds of being where the moment starts, and where it ends."""
        vocabulary = self.vocabulary
        starts: list[float] = []
        ends: list[float] = []
        for gap in features(words):
            columns = [vocabulary[f] for f in gap if f in vocabulary]
            starts.append(sum(self.starts[c] for c in columns))
            ends.append(sum(self.ends[c] for c in columns))
        return starts, ends

    def span(self, text: str) -> Span | None:
        """The most likely moment in ``text``, holding at least one word; None for text
        without words. The best start with the best end after it, then the few best
        of each weighed with what is left out before and after them."""
        found = tokens(text)
        if not any(_wordy(w) for w, _, _ in found):
            return None
        starts, ends = self.scores([w for w, _, _ in found])
        can_end = _can_end(found)
        best: tuple[float, int, int] | None = None
        top_start = -1
        for e in range(1, len(found) + 1):
            s = e - 1  # a start at gap s, the moment's first token is found[s]
            if _wordy(found[s][0]) and (top_start < 0 or starts[s] > starts[top_start]):
                top_start = s
            if top_start < 0 or not can_end[e]:
                continue
            score = starts[top_start] + ends[e]
            if best is None or score > best[0]:
                best = (score, top_start, e)
        if best is None:
            return None
        _, first, end = best
        if self.pieces is not None:
            first, end = self._weighed(text, found, starts, ends, can_end, first, end)
        confidence = min(_sigmoid(starts[first]), _sigmoid(ends[end]))
        return Span(found[first][1], found[end - 1][2], round(confidence, 3))

    def _weighed(
        self,
        text: str,
        found: list[tuple[str, int, int]],
        starts: list[float],
        ends: list[float],
        can_end: list[bool],
        first: int,
        end: int,
    ) -> tuple[int, int]:
        wordy = range(len(found))
        firsts = sorted((g for g in wordy if _wordy(found[g][0])), key=lambda g: -starts[g])
        lasts = sorted((g + 1 for g in wordy if can_end[g + 1]), key=lambda g: -ends[g])
        before = {g: self._left_out(text[: found[g][1]], "lead")
                  for g in {first, *firsts[:CANDIDATES]}}  # fmt: skip
        after = {g: self._left_out(text[found[g - 1][2] :], "closing")
                 for g in {end, *lasts[:CANDIDATES]}}  # fmt: skip
        _, first, end = max(
            (starts[s] + ends[e] + before[s] + after[e], s, e)
            for s in before
            for e in after
            if s < e
        )
        return first, end

    def _left_out(self, piece: str, kind: str) -> float:
        """How much more ``piece`` sounds like a ``kind`` than part of a moment (log-odds;
        0 for nothing left out)."""
        words = len(_PIECE_WORD.findall(piece))
        if not words or self.pieces is None:
            return 0.0
        p = self.pieces.probabilities(piece)
        odds = math.log(max(p.get(kind, 0.0), 1e-6)) - math.log(max(p.get("moment", 0.0), 1e-6))
        doubt = CLOSING_DOUBT if kind == "closing" else 0.0
        return min(1.0, words / WHOLE_PIECE_WORDS) * odds - doubt

    def save(self, path: Path) -> None:
        """Write the model as plain data (never pickle), atomically: JSON at ``path``,
        the pieces' classifier beside it."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.pieces is not None:
            self.pieces.save(_pieces_path(path))
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".boundary-", suffix=".json")
        ordered = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"vocabulary": ordered, "starts": self.starts, "ends": self.ends,
                       "pieces": self.pieces is not None}, f)  # fmt: skip
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Model | None:
        """The model saved at ``path``, or None if it is missing or damaged."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            vocabulary = dict(zip(map(str, raw["vocabulary"]), itertools.count(), strict=False))
            starts = [float(w) for w in raw["starts"]]
            ends = [float(w) for w in raw["ends"]]
            with_pieces = bool(raw["pieces"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if not len(ends) == len(starts) == len(vocabulary):
            return None
        pieces = robust.Model.load(_pieces_path(path)) if with_pieces else None
        if with_pieces and pieces is None:
            return None
        return cls(vocabulary, starts, ends, pieces)


#: Words no moment ends on while the person went on: "... gaining weight really well and
#: I", "... even though my birthday", "... the baby laughed at the".
DANGLING = frozenset({
    "and", "but", "or", "so", "because", "cos", "the", "a", "an", "my", "your", "his", "their",
    "our", "i", "they", "we", "he", "she", "of", "with", "which", "who", "while", "if",
    "than", "as", "though", "although", "even", "whose",
    # a linking verb or a preposition whose complement came next: "... and it was | nice,
    # keep that", "... it smelled | so good honestly", "... I walked to | the shop"
    "was", "were", "is", "are", "am", "be", "been", "being", "felt", "seemed", "smelled",
    "tasted", "sounded", "to", "from", "at", "into", "onto", "very", "it's", "i'm",
    "that's", "there's", "he's", "she's", "we're", "they're", "you're",
})  # fmt: skip
#: Helping verbs: the moment does not end on one when "not" comes next ("... and
#: they did | not ache so much").
_HELPERS = frozenset({
    "did", "do", "does", "was", "were", "is", "are", "could", "would", "can", "will",
    "had", "has", "have", "should",
})  # fmt: skip


def _can_end(found: list[tuple[str, int, int]]) -> list[bool]:
    """For each gap, whether the moment can end there: after a word, and not on a word
    that needs more (unless the person stopped there). One pass from the right."""
    can_end = [False] * (len(found) + 1)
    went_on = False
    following = ""
    for end in range(len(found), 0, -1):
        word = found[end - 1][0].lower().replace("\u2019", "'")
        if _wordy(word):
            can_end[end] = not went_on or (
                word not in DANGLING and not (following == "not" and word in _HELPERS)
            )
            went_on = True
            following = word
    return can_end


def _pieces_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}-pieces")


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, x))))


# -- training data ------------------------------------------------------------------

_ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
]  # fmt: skip
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
             "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}  # fmt: skip


def _number(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    return " ".join(_ONES[int(d)] for d in str(n))


def spoken(word: str) -> list[str]:
    """How a recogniser writes a typed token: lowercase, numbers as words, no marks."""
    low = word.lower().replace("\u2019", "'").strip("'")
    if not low or not any(c.isalnum() for c in low):
        return []
    if m := re.fullmatch(r"(\d{1,2})(?::(\d\d))?(am|pm|a\.m|p\.m)?", low):
        said = [_number(int(m.group(1)))]
        if m.group(2) and int(m.group(2)):
            said += (["oh"] if m.group(2).startswith("0") else []) + [_number(int(m.group(2)))]
        if m.group(3):
            said += [m.group(3)[0], "m"]
        return " ".join(said).split()
    if m := re.fullmatch(r"(\d+)(st|nd|rd|th)", low):
        *head, last = _number(int(m.group(1))).split()
        if last.endswith("y"):
            return [*head, last[:-1] + "ieth"]
        return [*head, _ORDINALS.get(last, last + "th")]
    if low.isdigit():
        return _number(int(low)).split()
    return [re.sub(r"[^\w']+", " ", low).strip()] if re.search(r"\w", low) else []


def heard(text: str) -> str:
    """``text`` as a recogniser writes it: each token :func:`spoken`."""
    return " ".join(part for word, _, _ in tokens(text) for part in spoken(word))


def _lines(name: str) -> list[str]:
    path = DATA / name
    if not path.is_file():
        return []
    return [line.rstrip("\n") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]  # fmt: skip


def _pieces() -> dict[str, list[str]]:
    return {name: _lines(f"{name}.txt")
            for name in ("moments", "lead_ins", "closings", "answer_lead_ins")}  # fmt: skip


def _join(left: str, right: str) -> str:
    if not left:
        return right
    if not right:
        return left
    if left[-1].isspace() or right[0] in ",.;:!?)" or right[0].isspace():
        return left + right
    return f"{left} {right}"


def compose(rng: random.Random, pieces: dict[str, list[str]]) -> tuple[str, int, int]:
    """One utterance put together from the pieces (lead-in, moment, closing, each
    maybe left out), and where the moment is in it (character offsets)."""
    moment = rng.choice(pieces["moments"]).strip()
    if rng.random() < 0.15:
        # told in fragments: "Sunset from the tower. Orange all the way across."
        moment = re.sub(r",\s+(\w)", lambda m: ". " + m.group(1).upper(), moment)
    roll = rng.random()
    if roll < 0.45 and pieces["lead_ins"]:
        lead = rng.choice(pieces["lead_ins"])
    elif roll < 0.65 and pieces["answer_lead_ins"]:
        lead = rng.choice(pieces["answer_lead_ins"])
    else:
        lead = ""  # a plain statement of the moment
    if lead and pieces["answer_lead_ins"] and rng.random() < 0.15:
        # wrappings stack too: "Morning! One for the book: well now, it was ..."
        lead = _join(lead.rstrip(), rng.choice(pieces["answer_lead_ins"]))
    closing = ""
    if pieces["closings"] and rng.random() < 0.5:
        closing = rng.choice(pieces["closings"])
        if rng.random() < 0.25:  # chatter rarely stops at one remark
            closing = _join(closing.rstrip(), rng.choice(pieces["closings"]))
    if closing and closing.lstrip()[:1] in {".", ",", "!", "?", ";"}:
        moment = moment.rstrip(".!?,; ")
    elif not closing and rng.random() < 0.4:
        moment = moment.rstrip(".!?,; ") + rng.choice((".", ".", "!", "..."))
    if closing and rng.random() < 0.3:
        closing = closing.rstrip(".!?,; ")
    if lead and not lead[-1].isspace():
        lead += " "
    text = _join(_join(lead, moment), closing)
    return text, len(lead), len(lead) + len(moment)


def labelled(rng: random.Random, pieces: dict[str, list[str]]) -> tuple[list[str], int, int]:
    """One utterance put together from the pieces, typed or as a recogniser writes it:
    its tokens, and the gaps where the moment starts and ends."""
    text, begin, end = compose(rng, pieces)
    found = tokens(text)
    words = [w for w, _, _ in found]
    # the moment's tokens: those starting inside it
    labels = [1 if begin <= s < end else 0 for _, s, _ in found]
    if rng.random() < 0.5:
        said: list[str] = []
        said_labels: list[int] = []
        for word, label in zip(words, labels, strict=True):
            for part in spoken(word):
                said.append(part)
                said_labels.append(label)
        words, labels = said, said_labels
    inside = [i for i, label in enumerate(labels) if label and _wordy(words[i])]
    if not inside:
        return words, 0, len(words)
    return words, inside[0], inside[-1] + 1


def told(count: int, seed: int = 9) -> list[str]:
    """Moments as people tell them (the pieces put together), half typed and half as a
    recogniser writes them: what the classifiers learn a told glimmer sounds like."""
    pieces = _pieces()
    if not pieces["moments"]:
        return []
    rng = random.Random(seed)
    said = []
    for _ in range(count):
        text, _, _ = compose(rng, pieces)
        if rng.random() < 0.5:
            text = heard(text)
        said.append(text)
    return said


def training_rows(seed: int = 5, count: int = SAMPLES) -> Iterator[tuple[list[str], int, int]]:
    """The sentences put together for training (deterministic for a seed)."""
    pieces = _pieces()
    if not pieces["moments"]:
        return
    rng = random.Random(seed)
    for _ in range(count):
        yield labelled(rng, pieces)


def piece_sentences(seed: int = 3) -> list[tuple[str, str]]:
    """(piece, kind) pairs for the classifier of left-out pieces, typed and as a
    recogniser writes them: lead-ins, closings (one or two), and moments whole, cut
    in two and each half (a moment's second half is not a closing)."""
    pieces = _pieces()
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []

    def add(piece: str, kind: str) -> None:
        piece = piece.strip(" ,.;:!?-\u2014\u2013")
        if _PIECE_WORD.search(piece):
            pairs.extend([(piece, kind), (heard(piece), kind)])

    for lead in (*pieces["lead_ins"], *pieces["answer_lead_ins"]):
        add(lead, "lead")
    closings = pieces["closings"]
    for closing in closings:
        add(closing, "closing")
    for _ in range(len(closings) // 2):
        add(_join(rng.choice(closings).rstrip(), rng.choice(closings)), "closing")
    for moment in pieces["moments"]:
        add(moment, "moment")
        words = moment.split()
        if len(words) > 3:
            cut = rng.randrange(1, len(words) - 1)
            add(" ".join(words[cut:]), "moment")
            add(" ".join(words[:cut]), "moment")
            # and its last and first few words: "right back", "don't broke", "Evening"
            add(" ".join(words[-rng.randint(1, 3) :]), "moment")
            add(" ".join(words[: rng.randint(1, 3)]), "moment")
    return pairs


def train(
    rows: Sequence[tuple[list[str], int, int]], pieces: Sequence[tuple[str, str]] = ()
) -> Model:
    """Fit the start and the end classifiers (logistic regression, scikit-learn), and the
    classifier of left-out pieces on ``pieces`` (none without them)."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    featured = [(features(words), start, end) for words, start, end in rows]
    counts: Counter[str] = Counter()
    for gaps, _, _ in featured:
        for gap in gaps:
            counts.update(gap)
    vocabulary = {f: n for n, f in enumerate(sorted(f for f, c in counts.items() if c >= 2))}
    indptr, indices, is_start, is_end = [0], [], [], []
    for gaps, start, end in featured:
        for g, gap in enumerate(gaps):
            indices += [vocabulary[f] for f in gap if f in vocabulary]
            indptr.append(len(indices))
            is_start.append(int(g == start))
            is_end.append(int(g == end))
    matrix = csr_matrix(
        ([1.0] * len(indices), indices, indptr), shape=(len(is_start), len(vocabulary))
    )
    weights = []
    with threadpool_limits(limits=1):
        for targets in (is_start, is_end):
            classifier = LogisticRegression(C=0.5, max_iter=2000, fit_intercept=False)
            classifier.fit(matrix, targets)
            weights.append([round(float(w), 4) for w in classifier.coef_[0]])
    # features that barely move either score are dropped: a fifth of the size to load
    starts, ends = weights
    kept = [f for f, n in vocabulary.items() if max(abs(starts[n]), abs(ends[n])) >= PRUNE]
    return Model(
        {f: n for n, f in enumerate(kept)},
        [starts[vocabulary[f]] for f in kept],
        [ends[vocabulary[f]] for f in kept],
        robust.train(pieces) if pieces else None,
    )


def cache_key() -> str:
    digest = hashlib.sha256(f"boundary-v{VERSION}-{SAMPLES}-{PRUNE}-{robust.VERSION}".encode())
    for name, lines in sorted(_pieces().items()):
        digest.update(name.encode())
        digest.update("\n".join(lines).encode())
    return digest.hexdigest()[:16]


def model_for(cache_dir: Path | None) -> Model | None:
    """The boundary model: from the cache, or trained now and cached.

    None when scikit-learn is missing and nothing is cached, or the data is gone:
    the rules in ``slots`` then find the moment alone.
    """
    path = cache_dir / f"boundary-{cache_key()}.json" if cache_dir else None

    def trained() -> Model | None:
        rows = list(training_rows())
        return train(rows, piece_sentences()) if rows else None

    return cached(path, "boundary-*", Model.load, trained)


__all__ = ["Model", "Span", "model_for", "piece_sentences", "told", "train", "training_rows"]
