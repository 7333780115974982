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

from voiceglimmer import crisis, hookimpl
from voiceglimmer.dialog.assistant import LOOK_BACK, Turn
from voiceglimmer.dialog.understanding import Intent
from voiceglimmer.events import FollowUp, Glimmer, Reply
from voiceglimmer.store.journal import local_time
from voiceglimmer.wording import plural, reflect, spoken_list

if TYPE_CHECKING:
    from voiceglimmer.dialog.when import Span

BATCH = 5
NOTE = "(have|notice|noticed|log|logged|note|noted|save|saved|find|found|get|catch|had)"
STOPWORDS = frozenset(
    {"a", "an", "the", "my", "me", "i", "of", "to", "about", "with", "in", "on", "at", "for",
     "and", "or", "any", "some", "glimmer", "glimmers", "that", "this", "those", "these",
     "was", "were", "is"}
)  # fmt: skip

DAY_TEMPLATES = [
    "what (were|was|are) {when} glimmers",
    "what (were|was|are) [my|the] glimmers (from|for|of|on) {when}",
    f"what glimmers did i {NOTE} {{when}}",
    f"what did i {NOTE} {{when}}",
    "(read|tell|show|give) [me] [my|the] glimmers (from|for|of|on) {when}",
    "(read|tell|show|give) [me] {when} glimmers",
    "[my|the] glimmers (from|for|of|on) {when}",
    "(recall|replay) {when}",
    "(any|were there any|did i have any) glimmers {when}",
]
COUNT_TEMPLATES = [
    f"how many glimmers [have i|did i|do i have|have i got] [{NOTE}] {{when}}",
    f"how many glimmers [have i|did i|do i have] [{NOTE}] [in total|altogether|so far|overall]",
    "count my glimmers [{when}]",
]
SEARCH_TEMPLATES = [
    "[are there|were there|do i have|did i have] any glimmers (about|with|mentioning|involving|"
    "of|featuring) {topic}",
    "[my|the] glimmers (about|with|mentioning|involving) {topic}",
    "(find|search [for]|look for|look up) [my] glimmers (about|with|mentioning|involving|for) "
    "{topic}",
    f"when did i {NOTE} {{topic}}",
]
RANDOM_TEMPLATES = [
    "remind me of a glimmer",
    "remind me of [a|one of my] [good|happy|past|old] (glimmer|glimmers|moment|moments)",
    "(tell|give|read|show) me a [random|past|old] glimmer",
    "surprise me [with a glimmer]",
    "pick a glimmer [for me]",
    "(any|a) random glimmer",
]
LATEST_TEMPLATES = [
    "what (was|is) my (last|latest|most recent) glimmer",
    "(read|tell) me my (last|latest|most recent) glimmer",
]


def _when(turn: Turn) -> Span | Reply:
    from voiceglimmer.dialog.when import WhenError, parse_span  # deferred: see the module docstring

    try:
        return parse_span(turn.slots["when"], turn.now)
    except WhenError as exc:
        return Reply.say(str(exc))


def _on_day(turn: Turn, glimmer: Glimmer) -> str:
    """'today', 'yesterday', 'on Monday', 'on Monday the 3rd of November'."""
    from voiceglimmer.dialog.when import say_day  # deferred: see the module docstring

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
    glimmers = crisis.readable(fetched)
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
        *crisis.withheld(len(fetched) - len(glimmers)),
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
        return span
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
    label = span.label[0].upper() + span.label[1:]
    return Reply.say(f"{label} you noted {plural(total, 'glimmer')}.", data={"count": total})


def search_glimmers(turn: Turn) -> Reply:
    topic = turn.slots["topic"].rstrip("?.! ")
    words = [w for w in topic.lower().split() if w not in STOPWORDS]
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
        if glimmer is None or not crisis.needs_care(glimmer):
            return glimmer
    return next(iter(crisis.readable(turn.journal.latest(LOOK_BACK))), None)


def random_glimmer(turn: Turn) -> Reply:
    glimmer = _random_readable(turn)
    if glimmer is None:
        return Reply.say(
            "There are no glimmers in your journal yet. When you notice one, tell me and "
            "I'll keep it for moments like this."
        )
    turn.use(glimmer)
    return Reply.say(
        f"Here's one you noted {_on_day(turn, glimmer)}: {reflect(glimmer.text).rstrip('.')}.",
        "Take a breath with it, if you like. You can say savor it to stay a little longer.",
        glimmer_id=glimmer.id,
    )


def latest_glimmer(turn: Turn) -> Reply:
    latest = crisis.readable(turn.journal.latest(LOOK_BACK))
    if not latest:
        return Reply.say("You haven't saved a glimmer yet.")
    glimmer = turn.use(latest[0])
    return Reply.say(
        f"Your last glimmer, {_on_day(turn, glimmer)}, was {reflect(glimmer.text).rstrip('.')}.",
        glimmer_id=glimmer.id,
    )


@hookimpl
def register_intents(register):
    register(
        Intent(
            name="recall_span",
            templates=DAY_TEMPLATES,
            handler=recall_span,
            examples=["What were yesterday's glimmers?", "Read me my glimmers from last week"],
            suggest=True,
        )
    )
    register(
        Intent(
            name="count_glimmers",
            templates=COUNT_TEMPLATES,
            handler=count_glimmers,
            examples=["How many glimmers this week?"],
            priority=1,
        )
    )
    register(
        Intent(
            name="search_glimmers",
            templates=SEARCH_TEMPLATES,
            handler=search_glimmers,
            examples=["Any glimmers about tea?"],
            priority=1,
        )
    )
    register(
        Intent(
            name="random_glimmer",
            templates=RANDOM_TEMPLATES,
            handler=random_glimmer,
            examples=["Remind me of a glimmer"],
        )
    )
    register(
        Intent(
            name="latest_glimmer",
            templates=LATEST_TEMPLATES,
            handler=latest_glimmer,
            examples=["What was my last glimmer?"],
            priority=1,
        )
    )
