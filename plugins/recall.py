"""The recall plugin: hearing past glimmers again, by day, by word or by chance.

Replies are written to be listened to: a count first, natural dates, and at
most a handful of glimmers read at once with an offer to go on, because a
long list read aloud is hard to take in.

``voiceglimmer.dialog.when`` (date phrases, a module of compiled patterns) is imported
by the handlers that use it, so a start that never recalls doesn't pay for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from voiceglimmer import (
    LOOK_BACK,
    FollowUp,
    Glimmer,
    Intent,
    Reply,
    Turn,
    ended,
    hookimpl,
    local_time,
    needs_care,
    plural,
    readable,
    reflect,
    spoken_list,
    withheld,
)

if TYPE_CHECKING:
    from voiceglimmer import Span

BATCH = 5
STOPWORDS = frozenset(
    {"a", "an", "the", "my", "me", "i", "of", "to", "about", "with", "in", "on", "at", "for",
     "and", "or", "any", "some", "glimmer", "glimmers", "that", "this", "those", "these",
     "was", "were", "is"}
)  # fmt: skip


def _when(turn: Turn) -> Span | Reply:
    from voiceglimmer import WhenError, find_span, parse_span  # deferred: see the docstring

    try:
        return parse_span(turn.slots["when"], turn.now)
    except WhenError as exc:
        # the day inside other words: "Sunday please, that was my day off"
        found = find_span(turn.slots["when"], turn.now)
        return found if found is not None else Reply.say(str(exc))


def _on_day(turn: Turn, glimmer: Glimmer) -> str:
    """'today', 'yesterday', 'on Monday', 'on Monday the 3rd of November'."""
    from voiceglimmer import say_day  # deferred: see the module docstring

    day = say_day(local_time(glimmer.created_at, turn.now.tzinfo).date(), turn.now.date())
    return day if day in ("today", "yesterday") else f"on {day}"


def _read(turn: Turn, glimmers: Sequence[Glimmer], span_days: bool) -> list[str]:
    """Glimmers as spoken phrases; over several days, each day is named once."""
    if not span_days:
        return [reflect(g.text).rstrip(".") for g in glimmers]
    return [
        f"{day}, {spoken_list([reflect(g.text).rstrip('.') for g in group])}"
        for day, group in groupby(glimmers, key=lambda g: _on_day(turn, g))
    ]


def _batch_reply(
    turn: Turn,
    opening: str,
    total: int,
    fetch: Callable[[int, int], list[Glimmer]],
    *,
    span_days: bool,
    offset: int = 0,
) -> Reply:
    """Read up to BATCH glimmers; offer the rest one batch at a time.

    An entry holding words of harm is counted but never read: one sentence
    says it was left out, with where help is.
    """
    fetched = fetch(BATCH, offset)
    glimmers = readable(fetched)
    if glimmers:
        turn.use(glimmers[-1])
    lines = _read(turn, glimmers, span_days)
    body = ""
    if not lines and offset == 0:
        opening = ""  # "you noted one glimmer:" and then none read would confuse
    if lines:
        body = "; ".join(lines[:-1]) + ("; and " if len(lines) > 1 else "") + lines[-1] + "."
        if offset:  # no opening sentence: the batch starts the reply
            body = body[0].upper() + body[1:]
    remaining = total - offset - len(fetched)
    reply = Reply.say(
        opening if offset == 0 else "",
        body,
        *withheld(len(fetched) - len(glimmers)),
        glimmer_id=glimmers[-1].id if glimmers else None,
        data={"count": total, "read": [g.id for g in glimmers], "remaining": remaining},
    )
    if remaining > 0:
        reply.add(
            f"There {'is' if remaining == 1 else 'are'} {remaining} more. "
            "Would you like to hear them?"
        )

        def more(answer: Turn) -> Reply:
            if answer.slots["answer"] != "yes":
                return Reply.say("Okay.")
            return _batch_reply(
                answer, opening, total, fetch, span_days=span_days, offset=offset + BATCH
            )

        reply.follow_up = FollowUp(on_answer=more, name="more")
    return reply


def recall_span(turn: Turn) -> Reply:
    span = _when(turn)
    if isinstance(span, Reply):
        # no day in the words ("glimmers from the bakery"): they say what it was about
        from voiceglimmer import speaks_of_time  # deferred: see the module docstring

        said = turn.slots["when"]
        words = [w for w in _words(said) if w not in STOPWORDS]
        return _search(turn, said) if words and not speaks_of_time(said) else span
    total = turn.journal.count_between(span.start, span.end)
    if not total:
        return Reply.say(
            f"You didn't note any glimmers {span.label}.",
            "If one comes back to you, you can still add it.",
            data={"count": 0},
        )
    opening = f"{span.label[0].upper()}{span.label[1:]} you noted {plural(total, 'glimmer')}:"
    return _batch_reply(
        turn,
        opening,
        total,
        lambda limit, offset: turn.journal.between(
            span.start, span.end, limit=limit, offset=offset
        ),
        span_days=span.kind != "day",
    )


def count_glimmers(turn: Turn) -> Reply:
    if "when" not in turn.slots:
        total = turn.journal.count()
        return Reply.say(
            f"Your journal holds {plural(total, 'glimmer')} in all." if total
            else "Your journal is empty so far. Tell me a glimmer whenever one comes.",
            data={"count": total},
        )  # fmt: skip
    span = _when(turn)
    if isinstance(span, Reply):
        return span
    total = turn.journal.count_between(span.start, span.end)
    if not total:
        return Reply.say(f"You didn't note any glimmers {span.label}.", data={"count": 0})
    label = span.label[0].upper() + span.label[1:]
    return Reply.say(f"{label} you noted {plural(total, 'glimmer')}.", data={"count": total})


def search_glimmers(turn: Turn) -> Reply:
    return _search(turn, turn.slots["topic"])


def _words(text: str) -> list[str]:
    return text.lower().split()


def _search(turn: Turn, said: str) -> Reply:
    topic = said.rstrip("?.! ")
    words = [w for w in _words(topic) if w not in STOPWORDS]
    total = turn.journal.search_count(words) if words else 0
    if not total:
        return Reply.say(f"I didn't find any glimmers about {reflect(topic)}.", data={"count": 0})
    newest = ", newest first" if total > 1 else ""
    opening = f"I found {plural(total, 'glimmer')} about {reflect(topic)}{newest}:"
    return _batch_reply(
        turn,
        opening,
        total,
        lambda limit, offset: turn.journal.search(words, limit=limit, offset=offset),
        span_days=True,
    )


def _random_readable(turn: Turn) -> Glimmer | None:
    """A random entry that may be read back as a glimmer (a few draws, then the newest)."""
    for _ in range(8):
        glimmer = turn.journal.random(turn.rng)
        if glimmer is None or not needs_care(glimmer):
            return glimmer
    return next(iter(readable(turn.journal.latest(LOOK_BACK))), None)


def random_glimmer(turn: Turn) -> Reply:
    glimmer = _random_readable(turn)
    if glimmer is None:
        return Reply.say(
            "There are no glimmers in your journal yet. When you notice one, tell me and "
            "I'll keep it for moments like this."
        )
    turn.use(glimmer)
    return Reply.say(
        ended(f"Here's one you noted {_on_day(turn, glimmer)}: {reflect(glimmer.text)}"),
        "Take a breath with it, if you like. You can say savor it to stay a little longer.",
        glimmer_id=glimmer.id,
    )


def latest_glimmer(turn: Turn) -> Reply:
    latest = readable(turn.journal.latest(LOOK_BACK))
    if not latest:
        return Reply.say("You haven't saved a glimmer yet.")
    glimmer = turn.use(latest[0])
    return Reply.say(
        ended(f"Your last glimmer, {_on_day(turn, glimmer)}, was {reflect(glimmer.text)}"),
        glimmer_id=glimmer.id,
    )


@hookimpl
def register_intents(register):
    # The sentences are data, in recall.yaml beside this file; what answers them is here.
    handlers = {
        "recall_span": recall_span,
        "count_glimmers": count_glimmers,
        "search_glimmers": search_glimmers,
        "random_glimmer": random_glimmer,
        "latest_glimmer": latest_glimmer,
    }
    # Above 0, so these exact questions aren't read as recalling a day.
    priority = {"count_glimmers": 1, "search_glimmers": 1, "latest_glimmer": 1}
    for intent in Intent.from_data(__name__, handlers, priority=priority, suggest={"recall_span"}):
        register(intent)
