"""The rituals plugin: reminders that invite glimmers in on purpose.

The practice grows with daily repetition and with routines that make room
for glimmers (a minute of morning sun, an evening look back). This plugin
keeps those as reminders in the journal: "remind me to look for glimmers at
8am", "every evening at 9 ask me to reflect", "turn on the morning ritual".
They are spoken while ``voiceglimmer run`` is listening; the speech loop
asks the journal which are due and says :func:`reminder_speech` for each::

    for reminder in due_reminders(journal, now):
        say(reminder_speech(reminder))
        mark_reminder_fired(journal, reminder.id, now)

Times are read from ordinary speech ("8am", "7:30", "nine in the evening",
"half past seven") by :mod:`voiceglimmer.dialog.when`, the same reading the rest of
the app uses. A time without am or pm is read by its context ("every evening
at 9" is 9 pm; a reflection at 9 is 9 pm; otherwise 1 to 6 are afternoon and
7 to 12 morning or noon), and the reply always says the time back with am or
pm so a wrong guess is heard at once.

``voiceglimmer.dialog.when`` is imported by the handlers that read times, so a start
that sets no reminder doesn't pay for it.

Registered as the ``rituals`` plugin; adds the
``voiceglimmer reminders`` command.
"""

from __future__ import annotations

import argparse
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from voiceglimmer import (
    RANGE_WORDS,
    App,
    ExportRefs,
    FollowUp,
    ImportRefused,
    Intent,
    Journal,
    OldRow,
    PluginSchema,
    PluginStore,
    PluginTable,
    Reply,
    Subparsers,
    Turn,
    UserError,
    for_terminal,
    hookimpl,
    moment_problem,
    plural,
    reflect,
    spoken_list,
)

#: What each kind of reminder is for, as said in a confirmation ("I'll remind you to ...").
KINDS = {
    "look": "look for glimmers",
    "reflect": "reflect on your day",
    "savor": "savor a glimmer",
    "morning": "take a minute of morning light",
}
MORNING_AT = time(8, 0)

_SPEECH = {
    "look": "A gentle nudge: is there a glimmer near you right now? Something you can see, "
    "hear or feel that's a little bit good.",
    "reflect": "It's time to look back on your day. Say let's reflect when you're ready.",
    "savor": "A moment to savor: say savor my last glimmer, or remind me of a glimmer.",
    "morning": "Good morning. If you can, take a minute in the light, by a window or outside, "
    "and notice how it feels.",
}


def reminder_speech(reminder: Reminder) -> str:
    """What the speech loop says when ``reminder`` is due."""
    if reminder.kind in _SPEECH:
        return _SPEECH[reminder.kind]
    what = reflect(reminder.message).rstrip(" .") or "pause for a glimmer"
    return f"A reminder you asked for: {what}."


# -- the reminders table ----------------------------------------------------------------
#
# The plugin's own table in the journal (``rituals_reminders``). Until voiceglimmer
# 0.1 it was the core's ``reminders`` table; the first migration moves it here.

NAME = "rituals"
#: When a reminder repeats: every day, on weekdays, at weekends, or on the
#: named days ("mon,wed,fri").
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SETS = {"daily": WEEKDAYS, "weekdays": WEEKDAYS[:5], "weekends": WEEKDAYS[5:]}


def days_of(days: str) -> tuple[str, ...]:
    """'daily' / 'weekdays' / 'weekends' / 'mon,thu' as weekday names; ValueError otherwise."""
    key = days.strip().lower()
    if key in DAY_SETS:
        return DAY_SETS[key]
    named = tuple(d.strip()[:3] for d in key.split(",") if d.strip())
    if not named or any(d not in WEEKDAYS for d in named):
        raise ValueError(f"unknown reminder days {days!r}")
    return tuple(d for d in WEEKDAYS if d in named)


@dataclass(frozen=True)
class Reminder:
    """A daily (or weekly-pattern) nudge toward the practice.

    ``kind`` says what it is for ("look", "reflect", "morning", "custom");
    ``at`` is a local wall-clock time, so a reminder at 08:00 stays at 08:00
    across daylight-saving changes and travel.
    """

    id: int
    kind: str
    at: time
    days: str
    message: str
    created_at: datetime
    last_fired: datetime | None = None
    enabled: bool = True

    @property
    def weekdays(self) -> tuple[str, ...]:
        """The days it repeats on, as three-letter names."""
        return days_of(self.days)


def _hhmm(at: time | str) -> str:
    """'HH:MM' from a time or from '8:00' / '08:00'; ValueError for anything else."""
    if isinstance(at, str):
        found = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", at)
        if not found:
            raise ValueError(f"a reminder time looks like 08:00, not {at!r}")
        at = time(int(found.group(1)), int(found.group(2)))
    return f"{at.hour:02d}:{at.minute:02d}"


_FIELDS = ("id", "kind", "at", "days", "message", "created_at", "last_fired", "enabled")
_COLUMNS = ", ".join(_FIELDS)


def _reminder(row: tuple[Any, ...]) -> Reminder:
    return Reminder(
        id=row[0],
        kind=row[1],
        at=time.fromisoformat(row[2]),
        days=row[3],
        message=row[4],
        created_at=datetime.fromisoformat(row[5]),
        last_fired=datetime.fromisoformat(row[6]) if row[6] else None,
        enabled=bool(row[7]),
    )


def _moment(row: dict[str, Any], name: str, *, optional: bool = False) -> str | None:
    value = row.get(name)
    if value is None and optional:
        return None
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise ValueError(f'its "{name}" ({value!r}) is not a time such as 2026-11-03T09:15-05:00')
    if problem := moment_problem(when):
        raise ValueError(f'its "{name}" ({value!r}) {problem}; {RANGE_WORDS}')
    return when.isoformat()


def _check_reminder(row: dict[str, Any]) -> dict[str, Any]:
    """An imported reminder: a kind, a time of day, days that exist, real times."""
    kind, days, at = row.get("kind"), row.get("days", "daily"), row.get("at")
    if not isinstance(kind, str) or not kind.strip():
        raise ValueError(f'its "kind" ({kind!r}) is empty or not text')
    try:
        days_of(days if isinstance(days, str) else "")
    except ValueError:
        raise ValueError(f'its "days" ({days!r}) names no days of the week') from None
    try:
        hhmm = _hhmm(at if isinstance(at, str) else "")
    except ValueError:
        raise ValueError(f'its "at" ({at!r}) is not a time of day such as 08:00') from None
    message = row.get("message", "")
    if not isinstance(message, str):
        raise ValueError(f'its "message" ({message!r}) is not text')
    enabled = row.get("enabled", True)
    if not isinstance(enabled, bool | int):
        raise ValueError(f'its "enabled" ({enabled!r}) is not true or false')
    return {
        **row,
        "kind": kind.strip(),
        "at": hhmm,
        "days": days,
        "message": message.strip(),
        "created_at": _moment(row, "created_at"),
        "last_fired": _moment(row, "last_fired", optional=True),
        "enabled": bool(enabled),
    }


def _old_reminders(records: dict[str, Any], refs: ExportRefs) -> Iterator[OldRow]:
    """Reminders as an export of voiceglimmer 0.1 kept them: a list of their own."""
    listed = records.get("reminders", [])
    if not isinstance(listed, list):
        raise ImportRefused('The export\'s "reminders" is not a list; nothing was imported.')
    for number, item in enumerate(listed, start=1):
        where = f"Reminder number {number} in the file"
        if not isinstance(item, dict):
            raise ImportRefused(f"{where} is not a reminder; nothing was imported.")
        yield OldRow("reminders", where, {k: v for k, v in item.items() if k in _FIELDS})


SCHEMA = PluginSchema(
    tables=(PluginTable("reminders", check=_check_reminder),),
    migrations=(
        """
        CREATE TABLE rituals_reminders (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            at TEXT NOT NULL,
            days TEXT NOT NULL DEFAULT 'daily',
            message TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            last_fired TEXT,
            enabled INTEGER NOT NULL DEFAULT 1
        );
        INSERT INTO rituals_reminders (id, kind, at, days, message, created_at, last_fired,
                                       enabled)
            SELECT id, kind, at, days, message, created_at, last_fired, enabled FROM reminders;
        DROP TABLE reminders;
        """,
    ),
    from_old_export=_old_reminders,
)


@hookimpl
def journal_schema() -> PluginSchema:
    return SCHEMA


def _store(journal: Journal) -> PluginStore:
    return journal.plugin_store(NAME, SCHEMA)


def new_reminder(
    journal: Journal,
    kind: str,
    at: time | str,
    *,
    created_at: datetime,
    message: str = "",
    days: str = "daily",
    enabled: bool = True,
) -> Reminder:
    """Save a reminder at a local time ("08:00"); committed when this returns."""
    if not kind.strip():
        raise ValueError("a reminder needs a kind")
    days_of(days)  # refuse what could never fire
    hhmm = _hhmm(at)
    if created_at.tzinfo is None or created_at.utcoffset() is None:
        raise ValueError("journal times must carry a time zone")
    cursor = _store(journal).execute(
        "INSERT INTO rituals_reminders (kind, at, days, message, created_at, enabled) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (kind.strip(), hhmm, days, message.strip(), created_at.isoformat(), enabled),
    )
    found = find_reminder(journal, int(cursor.lastrowid or 0))
    assert found is not None
    return found


def find_reminder(journal: Journal, reminder_id: int) -> Reminder | None:
    row = _store(journal).one(
        f"SELECT {_COLUMNS} FROM rituals_reminders WHERE id = ?", (reminder_id,)
    )
    return _reminder(row) if row else None


def all_reminders(journal: Journal, *, enabled_only: bool = False) -> list[Reminder]:
    """Every reminder, in the order of the day (then by id)."""
    where = " WHERE enabled = 1" if enabled_only else ""
    rows = _store(journal).query(f"SELECT {_COLUMNS} FROM rituals_reminders{where} ORDER BY at, id")
    return [_reminder(r) for r in rows]


def delete_reminder(journal: Journal, reminder_id: int) -> bool:
    cursor = _store(journal).execute("DELETE FROM rituals_reminders WHERE id = ?", (reminder_id,))
    return cursor.rowcount > 0


def set_reminder_enabled(journal: Journal, reminder_id: int, enabled: bool) -> bool:
    cursor = _store(journal).execute(
        "UPDATE rituals_reminders SET enabled = ? WHERE id = ?", (enabled, reminder_id)
    )
    return cursor.rowcount > 0


def mark_reminder_fired(journal: Journal, reminder_id: int, when: datetime) -> None:
    """Note that a reminder was said, so it is not said again the same day."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("journal times must carry a time zone")
    _store(journal).execute(
        "UPDATE rituals_reminders SET last_fired = ? WHERE id = ?", (when.isoformat(), reminder_id)
    )


def due_reminders(journal: Journal, now: datetime) -> list[Reminder]:
    """Enabled reminders whose time has come today and that have not fired today.

    "Today" and the reminder's time are in ``now``'s time zone. A reminder
    set after its time today (8 am, set at 3 pm) first fires tomorrow:
    a nudge right after asking for it would only be noise.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("journal times must carry a time zone")
    today, weekday = now.date(), WEEKDAYS[now.weekday()]
    due = []
    for item in all_reminders(journal, enabled_only=True):
        moment = datetime.combine(today, item.at, tzinfo=now.tzinfo)
        if weekday not in item.weekdays or moment > now:
            continue
        if item.created_at > moment:
            continue
        fired = item.last_fired
        if fired is not None and fired.astimezone(now.tzinfo).date() >= today:
            continue
        due.append(item)
    return due


# -- reading times and days --------------------------------------------------------

_DAY_NAMES = {
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}
_DAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)days?"


# Patterns are kept as strings and compiled by ``re`` (which caches them) on first use, not at
# import: every plugin loads at start-up within one shared time budget, and these are needed only
# once a reminder is being set.
_NAMED_DAYS = (  # "every Monday and Thursday", "on Sundays"
    rf"(?i)\b(?:every|on|each)\s+(?P<days>{_DAY}(?:(?:\s*,\s*|\s+and\s+|\s+)(?:and\s+)?{_DAY})*)"
)
_REPEATS = (  # the other ways to say how often: "on weekdays", "every evening", "daily"
    r"(?i)\b(?:(?:every|each|on)\s+(?:week\s?day|weekday)s?|weekdays)\b(?P<weekdays>)"
    r"|\b(?:(?:every|each|on|at)\s+(?:the\s+)?weekends?|weekends)\b(?P<weekends>)"
    r"|\b(?:every|each)\s+(?:single\s+)?(?:day|morning|evening|night|afternoon)\b"
    r"|\bdaily\b|\bin the (?:morning|evening|afternoon)\b|\bat night\b|\btonight\b"
    r"|\bmornings\b|\bevenings\b"
)


class ReminderError(ValueError):
    """Words that can't become a reminder, with the reason worded for the person."""


@dataclass(frozen=True)
class Request:
    """A reminder as understood from words, before it is saved."""

    kind: str
    at: time | None
    days: str
    message: str


def _time_said(text: str) -> str | None:
    """The words in ``text`` that say a time. A short answer or a name ("9", "the 8 one") has
    no "at" before its number, so that is tried as well."""
    from voiceglimmer import find_clock  # deferred: see the module docstring

    for candidate in (text, f"at {text}"):
        if span := find_clock(candidate):
            return candidate[span[0] : span[1]]
    return None


def _reminder_time(phrase: str, context: str = "", kind: str = "") -> time:
    """``phrase`` as the time a reminder fires; ``context`` (the whole sentence) and ``kind``
    settle am or pm: a reflection is for the evening, and "at 3" is more likely tea than 3 am."""
    from voiceglimmer import WhenError, parse_clock  # deferred: see the module docstring

    try:
        clock = parse_clock(phrase, context, pm_hours=range(1, 13 if kind == "reflect" else 7))
    except WhenError:
        said = re.sub(r"^(?:at|around)\s+", "", phrase, flags=re.IGNORECASE)
        raise ReminderError(f"{said} isn't a time of day. Try, for example: at 8 am.") from None
    if clock is None:
        raise ReminderError(f"I couldn't read {phrase!r} as a time. Try, for example: at 8 am.")
    return clock.at


def _days(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The repeat pattern ('daily', 'weekdays', 'mon,thu'...) and where it was said."""
    spans: list[tuple[int, int]] = []
    days = "daily"
    if m := re.search(_NAMED_DAYS, text):
        named = re.findall(_DAY, m.group("days"), re.IGNORECASE)
        found = {_DAY_NAMES[d.lower().rstrip("s")] for d in named}
        days = ",".join(d for d in WEEKDAYS if d in found)
        spans.append(m.span())
    for m in re.finditer(_REPEATS, text):
        if m.group("weekdays") is not None:
            days = "weekdays"
        elif m.group("weekends") is not None:
            days = "weekends"
        spans.append(m.span())
    return days, spans


def _kind(what: str) -> tuple[str, str]:
    """(kind, message) for what the person wants to be reminded of."""
    words = what.lower()
    if re.search(r"\b(reflect|reflection|look back|review (?:my|the) day)\b", words):
        return "reflect", ""
    if re.search(r"\bglimmers?\b", words) and re.search(
        r"\b(look|notice|find|spot|watch|search|keep an eye|catch|log|note)\b", words
    ):
        return "look", ""
    if re.fullmatch(r"(?:to\s+)?savou?r(?:\s+(?:a|my|one)?\s*glimmers?)?", words.strip()):
        return "savor", ""
    return "custom", what


_WHAT = (  # where what to be reminded of starts: "remind me to ...", "a reminder about ..."
    r"(?i)\b(?:me|us)\s+to\s+(?P<a>.+)$|\bto\s+(?P<b>.+)$|\b(?:about|of)\s+(?P<c>.+)$"
)
_LEFTOVER = (  # joining words left at either end once the time and the days are cut out
    r"(?i)^(?:and|then|please|to|,|\s)+|(?:\s|,|\.|!|\?|\band\b|\bplease\b|\bthen\b)+$"
)


def parse_request(text: str) -> Request:
    """A reminder from one sentence; ``at`` is None when no time was said."""
    from voiceglimmer import find_clock  # deferred: see the module docstring

    text = " ".join(text.replace("\u2019", "'").split())
    found = find_clock(text)
    days, day_spans = _days(text)
    # the "to" of "at quarter to eight" doesn't start what to do, so the time is blanked first
    time_from, time_to = found or (0, 0)
    m = re.search(_WHAT, text[:time_from] + " " * (time_to - time_from) + text[time_to:])
    what = ""
    if m:
        start = m.start(next(g for g in ("a", "b", "c") if m.group(g) is not None))
        # cut the time and the days out of the part that says what to do
        cuts = [s for s in [*day_spans, *([found] if found else [])] if s[1] > start]
        pieces, position = [], start
        for a, b in sorted(cuts):
            if a >= position:
                pieces.append(text[position:a])
                position = b
        pieces.append(text[position:])
        what = " ".join(" ".join(pieces).split())
        what = re.sub(r"\b(?:every|each|on|at)\s*$", "", what).strip()
        previous = None
        while previous != what:
            previous, what = what, re.sub(_LEFTOVER, "", what).strip()
        # "ask me to reflect" said before the time: "... to reflect every evening at 9"
        what = re.sub(r"^(?:ask|remind|tell|nudge|prompt)\s+me\s+to\s+", "", what, flags=re.I)
    kind, message = _kind(what) if what else ("look", "")
    at = _reminder_time(text[found[0] : found[1]], text, kind) if found else None
    return Request(kind=kind, at=at, days=days, message=message)


# -- saying reminders ---------------------------------------------------------------


def say_time(at: time) -> str:
    """'8 am', '7:30 am', '9 pm', 'noon', 'midnight'."""
    if at == time(12, 0):
        return "noon"
    if at == time(0, 0):
        return "midnight"
    hour = at.hour % 12 or 12
    minutes = f":{at.minute:02d}" if at.minute else ""
    return f"{hour}{minutes} {'am' if at.hour < 12 else 'pm'}"


def say_days(days: str) -> str:
    """'every day', 'on weekdays', 'at weekends', 'every Monday and Thursday'."""
    key = days.strip().lower()
    if key == "daily":
        return "every day"
    if key == "weekdays":
        return "on weekdays"
    if key == "weekends":
        return "at weekends"
    names = {v: k.capitalize() for k, v in _DAY_NAMES.items()}
    return "every " + spoken_list([names[d] for d in days_of(days)])


def say_what(reminder: Reminder | Request) -> str:
    if reminder.kind in KINDS:
        return KINDS[reminder.kind]
    return reflect(reminder.message).rstrip(" .") or "pause for a glimmer"


def describe(reminder: Reminder) -> str:
    """'at 8 am every day, to look for glimmers'."""
    return f"at {say_time(reminder.at)} {say_days(reminder.days)}, to {say_what(reminder)}"


# -- by voice -------------------------------------------------------------------------


def _save(turn: Turn, request: Request, at: time) -> Reply:
    for existing in all_reminders(turn.journal):
        if (existing.kind, existing.at, existing.days, existing.message) == (
            request.kind,
            at,
            request.days,
            request.message,
        ):
            return Reply.say(
                f"You already have that one: {describe(existing)}.",
                data={"reminder_id": existing.id},
            )
    reminder = new_reminder(
        turn.journal,
        request.kind,
        at,
        created_at=turn.now,
        message=request.message,
        days=request.days,
    )
    return Reply.say(
        f"Okay. {say_days(reminder.days).capitalize()} at {say_time(reminder.at)}, "
        f"I'll remind you to {say_what(reminder)}.",
        data={"reminder_id": reminder.id, "at": f"{reminder.at:%H:%M}", "days": reminder.days},
    )


def add_reminder(turn: Turn) -> Reply:
    try:
        request = parse_request(turn.utterance.text)
    except ReminderError as exc:
        return Reply.say(str(exc))
    if request.at is not None:
        return _save(turn, request, request.at)

    def when(answer: Turn, tries: int = 1) -> Reply:
        text = answer.slots["answer"]
        said = _time_said(text)
        if said is None:
            if tries >= 2:
                return Reply.say("I still didn't catch a time, so I've left it for now.")
            return Reply.say(
                "I didn't catch a time. Try, for example: at 8 am.",
                follow_up=FollowUp(
                    on_answer=lambda a: when(a, tries + 1), kind="text", name="when"
                ),
            )
        try:
            at = _reminder_time(said, text, request.kind)
        except ReminderError as exc:
            return Reply.say(str(exc))
        return _save(answer, request, at)

    return Reply.say(
        f"What time should I remind you to {say_what(request)}?",
        follow_up=FollowUp(on_answer=when, kind="text", name="when"),
    )


def _listing(reminders: list[Reminder]) -> str:
    """Reminders read one after another; semicolons, since each has a comma inside."""
    lines = [describe(r) for r in reminders]
    return "; ".join(lines[:-1]) + ("; and " if len(lines) > 1 else "") + lines[-1]


def list_reminders(turn: Turn) -> Reply:
    reminders = all_reminders(turn.journal, enabled_only=True)
    if not reminders:
        return Reply.say(
            "You don't have any reminders. You could say: remind me to look for glimmers at 8 am.",
            data={"count": 0},
        )
    return Reply.say(
        f"You have {plural(len(reminders), 'reminder')}: {_listing(reminders)}.",
        data={"count": len(reminders), "ids": [r.id for r in reminders]},
    )


def matching(journal: Journal, which: str) -> list[Reminder]:
    """The reminders ``which`` describes: "the 8am one", "number 2", "the reflection one"."""
    from voiceglimmer import WhenError, parse_clock  # deferred: see the module docstring

    reminders = all_reminders(journal)
    text = which.lower()
    if m := re.search(r"\b(?:number|no\.?|#)\s*(\d+)\b", text):
        return [r for r in reminders if r.id == int(m.group(1))]
    if re.search(r"\b(all|every|each)\b", text):
        return reminders
    said = _time_said(text)
    found = None
    if said:
        with contextlib.suppress(WhenError):  # "the 25:00 one" names no reminder by its time
            found = parse_clock(said, context=text)
    if found and found.settled:
        reminders = [r for r in reminders if r.at == found.at]
    elif found:  # "the 8 o'clock one" means 8 am or 8 pm, whichever there is
        at = found.at
        reminders = [
            r for r in reminders if r.at.minute == at.minute and r.at.hour % 12 == at.hour % 12
        ]
    kinds = {
        "reflect": r"\breflect(?:ion|ing)?\b",
        "look": r"\b(?:look|looking|glimmers?)\b",
        "morning": r"\b(?:morning ritual|ritual|sun|sunlight|light)\b",
        "savor": r"\bsavou?r(?:ing)?\b",
    }
    for kind, pattern in kinds.items():
        if re.search(pattern, text):
            same = [r for r in reminders if r.kind == kind]
            if same:
                return same
    if re.search(r"\bmorning\b", text):
        reminders = [r for r in reminders if r.at.hour < 12]
    elif re.search(r"\b(evening|night|afternoon)\b", text):
        reminders = [r for r in reminders if r.at.hour >= 12]
    words = set(re.findall(r"[a-z]{3,}", text)) - {"the", "reminder", "reminders", "one", "that"}
    custom = [r for r in reminders if words & set(re.findall(r"[a-z]{3,}", r.message.lower()))]
    return custom or (reminders if found or re.search(r"morning|evening|night", text) else [])


def _remove(turn: Turn, reminders: list[Reminder]) -> Reply:
    for r in reminders:
        delete_reminder(turn.journal, r.id)
    if len(reminders) == 1:
        return Reply.say(
            f"Okay, I removed the reminder {describe(reminders[0])}.",
            data={"removed": [reminders[0].id]},
        )
    return Reply.say(
        f"Okay, I removed {plural(len(reminders), 'reminder')}.",
        data={"removed": [r.id for r in reminders]},
    )


def cancel_reminder(turn: Turn) -> Reply:
    which = turn.slots.get("which", "")
    all_of_them = bool(re.search(r"\ball\b", turn.utterance.text.lower()))
    everything = all_reminders(turn.journal)
    if not everything:
        return Reply.say("You don't have any reminders to cancel.")
    found = everything if all_of_them else matching(turn.journal, which) if which else everything
    if not found:
        return Reply.say(
            f"I couldn't find that reminder. {list_reminders(turn).text}",
            data={"removed": []},
        )
    if len(found) == 1 and not all_of_them:
        return _remove(turn, found)

    def confirm(answer: Turn) -> Reply:
        if answer.slots["answer"] != "yes":
            return Reply.say("Okay, I kept them.")
        return _remove(answer, found)

    listed = _listing(found)
    which_ones = "both reminders" if len(found) == 2 else f"all {len(found)} reminders"
    if len(found) == 1:
        which_ones = "your only reminder"
    return Reply.say(
        f"Remove {which_ones}: {listed}?",
        follow_up=FollowUp(on_answer=confirm, name="remove"),
    )


def morning_on(turn: Turn) -> Reply:
    said = turn.slots.get("time")
    at = MORNING_AT
    if said:
        phrase = _time_said(said)
        if phrase is None:
            return Reply.say(f"I couldn't read {said!r} as a time. Try: at 7 am.")
        try:
            at = _reminder_time(phrase, context="morning")
        except ReminderError as exc:
            return Reply.say(str(exc))
    existing = [r for r in all_reminders(turn.journal) if r.kind == "morning"]
    for r in existing:
        delete_reminder(turn.journal, r.id)
    reminder = new_reminder(turn.journal, "morning", at, created_at=turn.now)
    return Reply.say(
        f"The morning ritual is on: every day at {say_time(at)}, "
        "a nudge to take a minute of morning light.",
        data={"reminder_id": reminder.id, "at": f"{at:%H:%M}"},
    )


def morning_off(turn: Turn) -> Reply:
    existing = [r for r in all_reminders(turn.journal) if r.kind == "morning"]
    if not existing:
        return Reply.say("The morning ritual isn't on.")
    for r in existing:
        delete_reminder(turn.journal, r.id)
    return Reply.say("Okay, the morning ritual is off.", data={"removed": [r.id for r in existing]})


@hookimpl
def register_intents(register):
    # The sentences are data, in rituals.yaml beside this file; what answers them is here.
    handlers = {
        "add_reminder": add_reminder,
        "list_reminders": list_reminders,
        "cancel_reminder": cancel_reminder,
        "morning_on": morning_on,
        "morning_off": morning_off,
    }
    for intent in Intent.from_data(__name__, handlers, priority=10):
        register(intent)


# -- voiceglimmer reminders ------------------------------------------------------------


def _row(reminder: Reminder) -> str:
    off = "" if reminder.enabled else "  (off)"
    days = say_days(reminder.days)
    # the message is the person's own words: shown, never obeyed, by a terminal
    return (
        f"#{reminder.id:<4}{reminder.at:%H:%M}  {days:<22}{for_terminal(say_what(reminder))}{off}"
    )


def list_command(args: argparse.Namespace, app: App) -> int:
    reminders = all_reminders(app.journal)
    if not reminders:
        print('No reminders. Add one with: voiceglimmer reminders add "at 8am look for glimmers"')
        return 0
    for reminder in reminders:
        print(_row(reminder))
    return 0


def remove_command(args: argparse.Namespace, app: App) -> int:
    reminder = find_reminder(app.journal, args.id)
    if reminder is None or not delete_reminder(app.journal, args.id):
        raise UserError(f"There is no reminder #{args.id}. `voiceglimmer reminders` lists them.")
    print(f"Removed reminder #{reminder.id}: {describe(reminder)}.")
    return 0


def add_command(args: argparse.Namespace, app: App) -> int:
    words = " ".join(args.words)
    try:
        request = parse_request(words if re.search(r"\bto\b", words) else f"to {words}")
    except ReminderError as exc:
        raise UserError(str(exc)) from exc
    if request.at is None:
        raise UserError(f'No time in "{words}". Say when, e.g. "at 8am look for glimmers".')
    reminder = new_reminder(
        app.journal,
        request.kind,
        request.at,
        created_at=app.clock(),
        message=request.message,
        days=request.days,
    )
    print(f"Added {_row(reminder)}")
    return 0


@hookimpl
def register_commands(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "reminders",
        help="list reminders (spoken while `voiceglimmer run` listens), add or remove one",
        description="Reminders are spoken while `voiceglimmer run` is listening.",
    )
    p.set_defaults(func=list_command)
    sub = p.add_subparsers(dest="reminders_command", metavar="SUBCOMMAND")
    sub.add_parser("list", help="list reminders (the default)").set_defaults(func=list_command)
    remove = sub.add_parser("remove", help="remove a reminder by its number")
    remove.add_argument("id", type=int, help="the number `voiceglimmer reminders` shows")
    remove.set_defaults(func=remove_command)
    add = sub.add_parser("add", help='add one from words, e.g. "every evening at 9 reflect"')
    add.add_argument("words", nargs="+", help="when and what, as you would say it")
    add.set_defaults(func=add_command)


@hookimpl
def announcements(now, journal):
    """Due reminders, spoken once each by a running voice loop."""
    due = due_reminders(journal, now)
    for reminder in due:
        mark_reminder_fired(journal, reminder.id, now)
    return [reminder_speech(r) for r in due]
