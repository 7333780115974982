"""The savor-guide plugin: staying with a glimmer long enough for it to land.

The script itself (words and silences) lives in ``savor_script``; this module
decides which glimmer to savor, how long, and records that it happened.
Variants used last time are remembered so two sessions in a row never sound
the same.
"""

from __future__ import annotations

from voiceglimmer_plugins.savor_script import build_script

from voiceglimmer import hookimpl
from voiceglimmer.events import FollowUp, Glimmer, Reply, Segment
from voiceglimmer.handle import Turn
from voiceglimmer.intent import Intent
from voiceglimmer.wording import quote, reflect

LENGTHS = {
    "quick": "quick",
    "short": "quick",
    "brief": "quick",
    "little": "quick",
    "fast": "quick",
    "long": "standard",
    "longer": "standard",
    "full": "standard",
    "slow": "standard",
    "deep": "standard",
    "standard": "standard",
    "proper": "standard",
}
IT = "(it|that|this|that one|this one|that glimmer|this glimmer|that moment)"
LAST = "(my|the) (last|latest|most recent|newest) glimmer"

TEMPLATES = [
    f"[let's|i want to|i'd like to|can we|could we] savor {IT} [again]",
    f"[please] guide me [to|through] (savor|savoring) {IT}",
    f"help me savor {IT}",
    f"savor {LAST}",
    f"(guide|help) me [to] savor {LAST}",
    "help me savor {glimmer}",
    "guide me [to|through] (savor|savoring) {glimmer}",
    "let's savor {glimmer}",
    "[give me|do|let's do|i'd like|i want|can we do|start] [a|an] {length} "
    "(savor|savoring) [session|practice]",
    f"[give me|do|let's do|i'd like|i want] [a|an] {{length}} (savor|savoring) of {IT}",
    "[give me|do|let's do|i'd like|i want] [a|an] {length} (savor|savoring) of {glimmer}",
    "savor {length}",
    "let's savor",
    "(savor|savoring) [please]",
    "guide me [to|through] (savor|savoring)",
    "(i want|i'd like) to savor",
]


def _pick(turn: Turn) -> tuple[Glimmer | None, str | None]:
    """The glimmer meant: named words (matched in the journal), or "it"."""
    named = turn.slots.get("glimmer")
    if named:
        words = [w for w in named.lower().split() if len(w) > 2 and w not in {"the", "my", "and"}]
        found = turn.journal.search(words or named.split(), limit=1)
        return (turn.use(found[0]), None) if found else (None, named)
    return turn.last_glimmer, None


def savor(turn: Turn) -> Reply:
    length = LENGTHS.get(turn.slots.get("length", "").lower(), "standard")
    glimmer, unsaved = _pick(turn)
    if glimmer is None and unsaved is None:
        return Reply.say(
            "There's no glimmer to savor yet. Tell me one, for example: "
            "I noticed a glimmer, the smell of rain."
        )
    text = glimmer.text if glimmer else unsaved or ""
    avoid = turn.state("last_variants", {})
    segments, chosen = build_script(reflect(text), length, turn.rng, avoid=avoid)
    turn.set_state("last_variants", chosen)
    intro = "Here's a quick savor." if length == "quick" else "Let's savor this slowly."
    reply = Reply(
        segments=[Segment(f"{intro} You can say stop at any time.", pause=1.5), *segments],
        glimmer_id=glimmer.id if glimmer else None,
        data={"length": length},
    )
    reply.data["seconds"] = round(reply.duration_estimate, 1)
    if glimmer:
        # Recorded as the script is handed over; the voice loop reports
        # an early stop by recording the shorter time instead.
        savoring = turn.record_savoring(glimmer, seconds=reply.duration_estimate, length=length)

        def finished(seconds: float, completed: bool) -> None:
            turn.journal.finish_savoring(savoring.id, seconds=seconds, completed=completed)

        reply.on_finished = finished
        return reply

    def keep(answer: Turn) -> Reply:
        if answer.slots["answer"] != "yes":
            return Reply.say("Okay, I'll let it be just for now.")
        saved = answer.save_glimmer(text)
        answer.record_savoring(saved, seconds=reply.duration_estimate, length=length)
        return Reply.say(f"Saved: {quote(reflect(saved.text))}.", glimmer_id=saved.id)

    reply.segments.append(
        Segment(f"Would you like me to keep {quote(reflect(text))} as a glimmer?")
    )
    reply.follow_up = FollowUp(on_answer=keep, name="keep")
    return reply


@hookimpl
def register_intents(register):
    register(
        Intent(
            name="savor",
            templates=TEMPLATES,
            handler=savor,
            slots={"length": LENGTHS},
            examples=["Savor it", "Help me savor the sunlight", "A quick savor", "A long savor"],
            priority=5,
        )
    )
