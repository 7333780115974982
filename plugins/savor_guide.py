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
``calm_check = true`` under ``[plugins.savor-guide]`` in config.toml (the
plugin's setting) or by saying "turn on the calm check"
(what was said wins over the file). "skip" skips one rating; anything that is
neither a rating nor a skip is answered as a new request. Only saved glimmers
are rated, since a rating belongs to a recorded savoring.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from voiceglimmer_plugins.savor_script import build_script

from voiceglimmer import (
    EARLIEST,
    LOOK_BACK,
    ExportRefs,
    FollowUp,
    Glimmer,
    Intent,
    Journal,
    OldRow,
    PluginSchema,
    PluginStore,
    PluginTable,
    Reply,
    Segment,
    Setting,
    SettingError,
    Turn,
    hookimpl,
    local_time,
    needs_care,
    quote,
    readable,
    reflect,
)

if TYPE_CHECKING:
    from voiceglimmer import Calm


def _pick(turn: Turn) -> tuple[Glimmer | None, str | None]:
    """The glimmer meant: named words (matched in the journal), or "it"."""
    named = turn.slots.get("glimmer")
    if named:
        words = [w for w in named.lower().split() if len(w) > 2 and w not in {"the", "my", "and"}]
        found = readable(turn.journal.search(words or named.split(), limit=LOOK_BACK))
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
    # "quick" or "standard": the `length` list in savor_guide.yaml maps the words said
    length = "quick" if turn.slots.get("length") == "quick" else "standard"
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
            rate_savoring(turn.journal, savoring.id, before=before)
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


_NOT_A_NUMBER = re.compile(
    r"\b(?:(?:the|that|this|a)\s+)?(?:one|1)(?:\s*(?:to|-)\s*|\s+through\s+)(?:five|5)\b|"
    r"\b(?:this|that|the|which|every|each|no|any|some) one\b"
)


def read_rating(text: str) -> int | None:
    """1 to 5 from "3", "three", "about a four", "4 out of 5"; None otherwise (the scale
    itself and "this one" are no rating: "stop asking me the one to five thing")."""
    said = _NOT_A_NUMBER.sub(" ", text.lower().replace("’", "'"))
    words = re.findall(r"[a-z]+|\d+(?:\.\d+)?", said)
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


def _bare_skip(text: str) -> bool:
    return " ".join(re.findall(r"[a-z']+", text.lower().replace("’", "'"))) in _SKIP


def calm_check_on(turn: Turn) -> bool:
    """Whether to ask "how settled?": what the person last said ("turn on the calm
    check") wins; else ``calm_check`` in config.toml's [plugins.savor-guide]."""
    said = turn.state("calm_check")
    if said is not None:
        return bool(said)
    try:
        return bool(turn.setting("calm_check", NAME))  # this plugin's, in any plugin's turn
    except SettingError:  # an assistant built without the plugins' settings
        return False


@hookimpl
def plugin_settings() -> list[Setting]:
    return [
        Setting(
            "calm_check",
            bool,
            False,
            help='ask "from one to five, how settled do you feel?" before and after a savoring',
        )
    ]


# -- calm ratings: the plugin's own table -----------------------------------------------
#
# One row per rated savoring (``savor_guide_ratings``). Until voiceglimmer 0.1 the
# ratings were two columns of the core's savorings table; the first migration moves
# them here and drops the columns.

NAME = "savor-guide"


@dataclass(frozen=True)
class CalmRating:
    """How settled someone felt before and after one savoring (1 to 5)."""

    savoring_id: int
    glimmer_id: int
    started_at: datetime
    before: int | None
    after: int | None

    @property
    def rise(self) -> int | None:
        """How much calmer afterwards; None unless both ratings were given."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


def _rating(value: object, which: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValueError(f'its "calm_{which}" ({value!r}) is not a whole number from 1 to 5')
    return value


def _check_rating(row: dict[str, Any]) -> dict[str, Any]:
    _rating(row.get("calm_before"), "before")
    _rating(row.get("calm_after"), "after")
    return row


def _old_ratings(records: dict[str, Any], refs: ExportRefs) -> Iterator[OldRow]:
    """Ratings as an export of voiceglimmer 0.1 kept them: in each savoring."""
    for number, glimmer in enumerate(records.get("glimmers", ()), start=1):
        for k, savoring in enumerate(glimmer.get("savorings") or (), start=1):
            before, after = savoring.get("calm_before"), savoring.get("calm_after")
            if before is None and after is None:
                continue
            row = {"savoring_id": refs.savoring(number, k), "calm_before": before,
                   "calm_after": after}  # fmt: skip
            yield OldRow("ratings", f"Glimmer number {number} in the file", row)


SCHEMA = PluginSchema(
    tables=(PluginTable("ratings", savoring_column="savoring_id", check=_check_rating),),
    migrations=(
        """
        CREATE TABLE savor_guide_ratings (
            savoring_id INTEGER PRIMARY KEY REFERENCES savorings (id) ON DELETE CASCADE,
            calm_before INTEGER CHECK (calm_before BETWEEN 1 AND 5),
            calm_after INTEGER CHECK (calm_after BETWEEN 1 AND 5)
        );
        INSERT INTO savor_guide_ratings (savoring_id, calm_before, calm_after)
            SELECT id, calm_before, calm_after FROM savorings
            WHERE calm_before IS NOT NULL OR calm_after IS NOT NULL;
        ALTER TABLE savorings DROP COLUMN calm_before;
        ALTER TABLE savorings DROP COLUMN calm_after;
        """,
    ),
    from_old_export=_old_ratings,
)


@hookimpl
def journal_schema() -> PluginSchema:
    return SCHEMA


def _store(journal: Journal) -> PluginStore:
    return journal.plugin_store(NAME, SCHEMA)


def rate_savoring(
    journal: Journal, savoring_id: int, *, before: int | None = None, after: int | None = None
) -> None:
    """Store how settled the person felt (1 to 5); a rating left out is left as it was."""
    before, after = _rating(before, "before"), _rating(after, "after")
    if before is None and after is None:
        return
    _store(journal).execute(
        "INSERT INTO savor_guide_ratings (savoring_id, calm_before, calm_after) VALUES (?, ?, ?) "
        "ON CONFLICT (savoring_id) DO UPDATE SET "
        "calm_before = coalesce(excluded.calm_before, calm_before), "
        "calm_after = coalesce(excluded.calm_after, calm_after)",
        (savoring_id, before, after),
    )


def rated_savorings(
    journal: Journal, start: datetime | None = None, end: datetime | None = None
) -> list[CalmRating]:
    """Savorings with at least one calm rating, started in [start, end), oldest first."""
    rows = _store(journal).query(
        "SELECT r.savoring_id, s.glimmer_id, s.started_at, r.calm_before, r.calm_after "
        "FROM savor_guide_ratings r JOIN savorings s ON s.id = r.savoring_id"
    )
    ratings = [CalmRating(r[0], r[1], datetime.fromisoformat(r[2]), r[3], r[4]) for r in rows]
    ratings = [
        r
        for r in ratings
        if (start is None or r.started_at >= start) and (end is None or r.started_at < end)
    ]
    return sorted(ratings, key=lambda r: (r.started_at, r.savoring_id))


def calm_ratings(
    journal: Journal, start: datetime | None = None, end: datetime | None = None
) -> list[tuple[datetime, int | None, int | None]]:
    """(when, before, after) for every rated savoring in [start, end), oldest first."""
    return [(r.started_at, r.before, r.after) for r in rated_savorings(journal, start, end)]


@hookimpl
def calm_figures(journal: Journal, now: datetime, pairs: int) -> Calm:
    """Averages over savorings rated both before and after (so "before" and "after"
    describe the same moments), from 1900 up to ``now``, plus the latest pairs."""
    # deferred: the figures' module is for `stats` and the report, not every start
    from voiceglimmer import Calm, CalmPair

    rows = _store(journal).query(
        "SELECT r.savoring_id, s.glimmer_id, g.text, s.started_at, r.calm_before, r.calm_after "
        "FROM savor_guide_ratings r JOIN savorings s ON s.id = r.savoring_id "
        "JOIN glimmers g ON g.id = s.glimmer_id "
        "WHERE r.calm_before IS NOT NULL AND r.calm_after IS NOT NULL"
    )
    rated = []
    for sid, gid, text, started, before, after in rows:
        try:
            at = datetime.fromisoformat(started)
        except ValueError:
            continue
        if at.tzinfo is not None and EARLIEST <= at <= now:
            rated.append((at, int(sid), int(gid), str(text), int(before), int(after)))
    if not rated:
        return Calm()
    rated.sort(key=lambda r: (r[0], r[1]))
    count = len(rated)
    return Calm(
        rated=count,
        avg_before=sum(r[4] for r in rated) / count,
        avg_after=sum(r[5] for r in rated) / count,
        avg_rise=sum(r[5] - r[4] for r in rated) / count,
        calmer=sum(1 for r in rated if r[5] > r[4]),
        same=sum(1 for r in rated if r[5] == r[4]),
        less_calm=sum(1 for r in rated if r[5] < r[4]),
        pairs=[
            CalmPair(sid, gid, text, local_time(at, now.tzinfo), before, after)
            for at, sid, gid, text, before, after in rated[-pairs:]
        ],
    )


def _not_a_rating(turn: Turn, text: str) -> Reply | None:
    """A crisis, or a new request instead of an answer: answered as such ("no" skips
    the rating; "please stop asking me this" turns the calm check off)."""
    if not _bare_skip(text) and read_rating(text) is None and turn.can_route(text):
        return turn.route(text)
    return None


def _ask_before(turn: Turn, glimmer: Glimmer, length: str) -> Reply:
    turn.use(glimmer)

    def answered(answer: Turn) -> Reply:
        text = answer.slots["answer"]
        if (other := _not_a_rating(answer, text)) is not None:
            return other
        found = answer.journal.get(glimmer.id)
        if found is None or needs_care(found):
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
        rate_savoring(answer.journal, savoring_id, after=after)
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
    # The sentences are data, in savor_guide.yaml beside this file; what answers them is here.
    handlers = {"savor": savor, "calm_check": toggle_calm_check}
    for intent in Intent.from_data(__name__, handlers, priority=5, suggest={"savor"}):
        register(intent)
