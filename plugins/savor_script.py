"""The words of a guided savoring script, kept as data.

A script walks through six steps (arrive, breathe, sense, amplify, absorb,
close). Each step has several hand-written variants so two sessions in a row
never sound the same, and every line is a :class:`Segment` spoken slowly and
followed by real silence. The silences are fitted so the whole script lasts
about 40 to 55 seconds ("quick") or 105 to 135 seconds ("standard"), whatever
the length of the glimmer being named back.

Template lines use placeholders, filled in a single pass so the person's own
words are never read as a template:

``{glimmer}``  the glimmer, verbatim (only in the arrive step);
``{again}``    the glimmer again if it is short, otherwise "this moment";
``{senses}``   "its smell", "its look and sound", or "every detail";
``{detail}``   one sentence about the main sense.

A line starting with ``+`` is only said in the standard script; the quick
script is the other lines alone, so both read as plain prose.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from voiceglimmer import Reply, Segment

STEPS = ("arrive", "breathe", "sense", "amplify", "absorb", "close")
Length = Literal["quick", "standard"]
SENSES = ("sight", "sound", "smell", "touch", "taste")

#: Target and allowed range of the whole script, in seconds.
DURATIONS: dict[str, tuple[float, float, float]] = {
    "quick": (40.0, 50.0, 55.0),
    "standard": (105.0, 120.0, 135.0),
}

#: A glimmer up to this many words is named again in later steps; a longer
#: one becomes "this moment" so the script does not turn into a recital.
REPEAT_WORDS = 6

_FULL = "+"

# --- The words -------------------------------------------------------------

_ARRIVE: tuple[tuple[str, ...], ...] = (
    ("+Settle in, wherever you are.", "Let's stay with {glimmer} a while."),
    ("+Let's slow down for a couple of minutes.", "Take a moment with {glimmer}."),
    ("+Get a little more comfortable, and let everything else wait.", "Think back to {glimmer}."),
    ("+Let your eyes close, or rest them somewhere soft.", "Here it is again: {glimmer}."),
)

# Each variant: a lead-in (standard only, said before the first breath) and
# the breaths as (in, out) cues. The quick script takes the first and the
# last breath; the standard script takes all of them (three or four).
_BREATHE: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Let's take a few slow breaths together.",
        (
            ("Breathe in.", "And slowly out."),
            ("Breathe in again.", "And out, a little longer than before."),
            ("Breathe in.", "And let it all out, slowly."),
            ("In again.", "And out."),
        ),
    ),
    (
        "Let your breathing slow down.",
        (
            ("Gently in.", "Out, unhurried."),
            ("In through your nose.", "And out through your mouth, slower."),
            ("Once more, in.", "And out."),
        ),
    ),
    (
        "Breathe with me for a moment.",
        (
            ("Softly in.", "Out, slow and long."),
            ("Breathe in, filling up a little.", "Then empty out, with no hurry."),
            ("In once more.", "And out, even slower."),
            ("Again, in.", "Out."),
        ),
    ),
    (
        "Let's begin with the breath.",
        (
            ("Slowly in.", "Out, slower still."),
            ("Let your belly rise as you breathe in.", "And fall as you breathe out."),
            ("Last one, in.", "Out."),
        ),
    ),
)

_SENSE: tuple[tuple[str, ...], ...] = (
    (
        "Notice {senses}, and where your body feels it.",
        "+{detail} It might be warmth in your chest, or ease around your eyes.",
    ),
    (
        "Remember {senses}. Where does your body hold it?",
        "+{detail} Check your chest, your shoulders, your belly.",
    ),
    (
        "Take in {senses}. Maybe your chest feels it.",
        "+{detail} Or maybe your shoulders drop, or your belly softens.",
    ),
    (
        "Bring back {senses}, and notice where it lands.",
        "+{detail} Some feel it in the chest, some in the face.",
    ),
)

_SENSE_NOUNS = {
    "sight": "look",
    "sound": "sound",
    "smell": "smell",
    "touch": "touch",
    "taste": "taste",
}
_SENSE_GENERAL = "every detail"

_SENSE_DETAILS = {
    "sight": "Notice the colours, the light, the shapes.",
    "sound": "Let it play again in your mind.",
    "smell": "Breathe it in, as if it were here.",
    "touch": "Notice the texture, the temperature, the weight.",
    "taste": "Let the taste linger for a moment.",
    None: "What did you see, or hear, or feel?",
}

_AMPLIFY: tuple[tuple[str, ...], ...] = (
    (
        "Let it grow. Soften your shoulders.",
        "+Let your jaw go soft too, and stay with {again} a little longer.",
    ),
    (
        "Let it spread. Unclench your jaw.",
        "+Let it take up more room: your chest, your arms, your face.",
    ),
    (
        "Stay with it. Soften your face.",
        "+Let your shoulders drop. If it wants to grow, let it.",
    ),
    (
        "Let it linger. Loosen your hands.",
        "+Let your belly soften too. Keep {again} close for a few breaths.",
    ),
)

_ABSORB: tuple[tuple[str, ...], ...] = (
    ("Soak it in. It's yours.", "+Let {again} settle into you, the way warmth soaks into skin."),
    ("Let it settle. Keep it.", "+Nothing needs doing with it. It can just be here."),
    ("This is yours to keep.", "+You found it, and it stays with you."),
    ("Let it sink in slowly.", "+This moment is part of your day now, and it's yours."),
)

_CLOSE: tuple[tuple[str, ...], ...] = (
    ("+Let your breathing find its own pace again.", "Come back gently. Return here any time."),
    (
        "+Move your fingers a little, and open your eyes if they were closed.",
        "Ease back now. It'll be here again.",
    ),
    (
        "+Notice the sounds around you, and the ground beneath you.",
        "Let the room return. Revisit it anytime.",
    ),
    ("+Take one ordinary breath.", "Gently, back to your day. Return anytime."),
)

_LINES: dict[str, tuple[tuple[str, ...], ...]] = {
    "arrive": _ARRIVE,
    "sense": _SENSE,
    "amplify": _AMPLIFY,
    "absorb": _ABSORB,
    "close": _CLOSE,
}

#: How many variants each step has.
VARIANT_COUNTS: dict[str, int] = {
    step: len(_BREATHE) if step == "breathe" else len(_LINES[step]) for step in STEPS
}

# --- Pauses ----------------------------------------------------------------

# (shortest, usual, longest) silence in seconds after each kind of segment.
# "in"/"out" follow a breath cue, "line" a sentence inside a step, "end" the
# last sentence of a step. Every kind keeps out > in at all three points.
_PAUSES: dict[str, dict[str, tuple[float, float, float]]] = {
    "quick": {
        "in": (3.0, 3.5, 4.5),
        "out": (4.0, 5.5, 7.0),
        "line": (2.0, 2.5, 4.0),
        "end": (2.0, 3.0, 6.0),
    },
    "standard": {
        "in": (3.5, 4.0, 5.0),
        "out": (5.0, 6.0, 8.0),
        "line": (2.0, 3.0, 5.0),
        "end": (2.5, 4.0, 7.0),
    },
}

# --- Senses ----------------------------------------------------------------


def word_set(text: str) -> frozenset[str]:
    """The space-separated words of ``text`` as a set: how a lexicon of (strong, weak)
    words per label, for :func:`keyword_evidence`, is written (themes writes its own)."""
    return frozenset(text.split())


# Words that name a sense outright count 2; things that usually come with it
# count 1. A glimmer's senses are ranked by their total score.
_SENSE_WORDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "sight": (
        word_set(
            "see saw seen seeing look looking watch sight view colour color sunset sunrise "
            "rainbow sparkle glow glowing shine shining bright"
        ),
        word_set(
            "light sunlight sky star moon window photo picture flower leaf leaves tree sea "
            "ocean snow smile face candle steam garden mountain"
        ),
    ),
    "sound": (
        word_set(
            "hear heard hearing listen sound song birdsong music melody laugh laughter "
            "laughing sing singing voice purr purring hum humming whisper"
        ),
        word_set(
            "bird radio playlist wave rain wind bell chime crackle crackling guitar piano "
            "call chat chatter concert podcast"
        ),
    ),
    "smell": (
        word_set("smell smelling scent aroma fragrance fragrant perfume whiff sniff"),
        word_set(
            "coffee flower rose lavender bread baking cinnamon soap jasmine lilac pine "
            "petrichor candle grass"
        ),
    ),
    "touch": (
        word_set(
            "touch touching feel feeling felt warm warmth soft hug hugging cuddle embrace "
            "skin blanket"
        ),
        word_set(
            "sunlight breeze bath shower sand fur pet cat dog hand hands cozy cosy sweater "
            "jumper pillow sheets cool water grass"
        ),
    ),
    "taste": (
        word_set("taste tasting tasted flavour flavor sip sipping bite eat eating delicious"),
        word_set(
            "tea coffee chocolate cake fruit strawberry honey soup meal breakfast lunch "
            "dinner juice lemon mouth"
        ),
    ),
}

_WORD_RE = re.compile(r"[a-z]+")


def word_forms(token: str) -> set[str]:
    """The token and a few plain suffix-stripped forms: colours -> colour.

    Public because "the same word" should mean one thing across the practice:
    :func:`keyword_evidence` matches senses with it, and reflect matches a
    person's answer to their glimmers with it."""
    forms = {token}
    for suffix in ("s", "es", "ed", "d", "ing"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            stem = token[: -len(suffix)]
            forms.add(stem)
            if suffix in ("ing", "ed") and len(stem) > 3 and stem[-1] == stem[-2]:
                forms.add(stem[:-1])  # hugging -> hug
    return forms


def keyword_evidence(
    text: str, lexicon: Mapping[str, tuple[frozenset[str], frozenset[str]]]
) -> list[tuple[str, int, list[str]]]:
    """Score ``text`` against a lexicon of (strong, weak) word sets per label.

    Returns (label, score, the words of ``text`` that matched) for every label
    with a match, best first (ties: mentioned first, then lexicon order). The
    words are kept so a guess can always be explained back to the person.
    """
    tokens = _WORD_RE.findall(text.lower())
    scores: dict[str, int] = {}
    first: dict[str, int] = {}
    words: dict[str, list[str]] = {}
    for position, token in enumerate(tokens):
        forms = word_forms(token)
        for label, (strong, weak) in lexicon.items():
            weight = 2 if forms & strong else 1 if forms & weak else 0
            if weight:
                scores[label] = scores.get(label, 0) + weight
                first.setdefault(label, position)
                if token not in words.setdefault(label, []):
                    words[label].append(token)
    order = list(lexicon)
    ranked = sorted(scores, key=lambda s: (-scores[s], first[s], order.index(s)))
    return [(label, scores[label], words[label]) for label in ranked]


def explain_senses(text: str) -> list[tuple[str, list[str]]]:
    """Each sense :func:`senses_for` finds, with the words that suggested it."""
    return [(sense, words) for sense, _, words in keyword_evidence(text, _SENSE_WORDS)]


def senses_for(text: str) -> list[str]:
    """Guess which senses a glimmer lives in, most likely first.

    Each sense has a short list of words that name it (weight 2: "smell",
    "hear") and things that usually come with it (weight 1: "coffee",
    "radio"). Senses are ranked by total weight, ties by which was mentioned
    first. Returns [] when no word matches.
    """
    return [sense for sense, _ in explain_senses(text)]


def _senses_phrase(senses: Sequence[str]) -> str:
    nouns = [_SENSE_NOUNS[s] for s in senses]
    if not nouns:
        return _SENSE_GENERAL
    return "its " + " and ".join(nouns)


# --- Building --------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a script: its name, the variant used and its segments.

    In the breathe step the segments are the breaths, in then out, in pairs.
    """

    name: str
    variant: int
    segments: tuple[Segment, ...]


_PLACEHOLDER_RE = re.compile(r"\{(glimmer|again|senses|detail)\}")


def _fill(template: str, values: Mapping[str, str]) -> str:
    # One pass: whatever a value contains (braces, "{glimmer}") is left as is.
    return _PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], template)


def _choose(
    step: str,
    rng: random.Random,
    avoid: Mapping[str, int] | None,
    forced: Mapping[str, int] | None,
) -> int:
    count = VARIANT_COUNTS[step]
    if forced is not None and step in forced:
        index = forced[step]
        if not 0 <= index < count:
            raise ValueError(f"{step} has {count} variants, not {index}")
        return index
    last = avoid.get(step) if avoid else None
    return rng.choice([i for i in range(count) if i != last])


def _step_lines(step: str, variant: int, length: Length) -> list[tuple[str, str]]:
    """(text template, pause kind) for each segment of one step."""
    if step == "breathe":
        lead, breaths = _BREATHE[variant]
        if length == "quick":
            breaths = (breaths[0], breaths[-1])
        lines: list[tuple[str, str]] = []
        for number, (cue_in, cue_out) in enumerate(breaths):
            if number == 0 and length == "standard":
                cue_in = f"{lead} {cue_in}"
            lines += [(cue_in, "in"), (cue_out, "out")]
        return lines
    texts = [
        t.removeprefix(_FULL)
        for t in _LINES[step][variant]
        if length == "standard" or not t.startswith(_FULL)
    ]
    return [(t, "end" if i == len(texts) - 1 else "line") for i, t in enumerate(texts)]


def _fit_pauses(texts: Sequence[str], kinds: Sequence[str], length: Length) -> list[float]:
    """Silences that bring the whole script as close to the target as allowed.

    Every pause moves together between its shortest and usual value (when
    the words run long) or its usual and longest value (when they run short).
    """
    profile = _PAUSES[length]
    speech = Reply(segments=[Segment(t, 0.0, "slow") for t in texts]).duration_estimate
    low, usual, high = (sum(profile[k][i] for k in kinds) for i in range(3))
    need = DURATIONS[length][1] - speech
    if need <= usual:
        start, end, span = 0, 1, (need - low) / (usual - low)
    else:
        start, end, span = 1, 2, (need - usual) / (high - usual)
    span = min(1.0, max(0.0, span))
    return [
        round(profile[k][start] + span * (profile[k][end] - profile[k][start]), 1) for k in kinds
    ]


def build_steps(
    glimmer: str,
    length: Length,
    rng: random.Random,
    avoid: Mapping[str, int] | None = None,
    senses: Sequence[str] | None = None,
    *,
    variants: Mapping[str, int] | None = None,
) -> list[Step]:
    """The script step by step, in the order of :data:`STEPS`.

    ``avoid`` maps a step to the variant used last time, which is not used
    again. ``variants`` forces a variant for some steps (previews, tests).
    ``senses`` overrides :func:`senses_for`; an empty sequence asks for a
    general invitation. The quick script invites the main sense, the
    standard one up to two.
    """
    if length not in DURATIONS:
        raise ValueError(f"length must be 'quick' or 'standard', not {length!r}")
    named = " ".join(glimmer.split()).rstrip(" .!?;:,") or "this moment"
    chosen = [s for s in (senses_for(named) if senses is None else senses) if s in SENSES]
    chosen = list(dict.fromkeys(chosen))[: 1 if length == "quick" else 2]
    values = {
        "glimmer": named,
        "again": named if len(named.split()) <= REPEAT_WORDS else "this moment",
        "senses": _senses_phrase(chosen),
        "detail": _SENSE_DETAILS[chosen[0] if chosen else None],
    }

    picked = [(step, _choose(step, rng, avoid, variants)) for step in STEPS]
    parts = [
        (step, index, [(_fill(t, values), kind) for t, kind in _step_lines(step, index, length)])
        for step, index in picked
    ]
    flat = [line for _, _, lines in parts for line in lines]
    pauses = iter(_fit_pauses([t for t, _ in flat], [k for _, k in flat], length))
    return [
        Step(step, index, tuple(Segment(t, next(pauses), "slow") for t, _ in lines))
        for step, index, lines in parts
    ]


def build_script(
    glimmer: str,
    length: Length,
    rng: random.Random,
    avoid: Mapping[str, int] | None = None,
    senses: Sequence[str] | None = None,
) -> tuple[list[Segment], dict[str, int]]:
    """Return the paced segments and the variant index chosen for each step.

    ``glimmer`` is already in the second person ("the warm sunlight on your
    face"); it is named back word for word (runs of spaces and a trailing
    full stop or comma are tidied so the sentence around it reads well).
    Feed the returned indices back as ``avoid`` next time so consecutive
    sessions differ in every step.
    """
    steps = build_steps(glimmer, length, rng, avoid, senses)
    return [seg for step in steps for seg in step.segments], {s.name: s.variant for s in steps}
