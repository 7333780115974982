"""Answers to a yes-or-no question, in the forms people really give them.

"Oh yes, that would be lovely", "perhaps a short one, dear", "not just now,
thank you", "naw, that'll dae", "um, no, wait, actually yes": a person
answers with politeness, hedges, dialect, a choice inside the answer, and
sometimes a correction. The reading here:

- cue words and phrases for yes and for no, a "not"/"don't" before a yes-cue
  turning it into a no ("dinnae delete it", "don't bother");
- after a correction ("wait", "actually", "I mean", "no wait"), only what
  follows counts; otherwise the first cue decides ("no, please keep it");
- a choice of length ("a quick one", "the long one") is a yes with a choice;
- nothing recognisable is neither: the dialog asks again, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from voiceglimmer.wording import unstretched

#: Phrases that say yes, lower case, apostrophes dropped. Longer ones are tried first.
YES: tuple[str, ...] = (
    "yes", "yeah", "yeh", "yea", "yep", "yup", "ya", "yas", "aye", "ay", "sure", "surely",
    "ok", "okay", "okey", "okie", "k", "kk", "alright", "all right", "awright", "right then",
    "of course", "definitely", "absolutely", "certainly", "please", "please do", "go on",
    "go ahead", "go for it", "do it", "lets do it", "lets", "why not", "sounds good",
    "sounds lovely", "that would be lovely", "that would be nice", "id like that",
    "i would like that", "i would", "i will", "i do", "lovely", "great", "perfect", "fine",
    "confirmed", "confirm", "affirmative", "correct", "i think so", "i am sure", "im sure",
    "mm hmm", "mhm", "uh huh", "yes please", "more", "continue", "keep going", "carry on",
    "read them", "read the rest", "the rest", "rest of them", "rest of em", "all of them",
    "read them all", "them all", "delete it", "delete", "bin it", "remove it", "scrap it",
    "get rid of it", "lose it", "dont mind", "i dont mind", "if you dont mind",
    "dont mind if i do", "dont see why not", "ig", "i guess", "guess so", "fair enough",
    "go on then", "yes go", "yass", "bet", "deffo", "defo", "totally", "indeed", "gladly",
    "go long", "go short", "keep it short", "keep it brief", "make it short", "make it quick",
)  # fmt: skip
#: Phrases that say no.
NO: tuple[str, ...] = (
    "no", "nope", "nah", "naw", "na", "nae", "nay", "negative", "not now", "not right now",
    "not just now", "not today", "not tonight", "not at the moment", "not really",
    "maybe later", "later", "perhaps later", "another time", "some other time", "no thanks",
    "no thank you", "no need", "skip", "skip it", "pass", "dont", "do not", "dinnae",
    "leave it", "leave it there", "keep it", "please keep it", "dont delete", "that will do",
    "thatll do", "thatll dae", "that is enough", "thats enough", "enough", "thats plenty",
    "plenty", "that is sufficient", "sufficient", "im good", "i am good", "im fine",
    "im ok", "all good", "im alright", "yer awright", "youre alright", "not bothered",
    "rather not", "id rather not", "i would rather not", "not for me", "stop", "no more",
    "thats all", "that is all", "not yet", "nothing", "none", "not this evening",
    "not this morning", "not this afternoon", "not this time", "not at the minute", "no time",
)  # fmt: skip
#: More ways to put it off, read as a no. Kept apart from NO, whose phrases the safety
#: net also learns as ordinary speech: adding these there moved a held-out distress
#: sentence under the net's line (``benchmarks/safety.py``), and a reading of answers
#: needs no retraining of the net.
NOT_NOW: tuple[str, ...] = (
    "not at this moment", "not at present", "not at this time", "not for now",
    "not for the moment",
)  # fmt: skip
#: Words that take back what came before ("no, wait, actually yes").
CORRECTIONS: tuple[str, ...] = (
    "wait", "actually", "i mean", "no wait", "hang on", "on second thought", "scratch that",
    "or rather",
)  # fmt: skip
#: A choice of length inside a yes: the word said -> the script length it means.
LENGTHS: dict[str, str] = {
    "quick": "quick", "short": "quick", "shorter": "quick", "brief": "quick",
    "small": "quick", "wee": "quick", "little": "quick", "fast": "quick", "mini": "quick",
    "long": "standard", "longer": "standard", "lang": "standard", "full": "standard",
    "proper": "standard", "standard": "standard", "normal": "standard", "regular": "standard",
    "deep": "standard", "slow": "standard", "whole": "standard",
}  # fmt: skip
_NEGATORS = ("not", "dont", "do not", "dinnae", "never", "no need to", "please dont")
#: Cues that say yes only in a short reply: "sure ig", but not "I guess the warm bus".
_WEAK = frozenset({"ig", "i guess", "guess so", "fine", "great", "perfect", "lovely", "more",
                   "the rest", "delete", "i do", "i will", "i would", "continue"})  # fmt: skip
#: A cue counts when it starts within this many words (or follows a correction): a
#: sentence that only mentions "the long one" later on is not an answer.
_WITHIN = 4
#: A length word is a choice when it ends the reply or comes before one of these.
_LENGTH_NEXT = frozenset({"one", "ones", "wan", "version", "savor", "savoring", "please", "then"})


@dataclass(frozen=True)
class Answer:
    """What an answer to a yes-or-no question said."""

    #: True for yes, False for no, None when it said neither.
    yes: bool | None
    #: "quick" or "standard" when a length was chosen ("a short one"), else None.
    length: str | None = None


def _words(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("'", "")
    # "yesss", "noooo thanks": a stretched word read as a cue's own
    text = unstretched(text, _cue_words().__contains__)
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


@cache
def _cue_words() -> frozenset[str]:
    return frozenset(" ".join((*YES, *NO, *NOT_NOW, *CORRECTIONS, *LENGTHS)).split())


@cache
def _cue_re() -> re.Pattern[str]:
    cues = sorted({*YES, *NO, *NOT_NOW, *CORRECTIONS, *LENGTHS}, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(c) for c in cues) + r")\b")


def is_bare_answer(text: str) -> bool:
    """Whether ``text`` is only a yes or a no ("okay", "no thanks", "aye")."""
    return _words(text) in _BARE


_BARE = frozenset({*YES, *NO, *NOT_NOW} - set(CORRECTIONS))


def read_answer(text: str) -> Answer:
    """Read a yes, a no, or neither (with any length chosen) from ``text``."""
    words = _words(text)
    total = len(words.split())
    found = [(m.start(), m.group(1)) for m in _cue_re().finditer(words)]
    # the last correction with an answer after it: "yes, actually" takes nothing back
    last_correction = max(
        (i for i, (_, cue) in enumerate(found)
         if cue in CORRECTIONS and any(c not in CORRECTIONS for _, c in found[i + 1 :])),
        default=-1,
    )  # fmt: skip
    counted = found[last_correction + 1 :]
    after = found[last_correction][0] if last_correction >= 0 else 0

    def position(at: int) -> int:
        return len(words[after:at].split())

    def chosen(at: int, cue: str) -> bool:
        rest = words[at + len(cue) :].split()
        return not rest or rest[0] in _LENGTH_NEXT

    length = next(
        (LENGTHS[c] for at, c in reversed(counted) if c in LENGTHS and chosen(at, c)), None
    )
    for at, cue in counted:
        if cue in CORRECTIONS or cue in LENGTHS:
            continue
        if position(at) >= _WITHIN and total > 8:
            break
        if cue in _WEAK and total > 4:
            continue
        negated = any(words[:at].endswith(f"{n} ") for n in _NEGATORS)
        if (cue in NO or cue in NOT_NOW) and cue not in YES:
            return Answer(False)
        if cue in YES:
            inside = next((LENGTHS[w] for w in cue.split() if w in LENGTHS), None)
            return Answer(not negated, None if negated else (inside or length))
    if length is not None:
        return Answer(True, length)
    return Answer(None)
