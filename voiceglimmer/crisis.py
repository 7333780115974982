"""Words that may mean someone is in danger, and what voiceglimmer says then.

REVIEW REQUIRED: the phrase list and the reply below must be read and approved
by a person before any change to them ships. They are the one place where
voiceglimmer answers someone who may be in crisis, so wording, numbers and
coverage are a safety matter, not a style choice. Keep them here, in one
place, and keep ``tests/test_practice_crisis.py`` in step.

voiceglimmer is not a crisis service. When these words appear, it does not
offer a breathing exercise or a glimmer; it says, briefly and kindly, where
real help is: the local emergency number and crisis lines.

The trade-off, on purpose: a phrase anywhere in what was said wins over every
other intent, even inside "I noticed a glimmer: ...", so a glimmer that
happens to contain one ("at the end it all made sense", a film called
"Suicide Squad") gets the crisis pointer instead of being saved. Showing the
pointer to someone who didn't need it costs a few seconds; missing someone who
did is not acceptable. Figures of speech that are common in glimmers and do
not name self-harm ("the sunset killed me", "a cake to die for", "I'm dying
to go back", "dead tired") are deliberately not on the list.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from voiceglimmer import hookimpl
from voiceglimmer.events import Reply
from voiceglimmer.intent import Intent

if TYPE_CHECKING:
    from voiceglimmer.handle import Turn

#: Phrases, written in plain lower-case words with contractions spelled out
#: ("do not", "i am"); the person's "don't", "dont" and "do not" all match.
#: Matched as whole words anywhere in an utterance, with punctuation and
#: hyphens ignored ("self-harm" matches "self harm").
PHRASES: tuple[str, ...] = (
    # wanting to die
    "want to die",
    "wanna die",
    "wish i was dead",
    "wish i were dead",
    "wish i was not alive",
    "wish i wasn't alive",
    "wish i wasnt alive",
    "better off dead",
    "better off without me",
    "want to be dead",
    "do not want to be alive",
    "do not want to live",
    "do not want to be here anymore",
    "do not want to be here any more",
    "do not want to wake up",
    "no reason to live",
    "nothing to live for",
    "not worth living",
    "can not go on",
    "cannot go on",
    # suicide
    "suicide",
    "suicidal",
    "kill myself",
    "killing myself",
    "end my life",
    "ending my life",
    "end it all",
    "take my own life",
    "take my life",
    "taking my own life",
    # self-harm
    "hurt myself",
    "hurting myself",
    "harm myself",
    "harming myself",
    "self harm",
    "selfharm",
    "cut myself",
    "cutting myself",
    "overdose",
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

_CONTRACTED = {
    "don't": "do not",
    "dont": "do not",
    "can't": "cannot",
    "cant": "cannot",
    "i'm": "i am",
    "im": "i am",
    "wanna": "want to",
    "wasn't": "was not",
    "wasnt": "was not",
    "wont": "will not",
    "won't": "will not",
}
_CONTRACTED_RE = re.compile(
    r"\b(" + "|".join(re.escape(c) for c in sorted(_CONTRACTED, key=len, reverse=True)) + r")\b"
)


def normalise(text: str) -> str:
    """Lower case, plain apostrophes, contractions spelled out, punctuation as spaces."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = _CONTRACTED_RE.sub(lambda m: _CONTRACTED[m.group(1)], text)
    text = re.sub(r"[^\w]+", " ", text.replace("'", ""))
    return " ".join(text.split())


_PHRASE_RE = re.compile(
    r"\b(" + "|".join(re.escape(normalise(p)) for p in PHRASES) + r")\b",
)


def crisis_phrase(text: str) -> str | None:
    """The first crisis phrase in ``text`` (normalised), or None."""
    found = _PHRASE_RE.search(normalise(text))
    return found.group(1) if found else None


def is_crisis(text: str) -> bool:
    """Whether ``text`` contains any of :data:`PHRASES`."""
    return crisis_phrase(text) is not None


def crisis_reply() -> Reply:
    """The reply, with no question attached: nothing is asked of someone in crisis."""
    return Reply.say(*REPLY_LINES, data={"crisis": True})


def reply_if_crisis(turn: Turn, text: str) -> Reply | None:
    """For a plugin's own free-text answers (which skip intent matching): the
    crisis reply when ``text`` needs it, else None.

    Handed to the crisis intent when it is loaded, so the turn is reported as
    the crisis plugin's; answered here when it isn't.
    """
    if not is_crisis(text):
        return None
    match = turn.assistant.registry.match(text)
    if match is not None and match.intent.handler is handle:
        return turn.route(text)
    return crisis_reply()


#: Above every other intent: the built-ins use 0 to 10.
PRIORITY = 1000


def _templates() -> list[str]:
    # hassil sees the person's own text, so the templates use the phrases in
    # their long form (the intent module adds the contracted forms) with free
    # text allowed on either side.
    spoken = "|".join(PHRASES)
    return [f"[{{before}}] ({spoken}) [{{after}}]"]


def handle(turn: object) -> Reply:
    del turn
    return crisis_reply()


@hookimpl
def register_intents(register):
    # No examples: the assistant must never suggest these words as something to say.
    register(Intent(name="crisis", templates=_templates(), handler=handle, priority=PRIORITY))
