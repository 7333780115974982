"""Distress: words that say this is a hard moment, though not a crisis.

"I can't calm down", "rough shift", "heart racing", "I feel unsafe", "I'm
freaking out", "everything is too much": someone who says this is offered a
short grounding, whatever else is going on, and the words are never kept as
a glimmer or taken as the answer to a question. Checked on every utterance
right after the crisis check (crisis words always win: see
``voiceglimmer/crisis.py``), with the same phrase syntax and normalising, so
"cant breathe", "can't breathe" and "cannot breathe" all match.

Kept apart from glimmers on purpose: the phrases name a state the person is
in now ("I'm so anxious", "can't settle"), not one that has passed ("my hands
stopped shaking", "I felt calm after"), and the false alarms we checked are
listed in the tests.
"""

from __future__ import annotations

import re
from functools import cache

from voiceglimmer.crisis import phrase_pattern, readings

_NOW = "[so|really|very|quite|rather|a bit|a little|kind of|kinda|super|all|just|too]"
#: Phrases of distress, in crisis.py's syntax: ``(a|b)`` a choice, ``[a]`` optional.
PHRASES: tuple[str, ...] = (
    f"(i am|i feel|feeling|i am feeling|i have gone|i get|i keep getting|i am getting) {_NOW} "
    "(stressed|stressed out|anxious|overwhelmed|panicky|panicking|on edge|scared|frightened|"
    "terrified|shaky|jittery|wound up|wound tight|wired|tense|unsafe|not safe|numb|"
    "triggered|spiralling|spiraling|falling apart|a mess|in a state|in a bit of a state|"
    "drowning|burnt out|burned out|at the end of my rope|losing it|not okay|not ok)",
    "(cannot|can not|could not) (calm down|settle|breathe|catch my breath|stop shaking|"
    "stop crying|cope|think straight|switch off)",
    "(cannot|can not|could not) (seem to|get myself to|make myself) (calm down|settle|breathe|"
    "stop shaking|stop crying|stop trembling|stop panicking|cope|think straight|switch off)",
    "(hard|difficult) to breathe",
    "(cannot|can not) breathe (right|properly|good|well)",
    "(heart|hearts|heart is) [so] (racing|pounding|going so fast|going crazy|fluttering|beating "
    "so fast)",
    "my heart is going",
    "panic attack",
    "(panicking|panicky|freaking out|freak out|spiralling|spiraling)",
    "(rough|bad|awful|horrible|terrible|tough|hard|brutal|shite|shit|crap) (shift|day|night|"
    "week|morning|evening)",
    "(lost|losing) a (patient|pt)",
    "lost one",
    "(everything is|it is all|this is|it is) [all|just] too much",
    "too much today",
    "everything is on top of me",
    "(giving|give|gave) up",
    "i feel (unsafe|like giving up|like i am drowning|like i cannot cope|trapped|hopeless)",
    "(do not|not) feel safe",
    "(help me|i need to|i want to|i cannot) (calm down|settle|ground myself)",
    "my (heid|head) is (mince|spinning|a mess)",
    "(i am|feeling) not (okay|ok|alright|good) [right now|today|at all]",
    "(struggling|not coping|breaking down|melting down|meltdown)",
    "(i am|feel) (stressed|anxious|overwhelmed)",
    "(anxiety|panic) (attack|attacks)",
    "(losing|lost) my (mind|head|rag)",
    "(going|gone) (crazy|mad|to pieces)",
    "(at|reached) (my limit|breaking point|the end of my rope|the end of my tether)",
    "on the verge of (tears|a breakdown|crying|losing it)",
    "(chest|chest is|my chest is) [so|really] (tight|heavy|pounding)",
    "(tight|heavy) chest",
    "(cannot|can not) (stop|stop my hands) (shaking|crying|trembling|panicking)",
    "(shaking|trembling) (all over|so much|and cannot stop)",
    "(want|need) to scream",
    "(head|mind|brain) (is|keeps) (spinning|racing|going a mile a minute)",
    "stressed out",
    "(everything|it all|all of it) (is|feels) (too much|unbearable|crushing|overwhelming)",
)


@cache
def _distress_re() -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(phrase_pattern(p) for p in PHRASES) + r")\b")


def distress_phrase(text: str) -> str | None:
    """The first phrase of distress in ``text`` (normalised), or None."""
    # a stretched word read as the list's own ("tooo muchhh" as "too much")
    for reading in readings(text, PHRASES):
        found = _distress_re().search(reading)
        if found:
            return found.group(1)
    return None


def is_distress(text: str) -> bool:
    return distress_phrase(text) is not None
