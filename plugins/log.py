"""The log plugin: catching a glimmer in the moment, in whatever words come.

A glimmer is written to the journal before the confirmation is produced, so
what the person hears back ("Saved ...") is already true on disk.
"""

from __future__ import annotations

import argparse
import re
from functools import cache

from voiceglimmer import crisis, hookimpl
from voiceglimmer.app import App
from voiceglimmer.dialog.assistant import Turn
from voiceglimmer.dialog.understanding import Intent
from voiceglimmer.errors import UserError
from voiceglimmer.events import FollowUp, Reply
from voiceglimmer.store.backup import forget_glimmer
from voiceglimmer.store.journal import JournalError, local_time
from voiceglimmer.wording import for_terminal, plural, quote, reflect

NOTICED = "(noticed|had|found|spotted|caught|saw|felt|got|have|experienced)"
A = "[a|another|one more|my|one]"

LOG_TEMPLATES = [
    f"[i|i've] [just] [have] {NOTICED} {A} glimmer [today|just now|earlier] [it was|and it was] "
    "{glimmer}",
    "[here is|here's] [a|another|my] glimmer [for today] [it is|it's] {glimmer}",
    "glimmer {glimmer}",
    "new glimmer {glimmer}",
    f"(log|save|record|add|note|write down|remember|journal) {A} glimmer [that|about|of] "
    "{glimmer}",
    "(log|save|record|note) {glimmer} as a glimmer",
    "(today's|todays|this morning's|tonight's) glimmer (was|is) {glimmer}",
    "my glimmer [for today|today|just now] (was|is) {glimmer}",
    "[the] glimmer [today|just now] (was|is) {glimmer}",
    "a glimmer (today|just now|this morning|this afternoon|this evening) [was] {glimmer}",
    "(that|this) was a glimmer {glimmer}",
]
ASK_TEMPLATES = [
    f"[i|i've] [just] [have] {NOTICED} {A} glimmer [today|just now|earlier]",
    f"(log|save|record|add|note) {A} glimmer",
    f"(i want|i'd like|i'm going) to (log|save|record|add|note|share) {A} glimmer",
    "[a] new glimmer",
    "glimmer",
    "can i (tell you|share) [a|another] glimmer",
]
UNDO_TEMPLATES = [
    "undo [that|it|the last one|the last glimmer]",
    "(delete|remove|erase|scratch|cancel) [the|my] (last|latest|previous) glimmer",
    "(delete|remove|erase|scratch) (that|it) [glimmer]",
    "take (that|it) back",
    "that was a mistake",
]
FORGET_TEMPLATES = [
    "(delete|remove|forget|erase) [the|my|that] glimmer (about|with|mentioning|that mentions|"
    "that mentioned|that says) {topic}",
    "(can|could|would) you (delete|remove|forget|erase) [the|my|that] glimmer "
    "(about|with|mentioning) {topic}",
]
# Words that say nothing about which glimmer is meant (as in the recall plugin).
_TOPIC_STOPWORDS = frozenset(
    {"a", "an", "the", "my", "me", "i", "of", "to", "about", "with", "in", "on", "at", "for",
     "and", "or", "any", "some", "glimmer", "glimmers", "that", "this", "those", "these",
     "was", "were", "is", "one"}
)  # fmt: skip


@cache
def _answer_prefix() -> re.Pattern[str]:
    """The lead-in to the answer to "What was it?": "it was the sunlight" -> "the sunlight".

    Compiled on first use, not at import: every start of voiceglimmer imports
    this plugin, and few sessions ever ask the question.
    """
    return re.compile(
        r"^(?:(?:well|so|oh|um+|uh+)[\s,]+)*(?:it was|it's|it is|that was|the glimmer was|"
        r"my glimmer was|i noticed|i saw|i had|i felt)\b[\s,:-]*",
        re.IGNORECASE,
    )


def _confirm(turn: Turn, text: str) -> Reply:
    """Save first, then say so, then offer to savor if some plugin can."""
    glimmer = turn.save_glimmer(text)
    words = quote(reflect(glimmer.text))
    reply = Reply.say(f"Saved: {words}.", glimmer_id=glimmer.id)
    if turn.can_route("savor it"):
        reply.add("Would you like to savor it for a moment?")
        reply.follow_up = FollowUp(on_answer=_maybe_savor, name="savor")
    return reply


def _maybe_savor(turn: Turn) -> Reply:
    if turn.slots["answer"] == "yes":
        return turn.route("savor it")
    return Reply.say("Okay. It's kept safe for whenever you want it.")


def log_glimmer(turn: Turn) -> Reply:
    return _confirm(turn, turn.slots["glimmer"])


def ask_for_glimmer(turn: Turn) -> Reply:
    return Reply.say(
        "Lovely. What was it?", follow_up=FollowUp(on_answer=_take_answer, kind="text")
    )


def _take_answer(turn: Turn) -> Reply:
    text = _answer_prefix().sub("", turn.slots["answer"]).strip()
    if not text:
        return ask_for_glimmer(turn)
    return _confirm(turn, text)


def undo_last(turn: Turn) -> Reply:
    glimmer = turn.last_glimmer
    if glimmer is None:
        return Reply.say("There's nothing to undo; your journal is empty.")
    turn.use(glimmer)

    def delete(answer: Turn) -> Reply:
        if answer.slots["answer"] != "yes":
            return Reply.say("Okay, I kept it.")
        answer.journal.delete(glimmer.id)
        answer.assistant.last_glimmer_id = None
        return Reply.say(f"Deleted {quote(reflect(glimmer.text))}.", glimmer_id=glimmer.id)

    return Reply.say(
        f"Delete your glimmer {quote(reflect(glimmer.text))}?",
        glimmer_id=glimmer.id,
        follow_up=FollowUp(on_answer=delete, name="delete"),
    )


def forget_by_words(turn: Turn) -> Reply:
    """Find the newest glimmer with these words and forget it, after a yes."""
    topic = turn.slots["topic"].rstrip("?.! ")
    words = [w for w in topic.lower().split() if w not in _TOPIC_STOPWORDS]
    found = turn.journal.search(words) if words else []
    if not found:
        return Reply.say(f"I didn't find a glimmer about {reflect(topic)}, so nothing was changed.")
    glimmer, others = found[0], len(found) - 1
    words_said = quote(reflect(glimmer.text))
    lead = (
        [f"The newest of {len(found)} glimmers about {reflect(topic)} is {words_said}; "
         f"{plural(others, 'other matches', 'others match')} too and would stay."]
        if others else []
    )  # fmt: skip

    def forget(answer: Turn) -> Reply:
        if answer.slots["answer"] != "yes":
            return Reply.say("Okay, I kept it.", glimmer_id=glimmer.id)
        if forget_glimmer(answer.journal, glimmer.id) is None:
            return Reply.say("It was already gone.")
        if answer.assistant.last_glimmer_id == glimmer.id:
            answer.assistant.last_glimmer_id = None
        return Reply.say("It's gone.", data={"forgotten": glimmer.id})

    return Reply.say(
        *lead,
        f"Forget your glimmer {words_said}? It can't be undone.",
        glimmer_id=glimmer.id,
        data={"matches": len(found)},
        follow_up=FollowUp(on_answer=forget, name="forget"),
    )


@hookimpl
def register_intents(register):
    register(
        Intent(
            name="log_glimmer",
            templates=LOG_TEMPLATES,
            handler=log_glimmer,
            suggest=True,
            examples=[
                "I noticed a glimmer: the warm sunlight on my face",
                "Glimmer: the first sip of tea",
                "Today's glimmer was a friend's kind message",
            ],
            priority=10,
        )
    )
    register(
        Intent(
            name="ask_for_glimmer",
            templates=ASK_TEMPLATES,
            handler=ask_for_glimmer,
            examples=["I have a glimmer"],
            priority=10,
        )
    )
    register(
        Intent(
            name="forget_glimmer",
            templates=FORGET_TEMPLATES,
            handler=forget_by_words,
            examples=["Forget my glimmer about the rain"],
            priority=10,
        )
    )
    register(
        Intent(
            name="undo_last",
            templates=UNDO_TEMPLATES,
            handler=undo_last,
            examples=["Undo that", "Delete the last glimmer"],
            priority=10,
        )
    )


# -- voiceglimmer log TEXT --at WHEN ------------------------------------------


def log_command(args: argparse.Namespace, app: App) -> int:
    from voiceglimmer.dialog.when import WhenError, parse_moment
    from voiceglimmer.store.journal import RANGE_WORDS, moment_problem

    text = " ".join(args.text).strip()
    if not text:
        raise UserError('Say what the glimmer was, e.g. voiceglimmer log "warm tea at dawn".')
    if crisis.is_crisis(text):  # first: the pointer matters more than any other message
        print(*crisis.REPLY_LINES, crisis.NOT_SAVED, sep="\n")
        return 1
    when = None
    if args.at:
        try:
            when = parse_moment(args.at, app.clock())
        except WhenError as exc:
            raise UserError(str(exc)) from exc
        # The journal's one range (journal.EARLIEST to now): a year-1 time once
        # saved here made stats and the report fail for good.
        if problem := moment_problem(when, app.clock()):
            raise UserError(
                f"--at {args.at!r} {problem}, so nothing was saved: {RANGE_WORDS}. "
                "Try 'yesterday at 9am' or 2026-11-03T09:15."
            )
    try:
        glimmer = app.assistant.save(text, source="typed", when=when)
    except JournalError as exc:  # full, read-only or unreadable: give the words back
        if text in str(exc):
            raise
        raise UserError(
            f"{exc} So your words aren't lost, here they are: \u201c{text}\u201d."
        ) from exc
    local = local_time(glimmer.created_at, app.clock().tzinfo)
    print(f"Saved #{glimmer.id} ({local:%Y-%m-%d %H:%M}): {for_terminal(glimmer.text)}")
    return 0


@hookimpl
def register_commands(subparsers):
    p = subparsers.add_parser("log", help="save a glimmer (optionally back-dated with --at)")
    p.add_argument("text", nargs="+", help="what the glimmer was")
    p.add_argument("--at", metavar="WHEN", help="e.g. 'yesterday 9am', 'monday evening', ISO time")
    p.set_defaults(func=log_command)
