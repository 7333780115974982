"""The savor-guide plugin: staying with a glimmer long enough for it to land.

The script itself (words and silences) lives in ``savor_script``; this module
decides which glimmer to savor, how long, and records that it happened.
Variants used last time are remembered so two sessions in a row never sound
the same. The senses the script invites come from the glimmer's tags (see the
themes plugin), so a person's correction ("tag that as sound") changes the
next savoring too.

The calm check ("From one to five, how settled do you feel?", asked before
and after the script) is OFF by default: "savor it" should start savoring at
once, and a question first is a step between a person and their glimmer.
People who want to see whether savoring helps turn it on with
``calm_check = true`` in config.toml or by saying "turn on the calm check"
(what was said wins over the file). "skip" skips one rating; anything that is
neither a rating nor a skip is answered as a new request. Only saved glimmers
are rated, since a rating belongs to a recorded savoring.
"""

from __future__ import annotations

import re
from pathlib import Path

from voiceglimmer_plugins.savor_script import build_script

from voiceglimmer import crisis, hookimpl
from voiceglimmer.dialog.assistant import LOOK_BACK, Turn, yes_or_no
from voiceglimmer.dialog.understanding import Intent
from voiceglimmer.events import FollowUp, Glimmer, Reply, Segment
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
        found = crisis.readable(turn.journal.search(words or named.split(), limit=LOOK_BACK))
        return (turn.use(found[0]), None) if found else (None, named)
    return turn.last_glimmer, None


def _senses(turn: Turn, glimmer: Glimmer | None) -> list[str] | None:
    """The sense tags of a saved glimmer (None lets the script guess from the words)."""
    if glimmer is None:
        return None
    try:
        from voiceglimmer_plugins.themes import senses_of
    except ImportError:  # the themes plugin is optional
        return None
    return senses_of(turn.journal, glimmer)


def savor(turn: Turn) -> Reply:
    length = LENGTHS.get(turn.slots.get("length", "").lower(), "standard")
    glimmer, unsaved = _pick(turn)
    if glimmer is None and unsaved is None:
        return Reply.say(
            "There's no glimmer to savor yet. Tell me one, for example: "
            "I noticed a glimmer, the smell of rain."
        )
    if glimmer is not None and calm_check_on(turn):
        return _ask_before(turn, glimmer, length)
    return _script(turn, glimmer, unsaved, length)


def _script(
    turn: Turn,
    glimmer: Glimmer | None,
    unsaved: str | None,
    length: str,
    *,
    before: int | None = None,
) -> Reply:
    text = glimmer.text if glimmer else unsaved or ""
    avoid = turn.state("last_variants", {})
    segments, chosen = build_script(
        reflect(text), length, turn.rng, avoid=avoid, senses=_senses(turn, glimmer)
    )
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
        if before is not None:
            turn.journal.rate_savoring(savoring.id, before=before)
            reply.data["calm_before"] = before

        def finished(seconds: float, completed: bool) -> None:
            turn.journal.finish_savoring(savoring.id, seconds=seconds, completed=completed)

        reply.on_finished = finished
        if calm_check_on(turn):
            _ask_after(reply, savoring.id, before)
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


# -- the calm check ---------------------------------------------------------

ASK_BEFORE = "Before we begin: from one to five, how settled do you feel? You can say skip."
ASK_AFTER = "From one to five, how settled do you feel now?"
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_SKIP = frozenset(
    {"skip", "skip it", "skip that", "pass", "no", "no thanks", "not now", "rather not",
     "i'd rather not", "don't know", "i don't know", "dunno", "not sure", "no idea", "next"}
)  # fmt: skip
#: What a recogniser may write for a lone "four" or "two".
_HOMOPHONES = {"for": 4, "to": 2, "too": 2, "won": 1}


def read_rating(text: str) -> int | None:
    """1 to 5 from "3", "three", "about a four", "4 out of 5"; None otherwise."""
    words = re.findall(r"[a-z]+|\d+(?:\.\d+)?", text.lower().replace("’", "'"))
    for word in words:
        value = _NUMBERS.get(word)
        if value is None and word[0].isdigit():
            value = round(float(word)) if float(word) <= 5 else 0
        if value is not None:
            return value if 1 <= value <= 5 else None
    fillers = {"about", "maybe", "like", "a", "around", "probably", "i'd", "say", "um", "uh"}
    rest = [w for w in words if w not in fillers]
    if len(rest) == 1 and rest[0] in _HOMOPHONES:
        return _HOMOPHONES[rest[0]]
    return None


def is_skip(text: str) -> bool:
    words = " ".join(re.findall(r"[a-z']+", text.lower().replace("’", "'")))
    return words in _SKIP or yes_or_no(text) is False


def _config_calm_check(journal_path: Path) -> bool:
    """``calm_check`` from config.toml: beside the journal (VOICEGLIMMER_HOME) or in
    the config folder; False when unset or unreadable (the CLI reports a bad file)."""
    from voiceglimmer.errors import UserError
    from voiceglimmer.store import config
    from voiceglimmer.store.home import Home

    for folder in (journal_path.parent, Home.locate().config):
        if (folder / "config.toml").exists():
            try:
                return bool(config.load(Home(data=folder, config=folder)).get("calm_check"))
            except UserError:
                return False
    return False


def calm_check_on(turn: Turn) -> bool:
    said = turn.state("calm_check")
    return bool(said) if said is not None else _config_calm_check(Path(turn.journal.path))


def _not_a_rating(turn: Turn, text: str) -> Reply | None:
    """A crisis, or a new request instead of an answer: answered as such."""
    if not is_skip(text) and read_rating(text) is None and turn.can_route(text):
        return turn.route(text)
    return None


def _ask_before(turn: Turn, glimmer: Glimmer, length: str) -> Reply:
    turn.use(glimmer)

    def answered(answer: Turn) -> Reply:
        text = answer.slots["answer"]
        if (other := _not_a_rating(answer, text)) is not None:
            return other
        found = answer.journal.get(glimmer.id)
        if found is None or crisis.needs_care(found):
            return Reply.say("That glimmer isn't in your journal any more.")
        return _script(answer, answer.use(found), None, length, before=read_rating(text))

    return Reply.say(
        ASK_BEFORE,
        glimmer_id=glimmer.id,
        data={"calm_check": "before"},
        follow_up=FollowUp(on_answer=answered, kind="text", name="calm_before"),
    )


def _ask_after(reply: Reply, savoring_id: int, before: int | None) -> None:
    def answered(answer: Turn) -> Reply:
        text = answer.slots["answer"]
        if (other := _not_a_rating(answer, text)) is not None:
            return other
        after = read_rating(text)
        if after is None:
            return Reply.say("Okay, no rating this time.")
        answer.journal.rate_savoring(savoring_id, after=after)
        data = {"calm_before": before, "calm_after": after}
        if before is None or after == before:
            return Reply.say(f"Noted: {after}. Thank you for checking in.", data=data)
        if after > before:
            return Reply.say(
                f"Noted: from {before} to {after}. This one seems to help; "
                "it's a good one to come back to.",
                data=data,
            )
        return Reply.say(f"Noted: {after}. Thank you for being honest. Go gently.", data=data)

    reply.segments.append(Segment(ASK_AFTER))
    reply.data["calm_check"] = "after"
    reply.follow_up = FollowUp(on_answer=answered, kind="text", name="calm_after")


def toggle_calm_check(turn: Turn) -> Reply:
    on = turn.slots.get("switch") == "on"
    turn.set_state("calm_check", on)
    if on:
        return Reply.say(
            "Okay. Before and after each savoring, I'll ask how settled you feel, "
            "from one to five. Say skip any time."
        )
    return Reply.say("Okay. I won't ask how settled you feel around a savoring.")


@hookimpl
def register_intents(register):
    register(
        Intent(
            name="savor",
            templates=TEMPLATES,
            handler=savor,
            slots={"length": LENGTHS},
            suggest=True,
            examples=["Savor it", "Help me savor the sunlight", "A quick savor", "A long savor"],
            priority=5,
        )
    )
    check = "the (calm check|calm rating|calm ratings|settled check|settled question)"
    register(
        Intent(
            name="calm_check",
            templates=[
                f"(turn|switch) {{switch}} {check}",
                f"(turn|switch) {check} {{switch}}",
                f"{{switch}} {check}",
                "{switch} asking [me] how (settled|calm) i (feel|am)",
            ],
            handler=toggle_calm_check,
            slots={
                "switch": {
                    "on": "on",
                    "off": "off",
                    "enable": "on",
                    "disable": "off",
                    "start": "on",
                    "stop": "off",
                }
            },
            examples=["Turn on the calm check"],
            priority=5,
        )
    )
