"""The log plugin: catching a glimmer in the moment, in whatever words come.

A glimmer is written to the journal before the confirmation is produced, so
what the person hears back ("Saved ...") is already true on disk.
"""

from __future__ import annotations

import argparse

from voiceglimmer import (
    CRISIS_NOT_SAVED,
    CRISIS_REPLY_LINES,
    App,
    FollowUp,
    Intent,
    JournalError,
    NotAGlimmer,
    Reply,
    Subparsers,
    Turn,
    UserError,
    ended,
    for_terminal,
    forget_glimmer,
    hookimpl,
    is_crisis,
    local_time,
    plural,
    quote,
    reflect,
)

# Words that say nothing about which glimmer is meant (as in the recall plugin).
_TOPIC_STOPWORDS = frozenset(
    {"a", "an", "the", "my", "me", "i", "of", "to", "about", "with", "in", "on", "at", "for",
     "and", "or", "any", "some", "glimmer", "glimmers", "that", "this", "those", "these",
     "was", "were", "is", "one"}
)  # fmt: skip


def _confirm(turn: Turn, text: str) -> Reply:
    """Save first, then say so, then offer to savor if some plugin can."""
    glimmer = turn.save_glimmer(text)
    said = reflect(glimmer.text)
    # Never a confirmation cut off mid-sentence: a long glimmer is confirmed whole.
    words = said if quote(said) == said else "your glimmer, all of it, in your own words"
    reply = Reply.say(ended(f"Saved: {words}"), glimmer_id=glimmer.id)
    if turn.can_route("savor it"):
        reply.add("Would you like to savor it for a moment?")
        reply.follow_up = FollowUp(on_answer=_maybe_savor, name="savor")
    return reply


def _maybe_savor(turn: Turn) -> Reply:
    if turn.slots["answer"] == "yes":
        # "perhaps a short one" / "the long one": the choice inside the answer is kept
        length = {"quick": "a quick savor of it", "standard": "a long savor of it"}
        return turn.route(length.get(turn.slots.get("length", ""), "savor it"))
    return Reply.say("Okay. It's kept safe for whenever you want it.")


def log_glimmer(turn: Turn) -> Reply:
    return _confirm(turn, turn.slots["glimmer"])


def ask_for_glimmer(turn: Turn) -> Reply:
    return Reply.say(
        "Lovely. What was it?", follow_up=FollowUp(on_answer=_take_answer, kind="text")
    )


def _take_answer(turn: Turn) -> Reply:
    # "Oh, thank you for asking. It was the smell of bread." -> "the smell of bread"
    text = turn.find_answer(turn.slots["answer"])
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
        answer.stop_using(glimmer)
        return Reply.say(ended(f"Deleted {quote(reflect(glimmer.text))}"), glimmer_id=glimmer.id)

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
        answer.stop_using(glimmer)
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
    # The sentences are data, in log.yaml beside this file; what answers them is here.
    handlers = {
        "log_glimmer": log_glimmer,
        "ask_for_glimmer": ask_for_glimmer,
        "forget_glimmer": forget_by_words,
        "undo_last": undo_last,
    }
    for intent in Intent.from_data(__name__, handlers, priority=10, suggest={"log_glimmer"}):
        register(intent)


# -- voiceglimmer log TEXT --at WHEN ------------------------------------------


def log_command(args: argparse.Namespace, app: App) -> int:
    from voiceglimmer import RANGE_WORDS, WhenError, moment_problem, parse_moment

    text = " ".join(args.text).strip()
    if not text:
        raise UserError('Say what the glimmer was, e.g. voiceglimmer log "warm tea at dawn".')
    if is_crisis(text):  # first: the pointer matters more than any other message
        print(*CRISIS_REPLY_LINES, CRISIS_NOT_SAVED, sep="\n")
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
    except NotAGlimmer:  # words the learned safety net read as danger
        print(*CRISIS_REPLY_LINES, CRISIS_NOT_SAVED, sep="\n")
        return 1
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
def register_commands(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("log", help="save a glimmer (optionally back-dated with --at)")
    p.add_argument("text", nargs="+", help="what the glimmer was")
    p.add_argument("--at", metavar="WHEN", help="e.g. 'yesterday 9am', 'monday evening', ISO time")
    p.set_defaults(func=log_command)
