"""Small talk: help, hello, thanks, goodbye, "is this working?", and what it can't do.

A companion that answers "thank you" with "I'm not sure what you meant"
feels broken. These replies are one warm line, varied so the same words
don't come back every time, and "help" is a short spoken menu that fits the
moment: someone with an empty journal hears how to begin, someone with a
practice under way hears how to come back to it. Nothing here reads a file
path or punctuation aloud.
"""

from __future__ import annotations

from voiceglimmer import Intent, Reply, Turn, hookimpl

HELP_START = (
    "You can tell me a glimmer in your own words, like: the warm sun on my face. "
    "I'll keep it, and offer to savor it with you."
)
HELP_MORE = (
    "You can tell me a glimmer in your own words. You can ask what you noticed yesterday, "
    "or for one about tea. In a hard moment, say: I need a glimmer. "
    "And in the evening, say: let's reflect."
)
GREETINGS = (
    "Hello. Tell me a glimmer whenever one comes, or ask for one you've kept.",
    "Hi. I'm here. Has anything small and good happened today?",
    "Hello. It's good to hear from you. What's one small thing that felt okay today?",
)
THANKS = (
    "You're welcome.",
    "Any time.",
    "I'm glad to be here for it.",
)
GOODBYES = (
    "Goodbye for now. I'll keep your glimmers safe.",
    "Take care. Your glimmers are here whenever you want them.",
    "Good night. Rest well.",
)
WORKING = (
    "Yes, I'm listening. Tell me a glimmer, or ask for one you've saved.",
    "I'm here and working. What would you like to do?",
)
CANNOT = (
    "That's something I can't do; I only look after your glimmers.",
    "I can't help with that one. I'm just for glimmers.",
)


def _pick(turn: Turn, lines: tuple[str, ...]) -> str:
    return lines[turn.rng.randrange(len(lines))]


def help_menu(turn: Turn) -> Reply:
    return Reply.say(HELP_START if turn.journal.count() == 0 else HELP_MORE)


def greeting(turn: Turn) -> Reply:
    return Reply.say(_pick(turn, GREETINGS))


def thanks(turn: Turn) -> Reply:
    return Reply.say(_pick(turn, THANKS))


def goodbye(turn: Turn) -> Reply:
    return Reply.say(_pick(turn, GOODBYES))


def working(turn: Turn) -> Reply:
    return Reply.say(_pick(turn, WORKING))


def out_of_scope(turn: Turn) -> Reply:
    return Reply.say(
        _pick(turn, CANNOT),
        "You could tell me a glimmer, or ask what you noticed yesterday.",
    )


@hookimpl
def register_intents(register):
    handlers = {
        "help": help_menu,
        "greeting": greeting,
        "thanks": thanks,
        "goodbye": goodbye,
        "working": working,
        "out_of_scope": out_of_scope,
    }
    for intent in Intent.from_data(__name__, handlers):
        register(intent)
