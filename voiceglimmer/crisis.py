"""Words that may mean someone is in danger, and what voiceglimmer says then.

REVIEW REQUIRED: the phrase list, the list of ordinary phrases that are not
counted, and the replies below must be read and approved by a person before
any change to them ships. They are the one place where voiceglimmer answers
someone who may be in crisis, so wording, numbers and coverage are a safety
matter, not a style choice. Keep them here, in one place, and keep
``tests/test_practice_crisis.py`` in step.

voiceglimmer is not a crisis service. When these words appear, it does not
offer a breathing exercise or a glimmer; it says, briefly and kindly, where
real help is: the local emergency number and crisis lines.

This is core, not a plugin: the dialog checks every utterance and every
answer to a question before any plugin or pending question sees it, so no
setting, plugin priority or plugin time limit can disable or outrank it. The
same check guards everything that would keep or read back words as a glimmer
(saving, ``voiceglimmer log``, import, recall, resourcing, savoring) and every
reply and announcement before it is said.

The trade-off, on purpose: a phrase anywhere in what was said wins over every
other intent, even inside "I noticed a glimmer: ...", so a glimmer that
happens to contain one (a film called "Suicide Squad", "5 kms" written without
a number before it) gets the crisis pointer instead of being saved. Showing
the pointer to someone who didn't need it costs a few seconds; missing someone
who did is not acceptable. Figures of speech that are common in glimmers and
do not name self-harm ("the sunset killed me", "a cake to die for", "I'm dying
to go back", "dead tired") are deliberately not on the list, and a few
ordinary phrases that contain a listed one are listed in :data:`NOT_CRISIS`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, TypeVar

from voiceglimmer.wording import unstretched

if TYPE_CHECKING:
    from voiceglimmer.events import Glimmer, Reply

#: Phrases, written in plain lower-case words with contractions, slang and
#: dialect spelled out ("do not", "i am", "want to", "going to", "myself"); the
#: person's "don't", "dont", "wanna", "gonna", "im", "dinnae", "masel" all
#: match, as do the recogniser's lowercase, unpunctuated forms. ``(a|b)`` is a
#: choice and ``[a]`` may be left out, as in the intent templates. Matched as
#: whole words anywhere in an utterance, with punctuation, emoticons and
#: hyphens ignored ("self-harm" matches "self harm", "I want to die :(" matches
#: "want to die").
PHRASES: tuple[str, ...] = (
    # wanting to die, or not to be
    "(want|wanted|wanting|wish|wishing|going) to die",
    "(wish|wishing) i (was|were|could be) dead",
    "(wish|wishing) i (was|were) not (alive|here|around) [anymore]",
    "(wish|wishing) i (had|was) never (been )born",
    "(want|wanted|wanting) to be dead",
    "rather be dead",
    "better off (dead|without me)",
    "better off if i [just] (died|was dead|were dead|was gone|were gone|was not here|was not "
    "around|was not alive)",
    "better if i (am|was|were) not (alive|living|here|around) [anymore]",
    "(not|no longer) (be )living anymore",
    "(do not|does not|not|never|no longer) (want|wanting) to (live|be alive|exist)",
    "(do not|never) (want|wanting) to wake up",
    "(do not|not|never|no longer) (want|wanting) to be (here|around) (anymore|any longer)",
    "(hope|wish) i (do not|never|will not) wake up",
    "(go to sleep|sleep) (forever|and never wake up|and not wake up)",
    "never wake up again",
    "(tired|sick) of (living|being alive|life|existing)",
    "done with (life|living)",
    "(give|giving|gave) up on (life|living)",
    "no reason to (live|go on|keep going|be alive)",
    "nothing [left] to live for",
    "not worth living",
    "life is not worth [it|living]",
    "(no|not see the|see no|cannot see the|what is the) point (in|of) (living|life|being alive|"
    "going on|carrying on)",
    "no point living",
    "cannot go on",
    "cannot (do|take) this (anymore|any longer)",
    "cannot take it (anymore|any longer)",
    "want (it all|everything) to end",
    "(do not|does not|never) want to be here",
    "(want to|wish i could|going to) (disappear|vanish) (forever|for good|and never come back)",
    "(want|wish) (it|everything|it all|the pain) to (stop|be over) (forever|for good|for ever)",
    "(cannot|can not|could not) (live|keep living|go on living) like this",
    "(cannot|can not) keep (going|living|doing this)",
    "no way out",
    "(everyone|everybody|people|they|my family|my kids) (would|will) be better off",
    "(nobody|no one|noone) would (miss me|care if i|notice if i)",
    "(will not|would not|may not|might not) be (around|here) (much longer|for long|tomorrow)",
    "this is my (final )goodbye",
    "(say|saying) goodbye (to everyone|forever|for good|to the world|to you all)",
    "(end|ending|ended) (things|everything)",
    "(want to|going to|thinking of|thinking about|thought about|planning to) end it",
    "(think|thinks|thinking|thoughts|thought) (about|of) (dying|my death|killing myself|"
    "ending my life|"
    "not being here|not being alive|suicide|ending it)",
    "(suicidal|dark|death) thoughts",
    "(hate|hating) being alive",
    "(why am i|why am i even|why should i stay|why should i be|why bother being|why bother) "
    "(alive|living|staying alive)",
    "(should not|do not deserve to|does not deserve to) (be alive|live|exist)",
    "(deserve|deserved) to die",
    "(stop|stopped|to stop) existing",
    "(do not|never) want to exist",
    "(wish|hope|pray) i (would|could|will) (die|not wake up|never wake up)",
    "(hope|wish|pray) i (die|do not wake up)",
    "let me die",
    "(want|wanna) die",
    "(do not|dont) want live",
    "finish my (own )life",
    "(think|thinking|thought) (about|of) (kill|killing) me",
    "(not|never) safe (with|from|around) myself",
    "(do not|cannot) trust myself",
    "(might|may|going to|scared i will|afraid i will|worried i will) (do something|hurt|harm) "
    "(to )(myself|stupid)",
    "(giving|give|gave) up on everything",
    "done with (everything|it all)",
    "want to dee",
    "suicidle",
    "sucidal",
    "suicidial",
    "suisidal",
    "self injury",
    "self injure",
    "(scratching|scratch|hitting|hit|punching|punch|punishing|punish) myself",
    "relapsed",
    # suicide, and the words people use instead of it
    "suicide",
    "suicidal",
    "sucide",
    "suicde",
    "suiside",
    "su1c1de",
    "sewer slide",
    "unalive",
    "unaliving",
    "un alive",
    "kms",
    "(kill|killing|killed) myself",
    "(end|ending) myself",
    "off myself",
    "(end|ending|ended|take|taking|took) my [own] life",
    "(end|ending) it all",
    "(end|ending) it (tonight|for good)",
    "(thinking|thought|think|thinks) (about|of) (ending|end) it",
    # plans and means
    "(hang|hanging) myself",
    "(shoot|shooting) myself",
    "(drown|drowning) myself",
    "(jump|jumping) (off|from) (a|the) (bridge|building|roof|cliff)",
    "(jump|jumping|step|stepping) in front of (a|the) (train|bus|car|lorry|truck)",
    "(slit|slitting|cut|cutting) my (wrist|wrists)",
    "(take|taking|took|swallow|swallowing) all (my|the|of my) (pills|tablets|meds|medication)",
    "(stockpile|stockpiling|saving up) (my )(pills|tablets|meds)",
    "overdose",
    "overdosed",
    "(write|wrote|writing) a (suicide|goodbye) note",
    "goodbye (note|notes)",
    "suicide notes",
    "(drive|driving|drove|crash|crashing|crashed) (the|my) car into (a|the) (wall|tree|river)",
    # self-harm
    "(hurt|hurting|harm|harming|cut|cutting|burn|burning|starve|starving) myself",
    "self harm",
    "self harming",
    "selfharm",
    "(cut|cutting) again",
    "urge to (cut|self harm)",
    "(cut|cutting) my (arms|thighs|legs|skin)",
    # in danger now
    "i am in danger",
    "not safe at home",
    "(afraid|scared|fear) for my life",
)

#: Ordinary phrases that contain a listed one but say nothing about harm; a
#: listed phrase found only inside one of these is not counted. "#" stands for
#: a number, in digits or words ("5 kms", "five kms").
NOT_CRISIS: tuple[str, ...] = (
    "# kms",
    "(cut|cutting|burn) myself (a|some|another)",
    "the end it all",
    "(day|time) off myself",
    "(take|taking|took) my life back",
    "(do not|never) want to wake up (early|at|so early|before|in time|for)",
    "(do not|does not|never) want to be here (at|for|with|on|in|today at)",
    "(end|ending|ended) (things|everything) (with|between)",
    "(want to|going to|thinking of|thinking about|thought about|planning to) end it (with|between)",
    "(hit|hitting|punch) myself (on|in|with|against)",
    "(everyone|everybody|people|they|my family|my kids) (would|will) be better off (with|if we|"
    "knowing|having|seeing)",
)

#: Everyday figures of speech that sound like harm and are not: the learned net
#: (``dialog/safety.py``) never overrules these on its own; a listed phrase still wins.
FIGURES_OF_SPEECH: tuple[str, ...] = (
    "(dying|die) to (go|see|try|get|know|hear|tell|meet)",
    "to die for",
    "(nearly|almost|could have|could've) died (laughing|of laughter|of embarrassment)",
    "cut the (bread|cake|grass|hedge|lawn|ribbon|onions|vegetables)",
    "(cut|cutting|burn|burning) myself (a|some|another)",
    "dye my hair",
    "(killed|killing|kill) it (at|in|on|today|this)",
    "(is|was|are|were) killing me",
    "the end it all",
    "# kms",
    "(day|time) off myself",
    "(take|taking|took) my life back",
    "dead (tired|on my feet|good|funny|nice)",
    "could murder a",
    "bored to death",
)

#: Said instead of anything else. Spoken aloud, so numbers are written the
#: way they are read and the web address is short.
REPLY_LINES: tuple[str, ...] = (
    "I'm really glad you told me. I'm sorry it's this hard.",
    "You deserve support from a person right now.",
    "If you might act on these thoughts, or you're in danger, please call your local "
    "emergency number.",
    "In the US, you can call or text 988. In the UK and Ireland, Samaritans are on 116 123.",
    "Anywhere else, findahelpline.com lists free, confidential lines near you.",
    "If you can, let someone you trust know how you're feeling.",
)

#: Said in place of an entry that is kept in the journal but never read back as
#: a glimmer (saved by an older version, or imported): it held words of harm.
WITHHELD_LINES: tuple[str, ...] = (
    "I've left out {count} that sounded like a very hard moment rather than a glimmer.",
    "If you're feeling that way now, please reach out: your local emergency number, "
    "988 in the US, or Samaritans on 116 123 in the UK and Ireland.",
)

#: Said by ``voiceglimmer log`` when words of harm were not kept.
NOT_SAVED = "These words were not saved as a glimmer."
#: Said by import for entries it did not keep ({count}: "one entry", "3 entries").
NOT_IMPORTED = (
    "{count} held words that sounded like a very hard moment, so I didn't keep them as "
    "glimmers. If you're feeling that way now, please reach out:"
)

#: Spelled-out forms, so "dont wanna", "im gonna" and "do not want to" read alike.
_SPELLED_OUT = {
    "don't": "do not",
    "dont": "do not",
    "doesn't": "does not",
    "doesnt": "does not",
    "can't": "cannot",
    "cant": "cannot",
    "can not": "cannot",
    "couldn't": "could not",
    "couldnt": "could not",
    "i'm": "i am",
    "im": "i am",
    "i'd": "i would",
    "id": "i would",
    "wanna": "want to",
    "wana": "want to",
    "wan2": "want to",
    "want2": "want to",
    "want too": "want to",
    "gonna": "going to",
    "gona": "going to",
    "wasn't": "was not",
    "wasnt": "was not",
    "wont": "will not",
    "won't": "will not",
    "there's": "there is",
    "theres": "there is",
    "my self": "myself",
    "masel": "myself",
    "masell": "myself",
    "meself": "myself",
    "mysel": "myself",
    "tae": "to",
    "ma": "my",
    "dinnae": "do not",
    "dinna": "do not",
    "cannae": "cannot",
    "anymair": "anymore",
    "nae mair": "anymore",
    "cuttin": "cutting",
    "hurtin": "hurting",
    "harmin": "harming",
    "killin": "killing",
    "endin": "ending",
    "takin": "taking",
    "thinkin": "thinking",
    "wantin": "wanting",
    "livin": "living",
    "didn't": "did not",
    "didnt": "did not",
    "isn't": "is not",
    "isnt": "is not",
    "i've": "i have",
    "ive": "i have",
    "no more": "anymore",
    "tmrw": "tomorrow",
    "nae point": "no point",
    "tmr": "tomorrow",
    "mysef": "myself",
    "myslef": "myself",
    "kil": "kill",
    "2 die": "to die",
    "any more": "anymore",
}
_SPELLED_OUT_RE = re.compile(
    r"\b(" + "|".join(re.escape(c) for c in sorted(_SPELLED_OUT, key=len, reverse=True)) + r")\b"
)
_NUMBER = (
    r"(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"fifteen|twenty|thirty|forty|fifty|hundred|a few|several|many)"
)

Item = TypeVar("Item")


def normalise(text: str) -> str:
    """Lower case, plain apostrophes, contractions and slang spelled out, punctuation as spaces."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = " ".join(text.split())
    text = _SPELLED_OUT_RE.sub(lambda m: _SPELLED_OUT[m.group(1)], text)
    text = re.sub(r"[^\w]+", " ", text.replace("'", "")).replace("_", " ")
    text = " ".join(text.split())
    # a second pass: "can not" and "my self" may only appear once punctuation is gone
    return " ".join(_SPELLED_OUT_RE.sub(lambda m: _SPELLED_OUT[m.group(1)], text).split())


def readings(text: str, phrases: tuple[str, ...] = ()) -> list[str]:
    """``text`` normalised, and, when letters in it are stretched ("killll myself",
    "anymoreeee"), in the words of ``phrases`` (by default this module's lists): a
    stretched word must not slip past a list."""
    said = normalise(text)
    plain = unstretched(said, _words_of(phrases or (*PHRASES, *NOT_CRISIS)).__contains__)
    return [said] if plain == said else [said, plain]


@cache
def _words_of(phrases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z]+", " ".join(phrases)))


def phrase_pattern(phrase: str) -> str:
    """A phrase of :data:`PHRASES` as a regular expression over normalised words."""
    pattern = phrase.replace("#", "\0")
    pattern = re.sub(r"\(([^)]+) \)", r"[\1 ]", pattern)  # "(been )born": optional word
    pattern = pattern.replace("(", "(?:")
    pattern = re.sub(r"\[([^\]]+) \]", r"(?:(?:\1) )?", pattern)
    pattern = re.sub(r"\[([^\]]+)\] ", r"(?:(?:\1) )?", pattern)  # "[just] died"
    pattern = re.sub(r" \[([^\]]+)\]", r"(?: (?:\1))?", pattern)  # "worth [living]"
    return pattern.replace("\0", _NUMBER)


@cache
def _phrase_re() -> re.Pattern[str]:
    """Compiled on first use, so importing this module costs nothing at start-up."""
    return re.compile(r"\b(" + "|".join(phrase_pattern(p) for p in PHRASES) + r")\b")


@cache
def _not_crisis_re() -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(phrase_pattern(p) for p in NOT_CRISIS) + r")\b")


def spoken_forms(phrase: str) -> list[str]:
    """Every plain wording a phrase of :data:`PHRASES` stands for (for tests and review)."""
    forms = [""]
    for part in re.findall(r"\[[^\]]+\]|\([^)]+\)|[^\s()\[\]]+", phrase):
        if part.startswith("["):
            choices = [*part[1:-1].split("|"), ""]
        elif part.startswith("("):
            choices = part[1:-1].split("|")
            if part.endswith(" )"):
                choices = [part[1:-2], ""]
        else:
            choices = [part]
        forms = [f"{f} {c}".strip() for f in forms for c in choices]
    return [" ".join(f.split()) for f in forms]


@cache
def _figures_re() -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(phrase_pattern(p) for p in FIGURES_OF_SPEECH) + r")\b")


def figure_of_speech(text: str) -> bool:
    """Whether ``text`` holds one of :data:`FIGURES_OF_SPEECH` ("a cake to die for")."""
    return _figures_re().search(normalise(text)) is not None


def crisis_phrase(text: str) -> str | None:
    """The first crisis phrase in ``text`` (normalised), or None."""
    for said in readings(text):
        phrase = _phrase_in(said)
        if phrase is not None:
            return phrase
    return None


def _phrase_in(said: str) -> str | None:
    found = _phrase_re().search(said)
    if found is None:
        return None
    # Ordinary phrases don't overlap one another, so the one that could hold a
    # match is the last to start at or before it: one bisect per match, not a scan.
    ordinary = [m.span() for m in _not_crisis_re().finditer(said)]
    starts = [a for a, _ in ordinary]
    while found is not None:
        start, end = found.span()
        at = bisect.bisect_right(starts, start) - 1
        if at < 0 or ordinary[at][1] < end:
            return found.group(1)
        found = _phrase_re().search(said, end)
    return None


def is_crisis(text: str) -> bool:
    """Whether ``text`` contains any of :data:`PHRASES` (outside :data:`NOT_CRISIS`)."""
    return crisis_phrase(text) is not None


def needs_care(glimmer: Glimmer) -> bool:
    """Whether a stored entry holds words of harm, and so must never be read back,
    offered or savored as a glimmer."""
    return is_crisis(glimmer.text)


def readable(glimmers: Iterable[Item]) -> list[Item]:
    """The entries that may be read back as glimmers, in order."""
    return [g for g in glimmers if not is_crisis(getattr(g, "text", ""))]


def crisis_reply() -> Reply:
    """The reply, with no question attached: nothing is asked of someone in crisis."""
    from voiceglimmer.events import Reply

    return Reply.say(*REPLY_LINES, data={"crisis": True})


def withheld(count: int) -> list[str]:
    """What is said for entries left out of a read-back (see :data:`WITHHELD_LINES`)."""
    if count <= 0:
        return []
    entries = "one entry" if count == 1 else f"{count} entries"
    return [line.format(count=entries) for line in WITHHELD_LINES]


class NotAGlimmer(ValueError):
    """Words of harm offered as a glimmer: not saved, and answered with the pointer."""

    def __init__(self, text: str) -> None:
        super().__init__(NOT_SAVED)
        self.text = text


def check_glimmer(text: str) -> None:
    """Raise :class:`NotAGlimmer` when ``text`` must not be kept as a glimmer."""
    if is_crisis(text):
        raise NotAGlimmer(text)
