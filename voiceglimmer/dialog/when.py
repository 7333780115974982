"""Turn spoken or typed date/time phrases into concrete local times.

People recall glimmers by day ("what did I notice yesterday?") and backfill them by time
("log it for last night"). The words usually arrive from a speech recogniser, so numbers may be
spelled out ("november the twenty first", "two days ago") and punctuation is unreliable. This
module resolves such phrases against a tz-aware ``now`` entirely offline, always looking
*backwards*: a journal only holds moments that already happened, so a date without a year that
would land in the future means the most recent past one.

Spans run from local midnight to local midnight, built with ``datetime.combine`` so that days
across daylight-saving changes are 23 or 25 hours long rather than a naive 24.

Clock times ("8am", "half past seven", "nine in the evening") are read here too, for moments
and for the rituals plugin's reminders (:func:`parse_clock`, :func:`find_clock`), so that every
part of the app understands the same words for a time.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from typing import NamedTuple

from voiceglimmer.wording import MONTHS as _MONTHS
from voiceglimmer.wording import ordinal as _ordinal

__all__ = [
    "Clock",
    "Span",
    "WhenError",
    "find_clock",
    "find_day",
    "find_span",
    "parse_clock",
    "parse_moment",
    "parse_span",
    "say_day",
    "speaks_of_time",
]


@dataclass(frozen=True)
class Span:
    """A half-open stretch of local time, plus the words to say it aloud.

    Both bounds carry ``now``'s tzinfo. Python compares and subtracts datetimes that share a
    tzinfo object as wall-clock times, so measure real durations with ``.timestamp()``.
    """

    start: datetime  # tz-aware, inclusive (local midnight for day-based spans)
    end: datetime  # tz-aware, exclusive
    label: str  # speakable, e.g. "yesterday", "last week", "on Monday the 3rd of November"
    kind: str  # "day" | "week" | "month" | "year" | "range"


class WhenError(ValueError):
    """A phrase could not be resolved; the message is meant to be spoken back to the person.

    It quotes what was heard and suggests phrases that do work, so a voice user can simply try
    again without reading any documentation.
    """


# --------------------------------------------------------------------------------------------
# Vocabulary

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Longest days each month can ever have (February 29 exists in leap years).
_MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_WD = (
    r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tues|tue|weds|wed|thurs|thur|thu|fri|sat|sun)"
)
_MON = (
    r"(january|jan|february|feb|march|mar|april|apr|may|june|jun|july|jul|august|aug"
    r"|september|sept|sep|october|oct|november|nov|december|dec)"
)
_DAYN = r"(?:the )?([0-9]{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?: (?:of |in )?([0-9]{4}))?"
_NUM = r"([0-9]{1,5}|an|a)"
_PART_OF_DAY = r"(morning|afternoon|evening|night)"

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
    "fortieth": 40,
    "fiftieth": 50,
}
_OH_UNITS = [[word] for word in _UNITS if word != "zero"]  # "seven oh five"
_UNIT_ORDINALS = {k: v for k, v in _ORDINALS.items() if v < 10}

# Default clock times for loose parts of the day, used when backfilling a moment.
_PART_HOURS = {"morning": 9, "afternoon": 15, "evening": 19, "night": 21}

_DAY_EXAMPLES = "Try 'yesterday', 'last Monday' or 'November 3rd'."
_MOMENT_EXAMPLES = "Try 'yesterday at 9am', 'Monday evening' or '2026-11-03 09:15'."

# How far into the future a moment may be before we assume a mistake (clock skew, slow speech).
_FUTURE_GRACE = timedelta(seconds=60)


# --------------------------------------------------------------------------------------------
# Small helpers


def _quote(phrase: str) -> str:
    """Echo a phrase back briefly; a recogniser can hand us a whole paragraph by mistake."""
    text = " ".join(phrase.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _day_error(phrase: str, reason: str = "") -> WhenError:
    reason = f" {reason}" if reason else ""
    return WhenError(f"I couldn't tell which day '{_quote(phrase)}' means.{reason} {_DAY_EXAMPLES}")


def _future_error(phrase: str) -> WhenError:
    return WhenError(
        f"'{_quote(phrase)}' is in the future, and a glimmer can only be noticed once it has "
        "happened. Try 'today', 'yesterday' or 'last week'."
    )


def _local(day: date, clock: time, tz: tzinfo) -> datetime:
    """Attach ``tz`` to a wall-clock time, moving non-existent (DST gap) times forward.

    Round-tripping through UTC makes a skipped 02:30 become the real 03:30 and a skipped
    midnight become the first instant the day actually has.
    """
    naive = datetime.combine(day, clock, tzinfo=tz)
    return naive.astimezone(UTC).astimezone(tz)


def _days_span(first: date, last_exclusive: date, tz: tzinfo, label: str, kind: str) -> Span:
    return Span(_local(first, time(), tz), _local(last_exclusive, time(), tz), label, kind)


def _day_label(day: date, today: date) -> str:
    spoken = say_day(day, today)
    return spoken if spoken in ("today", "yesterday") else f"on {spoken}"


def _day_span(day: date, today: date, tz: tzinfo) -> Span:
    return _days_span(day, day + timedelta(days=1), tz, _day_label(day, today), "day")


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _month_span(year: int, month: int, tz: tzinfo, label: str) -> Span:
    next_year, next_month = _add_months(year, month, 1)
    return _days_span(date(year, month, 1), date(next_year, next_month, 1), tz, label, "month")


def _month_label(year: int, month: int, today: date) -> str:
    name = _MONTHS[month - 1]
    return f"in {name}" if year == today.year else f"in {name} {year}"


def _year_span(year: int, tz: tzinfo, label: str) -> Span:
    return _days_span(date(year, 1, 1), date(year + 1, 1, 1), tz, label, "year")


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _count(token: str) -> int:
    return 1 if token in ("a", "an") else int(token)


def _weekday_index(token: str) -> int:
    return [w[:3].lower() for w in _WEEKDAYS].index(token[:3])


def _month_index(token: str) -> int:
    return [m[:3].lower() for m in _MONTHS].index(token[:3]) + 1


# --------------------------------------------------------------------------------------------
# Normalisation


def _read_number(tokens: list[str], i: int) -> tuple[int, bool, int] | None:
    """Read a spelled-out number at ``tokens[i]``: (value, is_ordinal, index after it)."""
    word = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    if word in _ORDINALS:
        return _ORDINALS[word], True, i + 1
    if word in _UNITS:
        return _UNITS[word], False, i + 1
    if word in _TEENS:
        return _TEENS[word], False, i + 1
    if word in _TENS:
        tens = _TENS[word]
        if nxt in _UNITS and nxt != "zero":
            return tens + _UNITS[nxt], False, i + 2
        if nxt in _UNIT_ORDINALS:
            return tens + _UNIT_ORDINALS[nxt], True, i + 2
        return tens, False, i + 1
    return None


def _spoken_year(tokens: list[str], i: int) -> tuple[int, int] | None:
    """Read "twenty twenty five" style years at ``tokens[i]``: (year, index after it)."""
    if i + 1 >= len(tokens) or tokens[i] != "twenty":
        return None
    rest = _read_number(tokens, i + 1)
    if rest and not rest[1] and 10 <= rest[0] <= 99:
        return 2000 + rest[0], rest[2]
    return None


def _words_to_digits(tokens: list[str]) -> list[str]:
    """Rewrite spelled-out numbers as digits ("twenty first" -> "21st", "two" -> "2").

    Also understands spoken years ("twenty twenty five", "two thousand and twenty six") and
    "seven oh five" style minutes, which is how recognisers transcribe them.
    """
    out: list[str] = []
    i = 0
    while i < len(tokens):
        word = tokens[i]
        year = _spoken_year(tokens, i)
        # In "november twenty twenty twenty five" the year is the *last* "twenty twenty five".
        if year and not _spoken_year(tokens, i + 1):
            out.append(str(year[0]))
            i = year[1]
            continue
        if word == "two" and i + 1 < len(tokens) and tokens[i + 1] == "thousand":
            i += 2
            if i < len(tokens) and tokens[i] == "and":
                i += 1
            rest = _read_number(tokens, i) if i < len(tokens) else None
            if rest and not rest[1]:
                out.append(str(2000 + rest[0]))
                i = rest[2]
            else:
                out.append("2000")
            continue
        if word == "oh" and out and out[-1].isdigit() and tokens[i + 1 : i + 2] in _OH_UNITS:
            out.append(f"0{_UNITS[tokens[i + 1]]}")
            i += 2
            continue
        number = _read_number(tokens, i)
        if number is None:
            out.append(word)
            i += 1
            continue
        value, is_ordinal, i = number
        out.append(_ordinal(value) if is_ordinal else str(value))
    return out


def _normalise(phrase: str) -> str:
    """Lower-case, de-punctuate and de-spell a phrase so the grammar below can stay small."""
    s = phrase.lower().replace("\u2019", "'").replace("\u2018", "'")
    s = re.sub(r"(?<=[a-z])'s\b", "", s)  # yesterday's, monday's, last week's
    s = re.sub(r"(?<=[a-z])s'(?=\s|$)", "s", s)  # last two weeks'
    s = re.sub(r"\bo'?\s?clock\b", " oclock", s)
    s = re.sub(r"\b([ap])\.\s?m\b\.?", r"\1m", s)  # a.m. / p. m.
    s = re.sub(r"(?<=[0-9])\.(?=[0-9]{2}\b)", ":", s)  # 7.30pm
    s = re.sub(r"(?<![0-9])[-:]|[-:](?![0-9])", " ", s)  # keep 2026-11-03 and 7:30 only
    s = re.sub(r"(?<![0-9])/|/(?![0-9])", " ", s)  # and 3/14
    s = re.sub(r"[^a-z0-9:/\- ]", " ", s)
    s = re.sub(r"(?<=[0-9])(am|pm)\b", r" \1", s)
    s = " ".join(_words_to_digits(s.split()))
    s = re.sub(r"(?<=[0-9]) ([ap]) m\b", r" \1m", s)  # "9 a m"
    s = re.sub(r"\b(?:a )?couple(?: of)?\b", "2", s)
    return s


def _strip_fillers(s: str) -> str:
    """Drop lead-in words that carry no meaning for *which* day ("on", "from", "the" ...)."""
    while True:
        stripped = re.sub(r"^(?:on|from|for|in|during|earlier|sometime|the(?= [^0-9]))\s+", "", s)
        if stripped == s:
            return s
        s = stripped


# --------------------------------------------------------------------------------------------
# Day / span grammar


def _resolve_weekday(token: str, today: date, strictly_before: bool) -> date:
    back = (today.weekday() - _weekday_index(token)) % 7
    if back == 0 and strictly_before:
        back = 7
    return today - timedelta(days=back)


def _check_weekday(weekday: str | None, day: date, phrase: str) -> None:
    """Catch "Monday the 3rd" when the 3rd was not a Monday, instead of guessing."""
    if weekday and _weekday_index(weekday) != day.weekday():
        actual = _WEEKDAYS[day.weekday()]
        said = _WEEKDAYS[_weekday_index(weekday)]
        when = f"The {_ordinal(day.day)} of {_MONTHS[day.month - 1]} {day.year}"
        raise _day_error(phrase, f"{when} was a {actual}, not a {said}.")


def _check_day_number(day: int, month: int | None, phrase: str) -> None:
    if month is None:
        if not 1 <= day <= 31:
            raise _day_error(phrase, f"No month has a {_ordinal(day)} day.")
    elif not 1 <= day <= _MAX_DAYS[month - 1]:
        raise _day_error(phrase, f"There's no {_ordinal(day)} of {_MONTHS[month - 1]}.")


#: Days of the year people name by their feast: (month, day, days long); Easter moves.
_FEASTS: dict[str, tuple[int, int, int]] = {
    "christmas eve": (12, 24, 1),
    "christmas day": (12, 25, 1),
    "christmas": (12, 24, 3),
    "xmas": (12, 24, 3),
    "boxing day": (12, 26, 1),
    "new years eve": (12, 31, 1),
    "new year eve": (12, 31, 1),
    "hogmanay": (12, 31, 1),
    "new years day": (1, 1, 1),
    "new year day": (1, 1, 1),
    "new year": (1, 1, 1),
    "valentines day": (2, 14, 1),
    "valentine day": (2, 14, 1),
    "valentines": (2, 14, 1),
    "halloween": (10, 31, 1),
    "bonfire night": (11, 5, 1),
    "easter sunday": (0, 0, 1),
    "easter": (0, -2, 4),  # Good Friday to Easter Monday
}

_FEAST = f"({'|'.join(_FEASTS)})"


def _easter(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * leap) // 433
    month = (h + leap - 7 * m + 90) // 25
    return date(year, month, (h + leap - 7 * m + 33 * month + 19) % 32)


def _feast(name: str, year: int | None, today: date, phrase: str) -> tuple[date, date, str]:
    """The feast's first day, the day after its last, and how to say it: in ``year``, or
    the last one that has begun."""
    month, day, days = _FEASTS[name]

    def first_day(in_year: int) -> date:
        if month == 0:  # Easter, and the days around it
            return _easter(in_year) + timedelta(days=day)
        return date(in_year, month, day)

    when = year if year is not None else today.year
    if year is None and first_day(when) > today:
        when -= 1
    first = first_day(when)
    if first > today:
        raise _future_error(phrase)
    said = "Easter" if month == 0 else "Christmas"
    label = f"over {said}" if when == today.year or year is None else f"over {said} {when}"
    return first, first + timedelta(days=days), label


def _month_day(month: int, day: int, year: int | None, today: date, phrase: str) -> date:
    """Resolve a month and day, defaulting to the most recent such date that isn't future."""
    _check_day_number(day, month, phrase)
    if year is not None:
        try:
            result = date(year, month, day)
        except ValueError:
            reason = f"There's no {_ordinal(day)} of {_MONTHS[month - 1]} in {year}."
            raise _day_error(phrase, reason) from None
        if result > today:
            raise _future_error(phrase)
        return result
    for candidate_year in range(today.year, today.year - 9, -1):  # Feb 29 needs up to 8 years
        try:
            result = date(candidate_year, month, day)
        except ValueError:
            continue
        if result <= today:
            return result
    raise _day_error(phrase)  # pragma: no cover - every real date recurs within 8 years


def _day_of_month(day: int, today: date, phrase: str) -> date:
    """Resolve "the 3rd" alone: this month's, or the most recent earlier month that has one."""
    _check_day_number(day, None, phrase)
    for back in range(13):
        year, month = _add_months(today.year, today.month, -back)
        try:
            result = date(year, month, day)
        except ValueError:
            continue
        if result <= today:
            return result
    raise _day_error(phrase)  # pragma: no cover - every day number recurs within a year


def _span_from(s: str, now: datetime, phrase: str) -> Span:
    """Resolve a normalised phrase; ``phrase`` is the original, for error messages."""
    tz = now.tzinfo
    assert tz is not None
    today = now.date()

    if not s:
        raise _day_error(phrase)
    if re.search(r"\b(?:tomorrow|next|from now|later|upcoming|coming)\b", s) or re.fullmatch(
        r"in (?:[0-9]+|an?) (?:minute|hour|day|week|month|year)s?", s
    ):
        raise _future_error(phrase)
    s = _strip_fillers(s)

    # "since Monday", "ever since the 1st of April": from that day's start until now.
    if (m := re.fullmatch(r"(?:ever )?since (.+)", s)) and not m[1].startswith("since "):
        began = _span_from(m[1], now, phrase)
        label = "since " + began.label.removeprefix("on ")
        return Span(began.start, _local(today + timedelta(days=1), time(), tz), label, "range")

    # Today and its parts.
    if re.fullmatch(
        rf"(?:todays?|tonights?|(?:right |just )?now|(?:this )?(?:morning|afternoon|evening)"
        rf"|today (?:in the )?{_PART_OF_DAY})",
        s,
    ):
        return _day_span(today, today, tz)

    # Yesterday and friends.
    if re.fullmatch(r"yesterdays?|last night", s):
        return _day_span(today - timedelta(days=1), today, tz)
    if re.fullmatch(r"(?:the )?day before yesterday", s):
        return _day_span(today - timedelta(days=2), today, tz)
    if m := re.fullmatch(rf"{_NUM} days? ago", s):
        return _day_span(today - timedelta(days=_count(m[1])), today, tz)

    # "<day> morning", "monday night", "the 3rd in the evening" -> that day. Peeled once:
    # "morning morning ..." is no day, and recursing per word overflowed the stack.
    if (m := re.fullmatch(rf"(.+?) (?:in the |at )?{_PART_OF_DAY}", s)) and not re.search(
        rf"\b{_PART_OF_DAY}$", m[1]
    ):
        inner = _span_from(m[1], now, phrase)
        if inner.kind == "day":
            return inner

    # Weeks.
    this_monday = _week_start(today)
    if re.fullmatch(r"this week|(?:this|the) current week|week", s):
        return _days_span(this_monday, this_monday + timedelta(days=7), tz, "this week", "week")
    if re.fullmatch(r"(?:last|previous) weeks?", s):
        start = this_monday - timedelta(days=7)
        return _days_span(start, this_monday, tz, "last week", "week")
    if re.fullmatch(r"(?:the )?week before last", s):
        start = this_monday - timedelta(days=14)
        return _days_span(start, start + timedelta(days=7), tz, "the week before last", "week")
    if m := re.fullmatch(rf"{_NUM} weeks? ago", s):
        n = _count(m[1])
        start = this_monday - timedelta(days=7 * n)
        label = "last week" if n == 1 else f"{n} weeks ago"
        return _days_span(start, start + timedelta(days=7), tz, label, "week")

    # Weekends: the one under way, else the last one (a journal only looks back).
    if m := re.fullmatch(r"(?:(this|last|previous|past|over|at)(?: the)? )?weekends?", s):
        saturday = this_monday + timedelta(days=5)
        if saturday > today or m[1] in ("last", "previous", "past"):
            last = saturday - timedelta(days=7)
            return _days_span(last, this_monday, tz, "last weekend", "range")
        return _days_span(saturday, today + timedelta(days=1), tz, "this weekend", "range")

    # Rolling ranges that end today.
    tomorrow = today + timedelta(days=1)
    if re.fullmatch(r"other day", s):  # "the other day": a few days back, loosely
        return _days_span(tomorrow - timedelta(days=7), tomorrow, tz, "in the last 7 days", "range")
    if m := re.fullmatch(r"(?:this )?(?:past|last|previous) ([0-9]{1,5}) days?", s):
        n = int(m[1])
        if n < 1:
            raise _day_error(phrase, "The number of days needs to be at least one.")
        label = "today" if n == 1 else f"in the last {n} days"
        return _days_span(tomorrow - timedelta(days=n), tomorrow, tz, label, "range")
    if m := re.fullmatch(r"(?:this )?(?:past|last|previous) ([0-9]{1,4}) weeks?", s):
        n = int(m[1])
        if n < 1:
            raise _day_error(phrase, "The number of weeks needs to be at least one.")
        label = "in the last 7 days" if n == 1 else f"in the last {n} weeks"
        return _days_span(tomorrow - timedelta(days=7 * n), tomorrow, tz, label, "range")
    if re.fullmatch(r"(?:this )?past week|(?:past|last) 7 days", s):
        return _days_span(tomorrow - timedelta(days=7), tomorrow, tz, "in the last 7 days", "range")
    if re.fullmatch(r"(?:this )?past month", s):
        return _days_span(
            tomorrow - timedelta(days=30), tomorrow, tz, "in the last 30 days", "range"
        )
    if re.fullmatch(r"(?:this )?past year", s):
        return _days_span(tomorrow - timedelta(days=365), tomorrow, tz, "in the past year", "range")

    # Months.
    if re.fullmatch(r"this month|month", s):
        return _month_span(today.year, today.month, tz, "this month")
    if re.fullmatch(r"(?:last|previous) months?", s):
        return _month_span(*_add_months(today.year, today.month, -1), tz, "last month")
    if re.fullmatch(r"(?:the )?month before last", s):
        year, month = _add_months(today.year, today.month, -2)
        return _month_span(year, month, tz, _month_label(year, month, today))
    if m := re.fullmatch(rf"{_NUM} months? ago", s):
        year, month = _add_months(today.year, today.month, -_count(m[1]))
        return _month_span(year, month, tz, _month_label(year, month, today))

    # Years.
    if re.fullmatch(r"this year|year", s):
        return _year_span(today.year, tz, "this year")
    if re.fullmatch(r"(?:last|previous) years?", s):
        return _year_span(today.year - 1, tz, "last year")
    if m := re.fullmatch(rf"{_NUM} years? ago", s):
        year = today.year - _count(m[1])
        return _year_span(year, tz, "last year" if year == today.year - 1 else f"in {year}")
    if m := re.fullmatch(r"([0-9]{4})", s):
        year = int(m[1])
        if year > today.year:
            raise _future_error(phrase)
        return _year_span(year, tz, "this year" if year == today.year else f"in {year}")

    # Weekdays: "monday" includes today; "last monday" is strictly before today.
    if m := re.fullmatch(rf"(this past |last |previous |past |this )?{_WD}s?", s):
        strictly_before = bool(m[1]) and m[1] != "this "
        return _day_span(_resolve_weekday(m[2], today, strictly_before), today, tz)

    # Feast days: the last one that has come ("over Christmas", "Christmas Eve", "Easter").
    if m := re.fullmatch(rf"(?:(?:this|last|over|at) )?{_FEAST}{_YEAR}", s):
        first, last_exclusive, label = _feast(m[1], int(m[2]) if m[2] else None, today, phrase)
        if last_exclusive - first == timedelta(days=1):
            return _day_span(first, today, tz)
        return _days_span(first, last_exclusive, tz, label, "range")

    # Month names alone or with a year.
    if m := re.fullmatch(rf"(this |last |previous )?{_MON}{_YEAR}", s):
        month = _month_index(m[2])
        if m[3]:
            year = int(m[3])
            if (year, month) > (today.year, today.month):
                raise _future_error(phrase)
        else:
            year = today.year
            if month > today.month or (m[1] in ("last ", "previous ") and month == today.month):
                year -= 1
        return _month_span(year, month, tz, _month_label(year, month, today))

    # Month and day, in either order, optionally with a weekday and a year.
    m = re.fullmatch(rf"(?:{_WD}s? )?(?:the )?{_MON} {_DAYN}{_YEAR}", s)
    if m:
        weekday, month, day, year_said = m[1], _month_index(m[2]), int(m[3]), m[4]
    elif m := re.fullmatch(rf"(?:{_WD}s? )?{_DAYN} (?:of )?{_MON}{_YEAR}", s):
        weekday, month, day, year_said = m[1], _month_index(m[3]), int(m[2]), m[4]
    if m:
        result = _month_day(month, day, int(year_said) if year_said else None, today, phrase)
        _check_weekday(weekday, result, phrase)
        return _day_span(result, today, tz)

    # "the 3rd" alone: needs "the" or an ordinal suffix so a stray number isn't a date.
    if (m := re.fullmatch(rf"(?:{_WD}s? )?(the )?([0-9]{{1,2}})(st|nd|rd|th)?", s)) and (
        m[2] or m[4]
    ):
        result = _day_of_month(int(m[3]), today, phrase)
        _check_weekday(m[1], result, phrase)
        return _day_span(result, today, tz)

    # ISO dates.
    if m := re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", s):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
        if not 1 <= month <= 12:
            raise _day_error(phrase, f"There's no month number {month}.")
        return _day_span(_month_day(month, day, year, today, phrase), today, tz)

    # Dates in figures, "14/3" or "3/14": read only when one number can't be a month.
    if m := re.fullmatch(r"([0-9]{1,2})/([0-9]{1,2})(?:/([0-9]{4}))?", s):
        one, two = int(m[1]), int(m[2])
        if one > 12 and two > 12:
            raise _day_error(phrase, "Neither number is a month.")
        if one <= 12 and two <= 12 and one != two:
            a, b = _ordinal(one), _ordinal(two)
            raise _day_error(
                phrase, f"It could be the {a} of {_MONTHS[two - 1]} or the {b} of "
                f"{_MONTHS[one - 1]}.",
            )  # fmt: skip
        month, day = (two, one) if one > 12 else (one, two)
        return _day_span(_month_day(month, day, int(m[3]) if m[3] else None, today, phrase),
                         today, tz)  # fmt: skip

    raise _day_error(phrase)


def parse_span(phrase: str, now: datetime) -> Span:
    """Resolve a day-ish phrase ("yesterday", "last week", "november the third") to a Span.

    Everything resolves to the past or present relative to ``now`` because a journal can only
    be searched backwards; results carry ``now``'s tzinfo.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not phrase or not phrase.strip():
        raise WhenError(
            "I didn't catch a day. Try 'today', 'yesterday', 'last Monday' or 'November 3rd'."
        )
    try:
        return _span_from(_normalise(phrase), now, phrase)
    except WhenError:
        raise
    except (ValueError, OverflowError):  # absurd numbers, e.g. "99999 days ago"
        raise _day_error(phrase, "That's further back than I can count.") from None


#: The most words a day phrase found inside other words may have ("the first of May last year").
_FOUND_WORDS = 7


def find_span(text: str, now: datetime) -> Span | None:
    """The day phrase inside ``text`` ("Sunday please, that was my day off" -> Sunday,
    "what'd I save yesterday arvo" -> yesterday): the longest run of words that reads as
    one, the earliest of equals; None when no run does."""
    found = find_day(text, now)
    return found[1] if found is not None else None


def find_day(text: str, now: datetime) -> tuple[str, Span] | None:
    """The words of the day phrase inside ``text`` and the span they read as (see
    :func:`find_span`)."""
    words = text.split()
    for size in range(min(_FOUND_WORDS, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            run = words[start : start + size]
            ends = {_bare(run[0]), _bare(run[-1])}
            if ends & _NOT_AN_END or (size == 1 and (_bare(run[0]) in _NOT_ALONE
                                                     or _bare(run[0]).isdigit())):  # fmt: skip
                continue
            try:
                return " ".join(run), parse_span(" ".join(run), now)
            except (WhenError, ValueError):
                continue
    return None


def _bare(word: str) -> str:
    return re.sub(r"[^a-z0-9']", "", word.lower())


#: Words a day phrase found in other words doesn't start or end with ("the one" is no
#: day, "I" no date), and words that alone are more often something else ("may I",
#: "the sun", "march", "one", "two").
_NOT_AN_END = frozenset({"i", "a", "an", "the", "my", "me", "what", "of", "and", "to", "it"})
_NOT_ALONE = frozenset(
    {"may", "march", "sun", "sat", "wed", "mar", "second", "first", "third", *_UNITS, *_TEENS}
)


#: Words that speak of time without being a day the parser can read ("the day after the
#: 31st", "the week my sister came"), beside the weekday, month and number words above.
_TIME_WORDS = frozenset(
    {"day", "days", "week", "weeks", "weekend", "month", "months", "year", "years", "ago",
     "last", "yesterday", "today", "tonight", "tomorrow", "christmas", "easter", "birthday",
     "holiday", "morning", "afternoon", "evening", "night", "xmas", "hogmanay", "halloween",
     "valentine", "valentines"}
)  # fmt: skip
_SPEAKS_OF_TIME = frozenset(
    {*_TIME_WORDS, *(d.lower() for d in _WEEKDAYS), *(m.lower() for m in _MONTHS),
     *_ORDINALS, *_TENS}
)  # fmt: skip


def speaks_of_time(text: str) -> bool:
    """Whether ``text`` names a time at all, read or not: a recall "day" that doesn't is
    more likely a topic ("glimmers from the bakery") than a date said wrong."""
    bare = (re.sub(r"'s?$", "", _bare(w.replace("\u2019", "'"))) for w in text.split())
    return any(w in _SPEAKS_OF_TIME or w[:1].isdigit() for w in bare)  # "Monday's" too


# --------------------------------------------------------------------------------------------
# Clock times

# The shapes a time of day is said in, over normalised text ("seven thirty" is "7 30" by then).
# Each names the hour ``h``, minutes ``m``/``m2``, ``ap``, the part of the day (``part`` or
# ``tonight``), a ``rel`` such as "quarter to", or a ``word`` such as "noon". A bare number is a
# time only after "at" or "around": "two glimmers" is not 2 o'clock. parse_moment tries them in
# this order at every word, so the explicit shapes come first.
_AT = r"(?:(?:at|around) )"
_HOUR = r"(?P<h>[0-9]{1,2})"
_MINUTES = r"(?::(?P<m>[0-9]{2})| (?P<m2>[0-9]{2}))"
_MERIDIEM = r"(?: (?P<ap>am|pm))"
_PART = r"(?: (?:(?:in the|at) (?P<part>morning|afternoon|evening|night)|(?P<tonight>tonight)))"
_CLOCK_SHAPES = (
    rf"{_AT}?{_HOUR}{_MINUTES}?(?: oclock)?{_MERIDIEM}{_PART}?",  # 9am, seven oh five pm
    rf"{_AT}?{_HOUR}{_MINUTES}?(?: oclock)?{_PART}",  # 8 in the evening, 9 tonight
    rf"{_AT}?(?:a )?(?P<rel>half past|quarter past|quarter to) {_HOUR}(?: oclock)?"
    rf"{_MERIDIEM}?{_PART}?",  # half past seven, quarter to eight pm
    rf"{_AT}?{_HOUR}:(?P<m>[0-9]{{2}})(?: oclock)?",  # 21:15
    rf"{_AT}?{_HOUR}(?: (?P<m2>[0-9]{{2}}))? oclock",  # 7 o'clock
    rf"{_AT}{_HOUR}(?: (?P<m2>[0-9]{{2}}))?",  # at 9, at nine thirty
    rf"{_AT}?(?:12 )?(?P<word>noon|midday|midnight)",
)
_SHIFTS = {"half past": 30, "quarter past": 15, "quarter to": -15}
# How many words the longest time takes: "at a quarter to eight in the evening".
_CLOCK_WORDS = 8
# The words a time can start with, besides digits: a cheap test before normalising.
_CLOCK_FIRST_WORDS = frozenset(
    ("at", "around", "a", "half", "quarter", "noon", "midday", "midnight", *_UNITS, *_TEENS, *_TENS)
)


@cache
def _clock_patterns() -> tuple[re.Pattern[str], ...]:
    """Compiled on first use, not at import: plugins load at start-up on a tight time budget."""
    return tuple(re.compile(shape) for shape in _CLOCK_SHAPES)


class Clock(NamedTuple):
    """A time of day as said.

    ``settled`` is False when nothing said whether the hour was am or pm ("at 9", "half past
    seven"); ``at`` then reads it as the caller's ``pm_hours`` say, or else as said, with 12 as
    noon. Callers that compare times ("cancel the 8 o'clock reminder") match either half of the
    day for such a time.
    """

    at: time
    settled: bool


def _part_of_day(context: str) -> str | None:
    """The part of the day (or am/pm) the words around a time name, if they name one side of noon.

    "every morning and evening at 9" names both, so it settles nothing.
    """
    parts = re.findall(r"\b(morning|afternoon|evening|night|tonight|am|pm)s?\b", context)
    if {part in ("morning", "am") for part in parts} == {True, False}:
        return None
    return parts[0] if parts else None


def _clock(
    groups: dict[str, str | None], context: str, phrase: str, pm_hours: Container[int] = ()
) -> Clock:
    """A time from a clock shape's groups, using "evening" etc. in ``context`` for am or pm."""
    if word := groups.get("word"):
        return Clock(time(0) if word == "midnight" else time(12), True)
    said = groups["h"] or ""
    hour = int(said)
    minute = int(groups.get("m") or groups.get("m2") or 0)
    meridiem = groups.get("ap")
    part = groups.get("part") or groups.get("tonight")
    shift = _SHIFTS.get(groups.get("rel") or "", 0)  # "quarter to eight" is 8:00 less 15
    if minute > 59 or hour > 23 or (meridiem and not 1 <= hour <= 12):
        raise WhenError(f"'{_quote(phrase)}' doesn't sound like a time of day. {_MOMENT_EXAMPLES}")
    if meridiem:
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif hour == 0 or hour > 12:
        pass  # a 24-hour clock: "21:15", "0:30"
    elif part := part or _part_of_day(context):
        # 12 at night is midnight, 2 at night is early morning, but tonight at 5 is evening.
        if hour == 12:
            hour = 12 if part in ("afternoon", "evening", "pm") else 0
        elif part in ("afternoon", "evening", "tonight", "pm") or (part == "night" and hour >= 6):
            hour += 12
    elif said.startswith("0"):
        pass  # "05:00" is written on a 24-hour clock, so it is 5 am, not a guess
    else:  # am or pm left open: read on a 12-hour dial, then placed by pm_hours
        dial = ((hour % 12) * 60 + minute + shift) % (12 * 60)
        dial_hour = dial // 60 or 12
        hour = dial_hour % 12 + (12 if dial_hour == 12 or dial_hour in pm_hours else 0)
        return Clock(time(hour, dial % 60), settled=False)
    total = (hour * 60 + minute + shift) % (24 * 60)
    return Clock(time(total // 60, total % 60), settled=True)


def parse_clock(phrase: str, context: str = "", *, pm_hours: Container[int] = ()) -> Clock | None:
    """Read a phrase that is just a time of day: "8am", "half past seven", "nine thirty",
    "21:15", "9 in the evening", "at noon"; None when it doesn't say a time.

    One reading of clock times for the whole app, so a reminder and a backfilled glimmer
    understand the same words. The phrase is all time, so a bare number counts ("9"), as it
    would after "at". ``context`` (the rest of the sentence) settles am or pm when the phrase
    doesn't ("every evening at 9"); ``pm_hours`` are the hours 1-12 that still mean the
    afternoon after that (a reminder "at 3" is for 3 pm). Raises WhenError for a time that can't
    be, such as "25:00" or "13 pm".
    """
    said = _normalise(phrase)
    for candidate in (said, f"at {said}"):
        for pattern in _clock_patterns():
            if match := pattern.fullmatch(candidate):
                return _clock(match.groupdict(), _normalise(context), phrase, pm_hours)
    return None


def find_clock(text: str) -> tuple[int, int] | None:
    """Where the first time of day in a sentence is said, as (start, end) offsets into ``text``.

    The offsets are into the words as given, not their normalised form, so that a caller can cut
    the time out of the rest ("remind me at 8 to stretch"). The span includes a leading "at" or
    "around", and may be a time that can't be (parse_clock then says why).
    """
    patterns = _clock_patterns()
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    for i, (start, first_end) in enumerate(words):
        first = text[start:first_end].lower().rstrip(",;:!?.")
        if not (first[:1].isdigit() or first in _CLOCK_FIRST_WORDS):
            continue
        window = words[i : i + _CLOCK_WORDS]
        # Normalising is the costly part, so rule a start out on its longest window first.
        longest = _normalise(text[start : window[-1][1]])
        if not any(pattern.match(longest) for pattern in patterns):
            continue
        for _, end in reversed(window):
            said = _normalise(text[start:end])
            if any(pattern.fullmatch(said) for pattern in patterns):
                return start, len(text[:end].rstrip(",;:!?"))
    return None


# --------------------------------------------------------------------------------------------
# Moments


# Compiled on first use (``re`` caches it), not at import, like the clock shapes.
_ISO_MOMENT = (
    r"(?i)(?:on |at )?([0-9]{4})-([0-9]{2})-([0-9]{2})[t ]([0-9]{1,2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:[.,]([0-9]{1,6}))?)?\s*(z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)


def _moment_day(rest: str, now: datetime, phrase: str) -> date:
    """The day part of a moment phrase; empty means today."""
    rest = re.sub(r"^(?:at|on)\s+|\s+(?:at|on|in the)$", "", rest.strip()).strip()
    if not rest:
        return now.date()
    span = _span_from(rest, now, phrase)
    if span.kind != "day":
        raise WhenError(
            f"'{_quote(phrase)}' covers more than one day ({span.label}), so I can't pin down "
            f"a moment. {_MOMENT_EXAMPLES}"
        )
    return span.start.date()


def _iso_moment(m: re.Match[str], now: datetime, phrase: str) -> datetime:
    tz = now.tzinfo
    assert tz is not None
    year, month, day, hour, minute = (int(m[i]) for i in range(1, 6))
    second = int(m[6] or 0)
    micro = int((m[7] or "0").ljust(6, "0"))
    offset = m[8]
    try:
        clock = time(hour, minute, second, micro)
        day_ = date(year, month, day)
    except ValueError:
        raise WhenError(
            f"'{_quote(phrase)}' isn't a real date and time. {_MOMENT_EXAMPLES}"
        ) from None
    if offset and offset.lower() == "z":
        zone: tzinfo = UTC
    elif offset:
        digits = offset[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        if delta >= timedelta(hours=24):
            raise WhenError(f"'{_quote(phrase)}' has an impossible UTC offset. {_MOMENT_EXAMPLES}")
        zone = timezone(-delta if offset[0] == "-" else delta)
    try:
        if not offset:
            return _local(day_, clock, tz)
        return datetime.combine(day_, clock, tzinfo=zone).astimezone(tz)
    except OverflowError:  # year 1 east of UTC, year 9999 west of it: no such moment
        if year > now.year:
            raise _future_error(phrase) from None
        raise WhenError(
            f"'{_quote(phrase)}' is too far back to be a glimmer's time. {_MOMENT_EXAMPLES}"
        ) from None


def _elapsed_before(now: datetime, elapsed: timedelta) -> datetime:
    """The moment ``elapsed`` of real time before ``now``, in ``now``'s zone.

    "An hour ago" is an hour that passed, not the wall clock moved back an hour:
    Python subtracts on the wall clock within one tzinfo, which across a
    daylight-saving change lands an hour off (or on a time that never existed).
    So the arithmetic is done in UTC.
    """
    return (now.astimezone(UTC) - elapsed).astimezone(now.tzinfo)


def _moment_from(phrase: str, now: datetime) -> datetime:
    tz = now.tzinfo
    assert tz is not None
    today = now.date()

    if m := re.fullmatch(_ISO_MOMENT, phrase.strip()):
        return _iso_moment(m, now, phrase)

    s = _normalise(phrase)
    if re.fullmatch(r"(?:right |just )?now|today|(?:earlier|sometime) today|just|earlier", s):
        return now
    if m := re.fullmatch(r"(?:about |around )?([0-9]{1,5}|an|a) (minute|min|hour|hr)s? ago", s):
        unit = timedelta(hours=1) if m[2] in ("hour", "hr") else timedelta(minutes=1)
        return _elapsed_before(now, unit * _count(m[1]))
    if re.fullmatch(r"(?:about |around )?half an hour ago", s):
        return _elapsed_before(now, timedelta(minutes=30))

    # An explicit clock time somewhere in the phrase; the rest names the day.
    # Try every word position, so "nov 3 10 pm" can still find "10 pm" after "3 10 pm" fails.
    first_error: WhenError | None = None
    starts = [0] + [i + 1 for i, char in enumerate(s) if char == " "]
    for pattern in _clock_patterns():
        for start in starts:
            match = pattern.match(s, start)
            if match is None or (match.end() < len(s) and s[match.end()] != " "):
                continue  # no match, or only part of a longer token such as "2026-11-03"
            rest = f"{s[: match.start()]} {s[match.end() :]}"
            try:
                day = _moment_day(rest, now, phrase)
                return _local(day, _clock(match.groupdict(), rest, phrase).at, tz)
            except WhenError as error:
                first_error = first_error or error
    if first_error:
        raise first_error

    # A loose part of the day: "yesterday evening", "last night", "tonight", "this morning".
    if s == "tonight":
        return _local(today, time(_PART_HOURS["night"]), tz)
    if s == "last night":
        return _local(today - timedelta(days=1), time(_PART_HOURS["night"]), tz)
    if m := re.fullmatch(rf"(?:(.+?) )?(?:in the )?{_PART_OF_DAY}", s):
        day = _moment_day("" if m[1] in (None, "this", "today") else m[1], now, phrase)
        return _local(day, time(_PART_HOURS[m[2]]), tz)

    # A bare day: noon is a neutral guess, but today means "right now".
    day = _moment_day(s, now, phrase)
    return now if day == today else _local(day, time(12), tz)


def parse_moment(phrase: str, now: datetime) -> datetime:
    """Resolve a phrase to a single instant, for backfilling a glimmer noticed earlier.

    A day without a time means noon (a neutral guess), except today, which means ``now``.
    Moments more than a minute ahead of ``now`` are rejected rather than silently logged.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not phrase or not phrase.strip():
        raise WhenError(f"I didn't catch a time. {_MOMENT_EXAMPLES}")
    try:
        result = _moment_from(phrase, now)
    except WhenError:
        raise
    except (ValueError, OverflowError):
        raise WhenError(
            f"I couldn't tell what time '{_quote(phrase)}' means. {_MOMENT_EXAMPLES}"
        ) from None
    # Compared as instants: within one tzinfo Python compares wall clocks, which
    # across the autumn change would call 01:40 (summer) later than 01:31 (winter).
    if result.timestamp() > now.timestamp() + _FUTURE_GRACE.total_seconds():
        spoken = f"{say_day(result.date(), now.date())} at {result:%H:%M}"
        raise WhenError(
            f"'{_quote(phrase)}' is in the future ({spoken}). Glimmers can only be logged once "
            "they've happened; try 'today', 'an hour ago' or 'yesterday at 9am'."
        )
    return result


# --------------------------------------------------------------------------------------------
# Speaking


def say_day(day: date, today: date) -> str:
    """Say a day the way a person would: relative when close, fully spelled out otherwise.

    Recent days are named by weekday alone because that's unambiguous within the past week;
    older ones get the day and month, plus the year only when it isn't this year.
    """
    delta = (today - day).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "yesterday"
    if delta == -1:
        return "tomorrow"
    weekday = _WEEKDAYS[day.weekday()]
    if 2 <= delta <= 6:
        return weekday
    spoken = f"{weekday} the {_ordinal(day.day)} of {_MONTHS[day.month - 1]}"
    return spoken if day.year == today.year else f"{spoken} {day.year}"
