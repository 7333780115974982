"""The reflection plugin: looking back over the day, the practice's evening step.

Reading the day's glimmers back and choosing the one that stayed most is what
turns a list into something remembered; offering to savor that one again
lets it land a second time. A day with no glimmers gets one gentle question,
not a lesson. Each step is one short question, and "no" or "skip" always
moves on, so the reflection never feels like a form to fill in.

Registered as the ``reflect`` plugin. ``voiceglimmer.dialog.when`` is imported where
today's glimmers are looked up, so starting the assistant doesn't pay for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

from voiceglimmer_plugins.savor_script import word_forms

from voiceglimmer import (
    RANGE_WORDS,
    ExportRefs,
    FollowUp,
    Glimmer,
    ImportRefused,
    Intent,
    Journal,
    OldRow,
    PluginSchema,
    PluginStore,
    PluginTable,
    Reply,
    Turn,
    capitalised,
    ended,
    hookimpl,
    moment_problem,
    plural,
    quote,
    readable,
    reflect,
    yes_or_no,
)

#: Read back at most this many of today's glimmers before "and N more".
READ_AT_MOST = 6

ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "sixth": 5,
    "last": -1,
    "latest": -1,
    "final": -1,
}
_NUMBERED = {"one": 0, "two": 1, "three": 2, "four": 3, "five": 4, "six": 5}
_STOP = frozenset(
    {"the", "a", "an", "my", "me", "i", "it", "was", "that", "this", "one", "ones", "of", "to",
     "and", "with", "in", "on", "at", "for", "about", "really", "think", "probably", "maybe",
     "guess", "glimmer", "most", "number", "stayed", "you", "your", "is", "just", "oh", "um",
     "well", "so", "like", "definitely", "which", "from", "today", "when"}
)  # fmt: skip


# The patterns below are compiled on first use rather than at import: every start
# of voiceglimmer imports this plugin, and most sessions never reflect.


@cache
def _none() -> re.Pattern[str]:
    """Answers that mean "there was nothing" or "skip"."""
    return re.compile(
        r"^(?:no|nope|nah|nothing|none|neither|not really|not today|not that i|not one|"
        r"i can'?t think|i cannot think|can'?t think|there wasn'?t|i don'?t know|dunno|no idea|"
        r"skip|pass|not sure)\b"
    )


@cache
def _all() -> re.Pattern[str]:
    """Answers that choose every glimmer read back."""
    return re.compile(r"^(?:all|both|every one|everything|each)\b")


@cache
def _answer_prefix() -> re.Pattern[str]:
    """The filler before the answer itself: "yeah, it was ..." -> "..."."""
    return re.compile(
        r"^(?:(?:yes|yeah|yep|well|so|oh|um+|uh+|maybe|i guess|actually|hmm)[\s,.!-]+)*"
        r"(?:it was|it's|it is|that was|there was|i noticed|i saw|i had|i felt|when)?\b[\s,:-]*",
        re.IGNORECASE,
    )


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))


def _said(glimmer: Glimmer) -> str:
    return reflect(glimmer.text).rstrip(" .")


def _today(turn: Turn) -> list[Glimmer]:
    from voiceglimmer import parse_span  # deferred: see the module docstring

    span = parse_span("today", turn.now)
    return readable(turn.journal.between(span.start, span.end))


def match_answer(answer: str, glimmers: Sequence[Glimmer]) -> Glimmer | None:
    """Which of ``glimmers`` the answer means: by its words, else "the second one".

    Words win over position, so "the first sip of tea" finds the tea even
    when it was not the first glimmer of the day. A tie in words is no match.
    """
    if not glimmers:
        return None
    words = _words(answer)
    content = [w for w in words if w not in _STOP and w not in ORDINALS]
    if content:
        scores = []
        for g in glimmers:
            theirs = set().union(*(word_forms(w) for w in _words(g.text)))
            scores.append(sum(1 for w in content if word_forms(w) & theirs))
        best = max(scores)
        if best and scores.count(best) == 1:
            return glimmers[scores.index(best)]
    for i, word in enumerate(words):
        index = ORDINALS.get(word)
        if index is None and word.isdigit():
            index = int(word) - 1
        if index is None and word in _NUMBERED and i and words[i - 1] == "number":
            index = _NUMBERED[word]
        if index is not None and -len(glimmers) <= index < len(glimmers):
            return glimmers[index]
    return None


def _is_none(text: str) -> bool:
    return bool(_none().match(" ".join(_words(text)))) or yes_or_no(text) is False


# -- the notes table ---------------------------------------------------------------
#
# The plugin's own table in the journal (``reflect_notes``). Until voiceglimmer 0.1
# it was the core's ``reflections`` table; the first migration moves it here. A
# note may say which glimmer it is about; forgetting that glimmer unlinks the note
# (it is the person's words about their day, not the glimmer's).

NAME = "reflect"


@dataclass(frozen=True)
class Reflection:
    """A note the person added to one day, maybe about one of its glimmers."""

    id: int
    day: date
    created_at: datetime
    note: str
    glimmer_id: int | None = None


def _check_note(row: dict[str, Any]) -> dict[str, Any]:
    """An imported note: some words, on a real day, written at a real time."""
    note, day, created = row.get("note"), row.get("day"), row.get("created_at")
    if not isinstance(note, str) or not note.strip():
        raise ValueError('its "note" has no words')
    try:
        parsed_day = date.fromisoformat(day) if isinstance(day, str) else None
    except ValueError:
        parsed_day = None
    if parsed_day is None:
        raise ValueError(f'its "day" ({day!r}) is not a date such as 2026-11-03')
    if problem := moment_problem(datetime.combine(parsed_day, time(12), tzinfo=UTC)):
        raise ValueError(f'its "day" ({day!r}) {problem}; {RANGE_WORDS}')
    try:
        when = datetime.fromisoformat(created) if isinstance(created, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise ValueError(f'its "created_at" ({created!r}) is not a time such as '
                         "2026-11-03T21:15:00-05:00")  # fmt: skip
    if problem := moment_problem(when):
        raise ValueError(f'its "created_at" ({created!r}) {problem}; {RANGE_WORDS}')
    return {**row, "note": note.strip(), "day": parsed_day.isoformat(),
            "created_at": when.isoformat()}  # fmt: skip


def _old_notes(records: dict[str, Any], refs: ExportRefs) -> Iterator[OldRow]:
    """Notes as an export of voiceglimmer 0.1 kept them: a list of "reflections"."""
    listed = records.get("reflections", [])
    if not isinstance(listed, list):
        raise ImportRefused('The export\'s "reflections" is not a list; nothing was imported.')
    for number, item in enumerate(listed, start=1):
        where = f"Reflection number {number} in the file"
        if not isinstance(item, dict):
            raise ImportRefused(f"{where} is not a reflection; nothing was imported.")
        fields = ("id", "day", "created_at", "note", "glimmer_id")
        yield OldRow("notes", where, {k: v for k, v in item.items() if k in fields})


SCHEMA = PluginSchema(
    tables=(PluginTable("notes", glimmer_column="glimmer_id", check=_check_note),),
    migrations=(
        """
        CREATE TABLE reflect_notes (
            id INTEGER PRIMARY KEY,
            day TEXT NOT NULL,
            created_at TEXT NOT NULL,
            note TEXT NOT NULL,
            glimmer_id INTEGER REFERENCES glimmers (id) ON DELETE SET NULL
        );
        CREATE INDEX reflect_notes_by_day ON reflect_notes (day);
        INSERT INTO reflect_notes (id, day, created_at, note, glimmer_id)
            SELECT id, day, created_at, note, glimmer_id FROM reflections;
        DROP TABLE reflections;
        """,
    ),
    from_old_export=_old_notes,
)


@hookimpl
def journal_schema() -> PluginSchema:
    return SCHEMA


def _store(journal: Journal) -> PluginStore:
    return journal.plugin_store(NAME, SCHEMA)


def add_reflection(
    journal: Journal,
    day: date | str,
    note: str,
    *,
    created_at: datetime,
    glimmer_id: int | None = None,
) -> Reflection:
    """Add a note to a day (its local date); committed when this returns."""
    note = note.strip()
    if not note:
        raise ValueError("a reflection needs some words")
    day = date.fromisoformat(day) if isinstance(day, str) else day
    if created_at.tzinfo is None or created_at.utcoffset() is None:
        raise ValueError("journal times must carry a time zone")
    cursor = _store(journal).execute(
        "INSERT INTO reflect_notes (day, created_at, note, glimmer_id) VALUES (?, ?, ?, ?)",
        (day.isoformat(), created_at.isoformat(), note, glimmer_id),
    )
    return Reflection(int(cursor.lastrowid or 0), day, created_at, note, glimmer_id)


def reflections(journal: Journal, day: date | str | None = None) -> list[Reflection]:
    """The notes of one day (every note when ``day`` is None), oldest first."""
    query = "SELECT id, day, created_at, note, glimmer_id FROM reflect_notes"
    params: tuple[str, ...] = ()
    if day is not None:
        query += " WHERE day = ?"
        params = (day if isinstance(day, str) else day.isoformat(),)
    rows = _store(journal).query(query + " ORDER BY day, created_at, id", params)
    return [
        Reflection(r[0], date.fromisoformat(r[1]), datetime.fromisoformat(r[2]), r[3], r[4])
        for r in rows
    ]


# -- the note at the end ---------------------------------------------------------

NOTE_OFFER = "Would you like to add a note to today? Say it now, or say skip."


def _note_offer(glimmer_id: int | None) -> tuple[str, FollowUp]:
    def take(answer: Turn) -> Reply:
        text = answer.slots["answer"].strip()
        if yes_or_no(text) is True:
            return Reply.say(
                "Go ahead. What would you like to note?",
                follow_up=FollowUp(on_answer=take, kind="text", name="note"),
            )
        if _is_none(text):
            return Reply.say("Okay. Thank you for looking back on today.")
        return _add_note(answer, text, glimmer_id)

    return NOTE_OFFER, FollowUp(on_answer=take, kind="text", name="note")


def _add_note(turn: Turn, note: str, glimmer_id: int | None = None) -> Reply:
    reflection = add_reflection(
        turn.journal, turn.now.date(), note, created_at=turn.now, glimmer_id=glimmer_id
    )
    return Reply.say(
        "Added to today's notes.",
        data={"reflection_id": reflection.id, "day": reflection.day.isoformat()},
    )


def _then_offer_note(turn: Turn, reply: Reply, glimmer_id: int | None) -> Reply:
    """End ``reply`` with the note offer; if it asks something first (a calm
    check), offer the note once that conversation is done. Never after a
    crisis reply, and not when the person moved on to something else."""
    moved_on = turn.routed is not None and turn.routed.reply is not reply
    if reply.data.get("crisis") or moved_on:
        return reply
    follow_up = reply.follow_up
    if follow_up is None:
        question, reply.follow_up = _note_offer(glimmer_id)
        reply.add(question)
        return reply
    original = follow_up.on_answer

    def then(answer: Turn) -> Reply | str | None:
        result = original(answer)
        if isinstance(result, str):
            result = Reply.say(result)
        if not isinstance(result, Reply) or answer.routed is not None:
            return result
        return _then_offer_note(answer, result, glimmer_id)

    follow_up.on_answer = then
    return reply


# -- savoring the one that stayed ------------------------------------------------


def _offer_savor(turn: Turn, glimmer: Glimmer, opening: str, *, again: bool = True) -> Reply:
    turn.use(glimmer)
    if not turn.can_route("savor it"):
        question, follow_up = _note_offer(glimmer.id)
        return Reply.say(opening, question, glimmer_id=glimmer.id, follow_up=follow_up)

    def answered(answer: Turn) -> Reply:
        if answer.slots["answer"] != "yes":
            question, follow_up = _note_offer(glimmer.id)
            return Reply.say("Okay.", question, follow_up=follow_up)
        answer.use(glimmer)
        reply = answer.route("savor it")
        answer.routed = None  # the follow-ups below belong to this reflection too
        return _then_offer_note(answer, reply, glimmer.id)

    return Reply.say(
        opening,
        "Would you like to savor it again?"
        if again
        else "Would you like to savor it for a moment?",
        glimmer_id=glimmer.id,
        follow_up=FollowUp(on_answer=answered, name="savor"),
    )


def _chosen(turn: Turn, glimmer: Glimmer) -> Reply:
    return _offer_savor(
        turn, glimmer, f"{capitalised(quote(_said(glimmer)))}: a good one to keep close."
    )


def _which(glimmers: Sequence[Glimmer]) -> Callable[[Turn], Reply]:
    ids = [g.id for g in glimmers]

    def answered(turn: Turn) -> Reply:
        text = turn.slots["answer"]
        today = [g for g in (turn.journal.get(i) for i in ids) if g is not None]
        found = match_answer(text, today)
        if found is not None:
            return _chosen(turn, found)
        if _all().match(" ".join(_words(text))):
            question, follow_up = _note_offer(None)
            return Reply.say("All of them, then. A good day for glimmers.", question,
                             follow_up=follow_up)  # fmt: skip
        if _is_none(text):
            question, follow_up = _note_offer(None)
            return Reply.say("That's okay. Noticing them at all is the practice.", question,
                             follow_up=follow_up)  # fmt: skip
        return _offer_to_save(text)

    return answered


def _offer_to_save(text: str) -> Reply:
    """An answer that isn't one of today's glimmers may be a new one."""
    words = _answer_prefix().sub("", text).strip() or text

    def answered(turn: Turn) -> Reply:
        if turn.slots["answer"] != "yes":
            question, follow_up = _note_offer(None)
            return Reply.say("Okay.", question, follow_up=follow_up)
        glimmer = turn.save_glimmer(words)
        return _offer_savor(turn, glimmer, ended(f"Saved: {quote(_said(glimmer))}"), again=False)

    return Reply.say(
        f"That isn't one of today's glimmers. Shall I save {quote(reflect(words))} as one?",
        follow_up=FollowUp(on_answer=answered, name="save"),
    )


# -- a day with none yet ---------------------------------------------------------

FIND_ONE = "Was there a moment, even a small one, that felt a little easier?"


def _find_one(turn: Turn) -> Reply:
    text = turn.slots["answer"]
    if yes_or_no(text) is True:
        return Reply.say(
            "What was it?", follow_up=FollowUp(on_answer=_find_one, kind="text", name="find")
        )
    if _is_none(text):
        question, follow_up = _note_offer(None)
        return Reply.say(
            "That's okay. Some days are like that, and tomorrow is a new one.",
            question,
            follow_up=follow_up,
        )
    words = _answer_prefix().sub("", text).strip() or text
    glimmer = turn.save_glimmer(words)
    return _offer_savor(
        turn, glimmer, f"Saved: {quote(_said(glimmer))}. Glad you found it.", again=False
    )


# -- handlers ---------------------------------------------------------------------


def reflect_on_today(turn: Turn) -> Reply:
    today = _today(turn)
    if not today:
        return Reply.say(
            "You haven't noted a glimmer today yet.",
            FIND_ONE,
            data={"count": 0},
            follow_up=FollowUp(on_answer=_find_one, kind="text", name="find"),
        )
    said = [_said(g) for g in today[:READ_AT_MOST]]
    more = len(today) - len(said)
    listed = "; ".join(said[:-1]) + ("; and " if len(said) > 1 else "") + said[-1]
    if more:
        listed += f"; and {plural(more, 'more')}"
    opening = f"Today you noted {plural(len(today), 'glimmer')}: {listed}."
    data = {"count": len(today), "read": [g.id for g in today[:READ_AT_MOST]]}
    if len(today) == 1:
        reply = _offer_savor(turn, today[0], opening)
        reply.data.update(data)
        return reply
    turn.use(today[-1])
    return Reply.say(
        opening,
        "Which one stayed with you most?",
        data=data,
        follow_up=FollowUp(on_answer=_which(today), kind="text", name="which"),
    )


def add_note(turn: Turn) -> Reply:
    note = turn.slots.get("note", "").strip()
    if not note:
        return Reply.say(
            "What would you like to note about today?",
            follow_up=FollowUp(on_answer=_note_answer, kind="text", name="note"),
        )
    return _add_note(turn, note)


def _note_answer(turn: Turn) -> Reply:
    text = turn.slots["answer"].strip()
    if _is_none(text):
        return Reply.say("Okay, no note.")
    return _add_note(turn, text)


@hookimpl
def register_intents(register):
    # The sentences are data, in reflect.yaml beside this file; what answers them is here.
    handlers = {"reflect": reflect_on_today, "add_note": add_note}
    for intent in Intent.from_data(__name__, handlers, priority=10):
        register(intent)
