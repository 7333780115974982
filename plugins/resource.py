"""The resourcing plugin: in a hard moment, one glimmer that has helped before.

The practice's "recall in hard moments" step: when someone says they are
stressed, anxious or overwhelmed, the most useful thing is not advice but a
glimmer of their own to return to. The one offered is the glimmer whose
savoring left them most settled (highest calm rating afterwards, then the
biggest rise from before), so the calm check pays off here; with no ratings,
any of their glimmers will do. Only one is offered, with a short savor,
because a list is too much to take in when things are hard.

Words that may mean crisis never reach this plugin: the dialog answers them
first (:mod:`voiceglimmer.crisis`) and points to real help instead, and an
entry holding such words is never offered as a glimmer.

Registered as the ``resourcing`` plugin. ``voiceglimmer.dialog.when`` is imported
where a day is named, so starting the assistant doesn't pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from voiceglimmer import (
    LOOK_BACK,
    FollowUp,
    Glimmer,
    Intent,
    Reply,
    Segment,
    Turn,
    ended,
    hookimpl,
    local_time,
    needs_care,
    readable,
    reflect,
)

if TYPE_CHECKING:
    from voiceglimmer_plugins.savor_guide import CalmRating

#: A savoring "helped" when it ended at least this settled, or rose by this much.
GOOD_AFTER = 4
GOOD_RISE = 1


def _ratings(turn: Turn) -> list[CalmRating]:
    """The calm ratings the savor-guide plugin keeps (none without it)."""
    try:
        from voiceglimmer_plugins.savor_guide import rated_savorings
    except ImportError:
        return []
    return rated_savorings(turn.journal)


def _helped(ratings: list[CalmRating]) -> list[int]:
    """Glimmer ids whose savoring helped, best first (calm after, then the rise)."""
    good = [
        r
        for r in ratings
        if (r.after or 0) >= GOOD_AFTER or (r.rise is not None and r.rise >= GOOD_RISE)
    ]
    good.sort(key=lambda r: (r.after or 0, r.rise if r.rise is not None else -5), reverse=True)
    return list(dict.fromkeys(r.glimmer_id for r in good))


def pick(turn: Turn) -> tuple[Glimmer | None, str]:
    """The glimmer to offer and why: "helped" (rated well) or "random".

    The one offered last time is passed over when there is another, so
    asking twice in a hard hour doesn't bring back the same one.
    """
    last = turn.state("last_offered")
    helped = readable(g for g in map(turn.journal.get, _helped(_ratings(turn))) if g)
    if helped:
        fresh = [g for g in helped if g.id != last] or helped
        return fresh[0], "helped"
    # never offer an entry holding words of harm: a few draws, then the newest safe one
    glimmer = None
    for _ in range(8):
        drawn = turn.journal.random(turn.rng)
        if drawn is None:
            return None, "random"
        if needs_care(drawn):
            continue
        glimmer = drawn
        if drawn.id != last or turn.journal.count() == 1:
            break
    if glimmer is None:
        glimmer = next(iter(readable(turn.journal.latest(LOOK_BACK))), None)
    return glimmer, "random"


def _noted(turn: Turn, glimmer: Glimmer) -> str:
    """'today', 'yesterday', 'Monday', 'Thursday the 6th of August'."""
    from voiceglimmer import say_day  # deferred: see the module docstring

    return say_day(local_time(glimmer.created_at, turn.now.tzinfo).date(), turn.now.date())


def _empty() -> Reply:
    return Reply(
        segments=[
            Segment("Let's take one slow breath together. In.", pause=3.5, pace="slow"),
            Segment("And a long, slow breath out.", pause=5.0, pace="slow"),
            Segment(
                "If you can, look around for one small thing that feels even a little okay: "
                "a colour, a sound, something soft. If you find one, tell me, and I'll keep it."
            ),
        ],
        data={"why": "none"},
    )


def need_glimmer(turn: Turn) -> Reply:
    return _offer(turn, opening="")


def steady(turn: Turn) -> Reply:
    return _offer(turn, opening="I'm sorry it's hard right now.")


def _offer(turn: Turn, *, opening: str) -> Reply:
    feeling = turn.slots.get("feeling")
    glimmer, why = pick(turn)
    if glimmer is None:
        reply = _empty()
        if opening:
            reply.segments.insert(0, Segment(opening))
        return reply
    turn.use(glimmer)
    turn.set_state("last_offered", glimmer.id)
    said = reflect(glimmer.text)
    if why == "helped":
        line = ended(
            f"Here's a glimmer that helped you before, from {_noted(turn, glimmer)}: {said}"
        )
    else:
        line = ended(f"Here's one of your glimmers, from {_noted(turn, glimmer)}: {said}")

    def answered(answer: Turn) -> Reply:
        if answer.slots["answer"] != "yes":
            return Reply.say(
                "Okay. It's here whenever you want it.",
                "One slow breath, longer on the way out, can help a little too.",
            )
        answer.use(glimmer)
        return answer.route("a quick savor of it")

    return Reply.say(
        opening,
        line,
        "Would you like a quick savor of it?",
        glimmer_id=glimmer.id,
        data={"why": why, **({"feeling": feeling} if feeling else {})},
        follow_up=FollowUp(on_answer=answered, name="savor"),
    )


@hookimpl
def register_intents(register):
    # The sentences are data, in resource.yaml beside this file; what answers them is here.
    handlers = {"need_glimmer": need_glimmer, "steady": steady}
    for intent in Intent.from_data(__name__, handlers, priority=10):
        register(intent)
