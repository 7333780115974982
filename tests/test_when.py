"""Tests for voiceglimmer.dialog.when: spoken/typed date phrases resolved in local time."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voiceglimmer.dialog.when import (
    Clock,
    Span,
    WhenError,
    find_clock,
    parse_clock,
    parse_moment,
    parse_span,
    say_day,
    speaks_of_time,
)

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
# Tuesday 24 November 2026, mid-afternoon.
NOW = datetime(2026, 11, 24, 15, 30, tzinfo=NY)
TODAY = NOW.date()

MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def hours(span: Span) -> float:
    """Real elapsed hours (same-tzinfo subtraction would ignore DST)."""
    return (span.end.timestamp() - span.start.timestamp()) / 3600


def local_midnight(day: date, tz=NY) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


# ------------------------------------------------------------------------------------------
# parse_span: single days


@pytest.mark.parametrize(
    ("phrase", "expected", "label"),
    [
        ("today", d(11, 24), "today"),
        ("Today.", d(11, 24), "today"),
        ("tonight", d(11, 24), "today"),
        ("this morning", d(11, 24), "today"),
        ("this afternoon", d(11, 24), "today"),
        ("this evening", d(11, 24), "today"),
        ("today's", d(11, 24), "today"),
        ("earlier today", d(11, 24), "today"),
        ("yesterday", d(11, 23), "yesterday"),
        ("Yesterday's", d(11, 23), "yesterday"),
        ("yesterday\u2019s", d(11, 23), "yesterday"),
        ("from yesterday", d(11, 23), "yesterday"),
        ("yesterday morning", d(11, 23), "yesterday"),
        ("yesterday evening", d(11, 23), "yesterday"),
        ("last night", d(11, 23), "yesterday"),
        ("the day before yesterday", d(11, 22), "on Sunday"),
        ("Day before yesterday?", d(11, 22), "on Sunday"),
        ("2 days ago", d(11, 22), "on Sunday"),
        ("two days ago", d(11, 22), "on Sunday"),
        ("a day ago", d(11, 23), "yesterday"),
        ("a couple of days ago", d(11, 22), "on Sunday"),
        ("six days ago", d(11, 18), "on Wednesday"),
        ("seven days ago", d(11, 17), "on Tuesday the 17th of November"),
        ("twenty one days ago", d(11, 3), "on Tuesday the 3rd of November"),
        ("twenty-one days ago", d(11, 3), "on Tuesday the 3rd of November"),
        ("thirty one days ago", d(10, 24), "on Saturday the 24th of October"),
        ("0 days ago", d(11, 24), "today"),
    ],
)
def test_relative_days(phrase: str, expected: date, label: str) -> None:
    span = parse_span(phrase, NOW)
    assert span == Span(
        local_midnight(expected), local_midnight(expected + timedelta(days=1)), label, "day"
    )


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        # Today is Tuesday: a bare weekday includes today, "last" is strictly before it.
        ("tuesday", d(11, 24)),
        ("on Tuesday", d(11, 24)),
        ("this tuesday", d(11, 24)),
        ("last tuesday", d(11, 17)),
        ("monday", d(11, 23)),
        ("on monday", d(11, 23)),
        ("Monday's", d(11, 23)),
        ("last monday", d(11, 23)),
        ("mon", d(11, 23)),
        ("wednesday", d(11, 18)),
        ("last Wednesday", d(11, 18)),
        ("previous wed", d(11, 18)),
        ("on sunday", d(11, 22)),
        ("sat", d(11, 21)),
        ("this past friday", d(11, 20)),
        ("thurs", d(11, 19)),
        ("Saturday evening", d(11, 21)),
        ("monday night", d(11, 23)),
    ],
)
def test_weekdays(phrase: str, expected: date) -> None:
    span = parse_span(phrase, NOW)
    assert (span.start, span.end, span.kind) == (
        local_midnight(expected),
        local_midnight(expected + timedelta(days=1)),
        "day",
    )


@pytest.mark.parametrize(
    ("now", "phrase", "expected"),
    [
        (datetime(2026, 11, 23, 10, tzinfo=NY), "monday", d(11, 23)),
        (datetime(2026, 11, 23, 10, tzinfo=NY), "last monday", d(11, 16)),
        (datetime(2026, 11, 22, 10, tzinfo=NY), "monday", d(11, 16)),
    ],
)
def test_weekday_relative_to_today(now: datetime, phrase: str, expected: date) -> None:
    assert parse_span(phrase, now).start == local_midnight(expected)


@pytest.mark.parametrize(
    ("phrase", "expected", "label"),
    [
        ("november 3rd", d(11, 3), "on Tuesday the 3rd of November"),
        ("November 3rd.", d(11, 3), "on Tuesday the 3rd of November"),
        ("on November 3rd", d(11, 3), "on Tuesday the 3rd of November"),
        ("3rd of november", d(11, 3), "on Tuesday the 3rd of November"),
        ("the 3rd of November", d(11, 3), "on Tuesday the 3rd of November"),
        ("the third of november", d(11, 3), "on Tuesday the 3rd of November"),
        ("november the third", d(11, 3), "on Tuesday the 3rd of November"),
        ("november third", d(11, 3), "on Tuesday the 3rd of November"),
        ("Nov 3rd", d(11, 3), "on Tuesday the 3rd of November"),
        ("nov 3", d(11, 3), "on Tuesday the 3rd of November"),
        ("3 November", d(11, 3), "on Tuesday the 3rd of November"),
        ("november the twenty first", d(11, 21), "on Saturday"),
        ("november twenty-first", d(11, 21), "on Saturday"),
        ("the twenty first of november", d(11, 21), "on Saturday"),
        ("November 22nd's", d(11, 22), "on Sunday"),
        ("november 24", d(11, 24), "today"),
        ("november 23rd", d(11, 23), "yesterday"),
        ("october 31st", d(10, 31), "on Saturday the 31st of October"),
        ("the thirtieth of september", d(9, 30), "on Wednesday the 30th of September"),
        ("jan 1st", d(1, 1), "on Thursday the 1st of January"),
        ("sept 12th", d(9, 12), "on Saturday the 12th of September"),
        ("13th of march", d(3, 13), "on Friday the 13th of March"),
        # Explicit years.
        ("november 3 2025", d(11, 3, 2025), "on Monday the 3rd of November 2025"),
        ("November 3rd, 2025", d(11, 3, 2025), "on Monday the 3rd of November 2025"),
        ("3 november 2025", d(11, 3, 2025), "on Monday the 3rd of November 2025"),
        ("the 3rd of november 2025", d(11, 3, 2025), "on Monday the 3rd of November 2025"),
        (
            "november third twenty twenty five",
            d(11, 3, 2025),
            "on Monday the 3rd of November 2025",
        ),
        (
            "november twenty twenty twenty five",
            d(11, 20, 2025),
            "on Thursday the 20th of November 2025",
        ),
        (
            "march 1st two thousand and twenty four",
            d(3, 1, 2024),
            "on Friday the 1st of March 2024",
        ),
        ("february 29 2024", d(2, 29, 2024), "on Thursday the 29th of February 2024"),
        # Weekday plus date, as say_day speaks it, round-trips.
        ("Monday the 3rd of November 2025", d(11, 3, 2025), "on Monday the 3rd of November 2025"),
        ("tuesday november 3rd", d(11, 3), "on Tuesday the 3rd of November"),
        ("tuesday the 3rd", d(11, 3), "on Tuesday the 3rd of November"),
        # ISO.
        ("2026-11-03", d(11, 3), "on Tuesday the 3rd of November"),
        ("on 2025-12-31", d(12, 31, 2025), "on Wednesday the 31st of December 2025"),
    ],
)
def test_month_and_day(phrase: str, expected: date, label: str) -> None:
    span = parse_span(phrase, NOW)
    assert span == Span(
        local_midnight(expected), local_midnight(expected + timedelta(days=1)), label, "day"
    )


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        # No year and in the future of now -> last year's.
        ("november 25th", d(11, 25, 2025)),
        ("december 1st", d(12, 1, 2025)),
        ("the first of december", d(12, 1, 2025)),
        ("dec 31", d(12, 31, 2025)),
        # No year and not in the future -> this year's.
        ("october 1st", d(10, 1)),
        ("january 1st", d(1, 1)),
        # February 29th without a year -> the most recent one that existed.
        ("february 29th", d(2, 29, 2024)),
    ],
)
def test_future_dates_without_year_go_back(phrase: str, expected: date) -> None:
    assert parse_span(phrase, NOW).start == local_midnight(expected)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("the 3rd", d(11, 3)),
        ("3rd", d(11, 3)),
        ("on the 3rd", d(11, 3)),
        ("the third", d(11, 3)),
        ("the twenty first", d(11, 21)),
        ("the 24th", d(11, 24)),
        ("the 1st", d(11, 1)),
        ("the 21", d(11, 21)),
        # In the future this month -> the previous month's.
        ("the 25th", d(10, 25)),
        ("the thirtieth", d(10, 30)),
        ("the 31st", d(10, 31)),
    ],
)
def test_day_of_month_alone(phrase: str, expected: date) -> None:
    assert parse_span(phrase, NOW).start == local_midnight(expected)


def test_day_of_month_skips_months_that_lack_it() -> None:
    # On 10 March, "the 30th" can't be February's, so it's January's.
    now = datetime(2026, 3, 10, 12, tzinfo=NY)
    assert parse_span("the 30th", now).start == local_midnight(d(1, 30))
    assert parse_span("the 31st", now).start == local_midnight(d(1, 31))
    assert parse_span("the 28th", now).start == local_midnight(d(2, 28))


# ------------------------------------------------------------------------------------------
# parse_span: weeks, ranges, months, years


@pytest.mark.parametrize(
    ("phrase", "start", "end", "label", "kind"),
    [
        ("this week", d(11, 23), d(11, 30), "this week", "week"),
        ("earlier this week", d(11, 23), d(11, 30), "this week", "week"),
        ("last week", d(11, 16), d(11, 23), "last week", "week"),
        ("Last week's", d(11, 16), d(11, 23), "last week", "week"),
        ("from last week", d(11, 16), d(11, 23), "last week", "week"),
        ("previous week", d(11, 16), d(11, 23), "last week", "week"),
        ("the week before last", d(11, 9), d(11, 16), "the week before last", "week"),
        ("two weeks ago", d(11, 9), d(11, 16), "2 weeks ago", "week"),
        ("the past week", d(11, 18), d(11, 25), "in the last 7 days", "range"),
        ("for the past week", d(11, 18), d(11, 25), "in the last 7 days", "range"),
        ("this past week", d(11, 18), d(11, 25), "in the last 7 days", "range"),
        ("the last 7 days", d(11, 18), d(11, 25), "in the last 7 days", "range"),
        ("in the last seven days", d(11, 18), d(11, 25), "in the last 7 days", "range"),
        ("past 3 days", d(11, 22), d(11, 25), "in the last 3 days", "range"),
        ("the past three days", d(11, 22), d(11, 25), "in the last 3 days", "range"),
        ("last ten days", d(11, 15), d(11, 25), "in the last 10 days", "range"),
        ("the last thirty days", d(10, 26), d(11, 25), "in the last 30 days", "range"),
        ("past two weeks", d(11, 11), d(11, 25), "in the last 2 weeks", "range"),
        ("past 1 day", d(11, 24), d(11, 25), "today", "range"),
        ("this month", d(11, 1), d(12, 1), "this month", "month"),
        ("this month's", d(11, 1), d(12, 1), "this month", "month"),
        ("last month", d(10, 1), d(11, 1), "last month", "month"),
        ("previous month", d(10, 1), d(11, 1), "last month", "month"),
        ("two months ago", d(9, 1), d(10, 1), "in September", "month"),
        ("october", d(10, 1), d(11, 1), "in October", "month"),
        ("in October", d(10, 1), d(11, 1), "in October", "month"),
        ("October's", d(10, 1), d(11, 1), "in October", "month"),
        ("november", d(11, 1), d(12, 1), "in November", "month"),
        ("last november", d(11, 1, 2025), d(12, 1, 2025), "in November 2025", "month"),
        ("december", d(12, 1, 2025), d(1, 1), "in December 2025", "month"),
        ("in may", d(5, 1), d(6, 1), "in May", "month"),
        ("march 2025", d(3, 1, 2025), d(4, 1, 2025), "in March 2025", "month"),
        ("this year", d(1, 1), d(1, 1, 2027), "this year", "year"),
        ("last year", d(1, 1, 2025), d(1, 1), "last year", "year"),
        ("in 2024", d(1, 1, 2024), d(1, 1, 2025), "in 2024", "year"),
        ("two years ago", d(1, 1, 2024), d(1, 1, 2025), "in 2024", "year"),
        ("since Monday", d(11, 23), d(11, 25), "since yesterday", "range"),
        ("since last Friday", d(11, 20), d(11, 25), "since Friday", "range"),
        ("ever since last week", d(11, 16), d(11, 25), "since last week", "range"),
        (
            "since the 1st of November",
            d(11, 1),
            d(11, 25),
            "since Sunday the 1st of November",
            "range",
        ),
    ],
)
def test_multi_day_spans(phrase: str, start: date, end: date, label: str, kind: str) -> None:
    assert parse_span(phrase, NOW) == Span(local_midnight(start), local_midnight(end), label, kind)


@pytest.mark.parametrize(
    ("now", "phrase", "start", "end", "label"),
    [
        # on a weekday every weekend said is the last one: the journal only looks back
        (NOW, "the weekend", d(11, 21), d(11, 23), "last weekend"),
        (NOW, "at the weekend", d(11, 21), d(11, 23), "last weekend"),
        (NOW, "over the weekend", d(11, 21), d(11, 23), "last weekend"),
        (NOW, "this weekend", d(11, 21), d(11, 23), "last weekend"),
        (NOW, "last weekend", d(11, 21), d(11, 23), "last weekend"),
        (NOW, "the other day", d(11, 18), d(11, 25), "in the last 7 days"),
        # on a Sunday, "the weekend" is this one so far; "last weekend" the one before
        (datetime(2026, 11, 29, 20, tzinfo=NY), "the weekend", d(11, 28), d(11, 30),
         "this weekend"),
        (datetime(2026, 11, 29, 20, tzinfo=NY), "last weekend", d(11, 21), d(11, 23),
         "last weekend"),
    ],
)  # fmt: skip
def test_weekends_and_the_other_day(
    now: datetime, phrase: str, start: date, end: date, label: str
) -> None:
    span = parse_span(phrase, now)
    assert (span.start, span.end, span.label) == (local_midnight(start), local_midnight(end), label)


@pytest.mark.parametrize(
    ("phrase", "start", "end", "label"),
    [
        ("Christmas Eve", d(12, 24, 2025), d(12, 25, 2025),
         "on Wednesday the 24th of December 2025"),
        ("over Christmas", d(12, 24, 2025), d(12, 27, 2025), "over Christmas"),
        ("New Year's Day", d(1, 1), d(1, 2), "on Thursday the 1st of January"),
        ("Halloween", d(10, 31), d(11, 1), "on Saturday the 31st of October"),
        # Easter moves: Good Friday to Easter Monday, 2026's fell on the 5th of April
        ("Easter", d(4, 3), d(4, 7), "over Easter"),
        ("Easter Sunday 2024", d(3, 31, 2024), d(4, 1, 2024), "on Sunday the 31st of March 2024"),
    ],
)  # fmt: skip
def test_feast_days_are_the_last_ones_that_came(
    phrase: str, start: date, end: date, label: str
) -> None:
    span = parse_span(phrase, NOW)
    assert (span.start, span.end, span.label) == (local_midnight(start), local_midnight(end), label)


@pytest.mark.parametrize(
    ("phrase", "day"), [("3/14", d(3, 14)), ("14/3", d(3, 14)), ("25/12/2024", d(12, 25, 2024))]
)
def test_a_date_in_figures_is_read_when_only_one_number_can_be_a_month(
    phrase: str, day: date
) -> None:
    assert parse_span(phrase, NOW).start == local_midnight(day)


def test_a_date_in_figures_that_could_be_two_days_says_which_two() -> None:
    with pytest.raises(WhenError, match="the 3rd of April or the 4th of March"):
        parse_span("3/4", NOW)


def test_a_possessive_day_speaks_of_time_and_a_place_does_not() -> None:
    assert speaks_of_time("Monday's instead") and speaks_of_time("yesterday\u2019s ones")
    assert not speaks_of_time("the lawn")


def test_week_starts_on_monday_even_on_sunday() -> None:
    sunday = datetime(2026, 11, 29, 20, tzinfo=NY)
    span = parse_span("this week", sunday)
    assert (span.start, span.end) == (local_midnight(d(11, 23)), local_midnight(d(11, 30)))


def test_month_span_across_dst_end_is_one_hour_longer() -> None:
    # US clocks fell back on 1 November 2026.
    assert hours(parse_span("this month", NOW)) == 30 * 24 + 1


# ------------------------------------------------------------------------------------------
# DST and other time zones


BERLIN_SPRING = datetime(2026, 3, 29, 15, 0, tzinfo=BERLIN)  # clocks jump 02:00 -> 03:00


@pytest.mark.parametrize(
    ("now", "phrase", "expected_hours"),
    [
        (BERLIN_SPRING, "today", 23),
        (BERLIN_SPRING, "yesterday", 24),
        (BERLIN_SPRING, "this week", 7 * 24 - 1),
        (BERLIN_SPRING, "past 2 days", 47),
        (datetime(2026, 10, 26, 9, tzinfo=BERLIN), "yesterday", 25),
        (datetime(2026, 10, 26, 9, tzinfo=BERLIN), "last week", 7 * 24 + 1),
    ],
)
def test_dst_day_lengths(now: datetime, phrase: str, expected_hours: int) -> None:
    assert hours(parse_span(phrase, now)) == expected_hours


def test_dst_spring_forward_bounds_are_local_midnights() -> None:
    span = parse_span("today", BERLIN_SPRING)
    assert span.start == datetime(2026, 3, 29, tzinfo=BERLIN)
    assert span.start.utcoffset() == timedelta(hours=1)
    assert span.end == datetime(2026, 3, 30, tzinfo=BERLIN)
    assert span.end.utcoffset() == timedelta(hours=2)


def test_midnight_in_dst_gap_starts_at_first_real_instant() -> None:
    # Chile skips 00:00-01:00 on 6 September 2026; the day starts at 01:00.
    santiago = ZoneInfo("America/Santiago")
    span = parse_span("today", datetime(2026, 9, 6, 12, tzinfo=santiago))
    assert span.start.hour == 1
    assert hours(span) == 23


def test_fixed_offset_timezone() -> None:
    tz = timezone(timedelta(hours=5, minutes=30))
    now = datetime(2026, 11, 24, 1, 0, tzinfo=tz)
    span = parse_span("yesterday", now)
    assert span.start == datetime(2026, 11, 23, tzinfo=tz)
    assert span.end == datetime(2026, 11, 24, tzinfo=tz)
    assert span.start.tzinfo is tz


def test_results_use_nows_tzinfo() -> None:
    span = parse_span("last week", NOW)
    assert span.start.tzinfo is NY
    assert span.end.tzinfo is NY


# ------------------------------------------------------------------------------------------
# parse_span: errors


@pytest.mark.parametrize(
    ("phrase", "fragment"),
    [
        ("the 45th", "No month has a 45th day"),
        ("february 30th", "There's no 30th of February"),
        ("the thirtieth of february", "There's no 30th of February"),
        ("april 31", "There's no 31st of April"),
        ("february 29 2026", "There's no 29th of February in 2026"),
        ("2026-02-30", "There's no 30th of February"),
        ("2026-13-01", "There's no month number 13"),
        ("monday the 3rd of november", "was a Tuesday, not a Monday"),
        ("purple elephant", "Try 'yesterday'"),
        ("13th of smarch", "Try 'yesterday'"),
        ("3", "Try 'yesterday'"),
        ("99999 years ago", "further back"),
        ("past 0 days", "at least one"),
    ],
)
def test_unresolvable_phrases(phrase: str, fragment: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_span(phrase, NOW)
    message = str(caught.value)
    assert f"'{phrase}'" in message
    assert fragment in message


@pytest.mark.parametrize(
    "phrase",
    ["tomorrow", "next week", "next monday", "in 3 days", "november 3 2027", "2027", "2026-12-01"],
)
def test_future_phrases(phrase: str) -> None:
    with pytest.raises(WhenError, match="is in the future") as caught:
        parse_span(phrase, NOW)
    assert f"'{phrase}'" in str(caught.value)


@pytest.mark.parametrize("phrase", ["", "   ", "\n"])
def test_empty_phrase(phrase: str) -> None:
    with pytest.raises(WhenError, match="didn't catch a day"):
        parse_span(phrase, NOW)


def test_error_message_matches_spec_example() -> None:
    with pytest.raises(WhenError) as caught:
        parse_span("the 45th", NOW)
    assert str(caught.value).startswith("I couldn't tell which day 'the 45th' means.")
    assert str(caught.value).endswith("Try 'yesterday', 'last Monday' or 'November 3rd'.")


def test_long_phrase_is_shortened_in_message() -> None:
    with pytest.raises(WhenError) as caught:
        parse_span("blah " * 50, NOW)
    assert len(str(caught.value)) < 200


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_span("today", datetime(2026, 11, 24))


# ------------------------------------------------------------------------------------------
# parse_moment


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NY)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("now", NOW),
        ("right now", NOW),
        ("today", NOW),
        ("tuesday", NOW),
        ("yesterday", at(11, 23, 12)),
        ("yesterday's", at(11, 23, 12)),
        ("monday", at(11, 23, 12)),
        ("november 3rd", at(11, 3, 12)),
        ("the day before yesterday", at(11, 22, 12)),
        ("yesterday 9am", at(11, 23, 9)),
        ("yesterday at 9 am", at(11, 23, 9)),
        ("Yesterday at 9 a.m.", at(11, 23, 9)),
        ("yesterday at nine a m", at(11, 23, 9)),
        ("9am yesterday", at(11, 23, 9)),
        ("yesterday at 21:15", at(11, 23, 21, 15)),
        ("monday at 7:30 pm", at(11, 23, 19, 30)),
        ("Monday at 7:30PM", at(11, 23, 19, 30)),
        ("monday at 7.30pm", at(11, 23, 19, 30)),
        ("seven thirty pm on monday", at(11, 23, 19, 30)),
        ("monday at seven oh five pm", at(11, 23, 19, 5)),
        ("monday at 7 o'clock", at(11, 23, 7)),
        ("monday at 7", at(11, 23, 7)),
        ("9am", at(11, 24, 9)),
        ("at 9 am", at(11, 24, 9)),
        ("12 am", at(11, 24, 0)),
        ("12:15 pm", at(11, 24, 12, 15)),
        ("at noon", at(11, 24, 12)),
        ("noon", at(11, 24, 12)),
        ("midnight", at(11, 24, 0)),
        ("yesterday at midnight", at(11, 23, 0)),
        ("yesterday at noon", at(11, 23, 12)),
        ("this morning", at(11, 24, 9)),
        ("this afternoon", at(11, 24, 15)),
        ("yesterday morning", at(11, 23, 9)),
        ("yesterday afternoon", at(11, 23, 15)),
        ("yesterday evening", at(11, 23, 19)),
        ("yesterday evening at 7", at(11, 23, 19)),
        ("yesterday at 8 in the evening", at(11, 23, 20)),
        ("last night", at(11, 23, 21)),
        ("last night at 11", at(11, 23, 23)),
        ("monday night", at(11, 23, 21)),
        ("sunday morning", at(11, 22, 9)),
        ("november 3rd at 10 pm", at(11, 3, 22)),
        ("nov 3 10 pm", at(11, 3, 22)),
        ("the 3rd of november at 9", at(11, 3, 9)),
        ("december 1st at 8am", at(12, 1, 8, year=2025)),
        ("two hours ago", at(11, 24, 13, 30)),
        ("an hour ago", at(11, 24, 14, 30)),
        ("45 minutes ago", at(11, 24, 14, 45)),
        ("half an hour ago", at(11, 24, 15)),
        ("2026-11-03T09:15", at(11, 3, 9, 15)),
        ("2026-11-03 09:15", at(11, 3, 9, 15)),
        ("2026-11-03 9:15", at(11, 3, 9, 15)),
        ("2026-11-03T09:15:30", datetime(2026, 11, 3, 9, 15, 30, tzinfo=NY)),
        ("2026-11-03 9am", at(11, 3, 9)),
        ("2026-11-03T09:15:00+00:00", at(11, 3, 4, 15)),
        ("2026-11-03T09:15Z", at(11, 3, 4, 15)),
        ("2026-11-03T09:15+0100", at(11, 3, 3, 15)),
        ("2026-11-03T09:15-08:00", at(11, 3, 12, 15)),
        # clock times the reminders understood first
        ("yesterday at half past seven", at(11, 23, 7, 30)),
        ("half past seven yesterday", at(11, 23, 7, 30)),
        ("yesterday at a quarter to eight in the evening", at(11, 23, 19, 45)),
        ("monday at quarter past nine", at(11, 23, 9, 15)),
        ("last night at half past ten", at(11, 23, 22, 30)),
        ("yesterday around 9", at(11, 23, 9)),
        ("around 9am yesterday", at(11, 23, 9)),
        ("monday at 8 o'clock pm", at(11, 23, 20)),
        ("monday 9 tonight", at(11, 23, 21)),
        # Before the US DST change on 1 November the offset was -04:00.
        ("2026-10-31T12:00Z", at(10, 31, 8)),
    ],
)
def test_parse_moment(phrase: str, expected: datetime) -> None:
    result = parse_moment(phrase, NOW)
    assert result == expected
    assert result.utcoffset() == expected.utcoffset()


def test_parse_moment_offset_is_converted_to_nows_tz() -> None:
    result = parse_moment("2026-11-03T09:15:00+00:00", NOW)
    assert result.tzinfo is NY
    assert result.isoformat() == "2026-11-03T04:15:00-05:00"


def test_parse_moment_in_dst_gap_moves_forward() -> None:
    # 02:30 doesn't exist in Berlin on 29 March 2026; the real instant is 03:30 CEST.
    expected = datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN)
    for phrase in ("today at 2:30 am", "2026-03-29 02:30"):
        result = parse_moment(phrase, BERLIN_SPRING)
        assert result == expected
        assert result.utcoffset() == timedelta(hours=2)


LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("now", "phrase", "expected"),
    [
        # 02:30 BST, half an hour after the clocks went forward from 01:00 GMT to 02:00 BST
        (datetime(2026, 3, 29, 2, 30, tzinfo=LONDON), "an hour ago", "2026-03-29T00:30:00+00:00"),
        (datetime(2026, 3, 29, 3, 30, tzinfo=LONDON), "2 hours ago", "2026-03-29T00:30:00+00:00"),
        # 01:10 GMT, ten minutes after the clocks went back: the first 01:10 was an hour ago
        (datetime(2026, 10, 25, 1, 10, fold=1, tzinfo=LONDON), "an hour ago",
         "2026-10-25T01:10:00+01:00"),
        (datetime(2026, 10, 25, 1, 10, fold=1, tzinfo=LONDON), "half an hour ago",
         "2026-10-25T01:40:00+01:00"),
        (datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY), "2 hours ago",
         "2026-11-01T00:30:00-04:00"),
    ],
)  # fmt: skip
def test_hours_ago_across_a_daylight_saving_change_is_real_time(
    now: datetime, phrase: str, expected: str
) -> None:
    """An "hour ago" just after a clock change is an hour that passed, not the wall
    clock moved back an hour (an hour off, or a time the clocks skipped)."""
    result = parse_moment(phrase, now)
    assert result.isoformat() == expected
    assert result.tzinfo is now.tzinfo


def test_parse_moment_within_grace_is_allowed() -> None:
    assert parse_moment("2026-11-24T15:30:45", NOW) == NOW + timedelta(seconds=45)
    assert parse_moment("2026-11-24T20:31Z", NOW) == NOW + timedelta(seconds=60)


@pytest.mark.parametrize(
    "phrase",
    [
        "9pm",
        "at 4 pm",
        "tonight",
        "this evening",
        "at 5 tonight",
        "2026-11-24T15:32",
        "2026-11-24T20:31:01Z",
    ],
)
def test_parse_moment_rejects_future(phrase: str) -> None:
    with pytest.raises(WhenError, match="is in the future") as caught:
        parse_moment(phrase, NOW)
    assert f"'{phrase}'" in str(caught.value)


@pytest.mark.parametrize(
    ("phrase", "fragment"),
    [
        ("tomorrow", "is in the future"),
        ("tomorrow at 9am", "is in the future"),
        ("in 5 minutes", "is in the future"),
        ("last week", "more than one day"),
        ("october", "more than one day"),
        ("25:00", "doesn't sound like a time"),
        ("yesterday at 13 pm", "doesn't sound like a time"),
        ("yesterday at 9:75", "doesn't sound like a time"),
        ("2026-02-30T10:00", "isn't a real date and time"),
        ("banana", "I couldn't tell which day 'banana'"),
    ],
)
def test_parse_moment_errors(phrase: str, fragment: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_moment(phrase, NOW)
    assert fragment in str(caught.value)
    assert f"'{phrase}'" in str(caught.value)


def test_parse_moment_empty() -> None:
    with pytest.raises(WhenError, match="didn't catch a time"):
        parse_moment("  ", NOW)


# ------------------------------------------------------------------------------------------
# parse_clock and find_clock


@pytest.mark.parametrize(
    ("phrase", "expected", "settled"),
    [
        ("8am", time(8), True),
        ("8 a.m.", time(8), True),
        ("at 9 p m", time(21), True),
        ("half past seven", time(7, 30), False),
        ("quarter past nine", time(9, 15), False),
        ("a quarter to eight", time(7, 45), False),
        ("quarter to eight pm", time(19, 45), True),
        ("quarter to one am", time(0, 45), True),
        ("nine thirty", time(9, 30), False),
        ("seven oh five", time(7, 5), False),
        ("seven forty-five", time(7, 45), False),
        ("21:15", time(21, 15), True),
        ("7.30", time(7, 30), False),
        ("05:00", time(5), True),
        ("9 in the evening", time(21), True),
        ("9 at night", time(21), True),
        ("2 at night", time(2), True),
        ("12 at night", time(0), True),
        ("12 in the afternoon", time(12), True),
        ("9 tonight", time(21), True),
        ("8 o'clock", time(8), False),
        ("9", time(9), False),
        ("12", time(12), False),
        ("around 9", time(9), False),
        ("noon", time(12), True),
        ("12 noon", time(12), True),
        ("midnight", time(0), True),
    ],
)
def test_parse_clock(phrase: str, expected: time, settled: bool) -> None:
    assert parse_clock(phrase) == Clock(expected, settled)


@pytest.mark.parametrize(
    ("phrase", "context", "pm_hours", "expected"),
    [
        ("9", "every evening", (), time(21)),
        ("9", "every morning", range(1, 13), time(9)),
        ("9", "every morning and every evening", (), time(9)),
        ("9", "", range(1, 13), time(21)),
        ("3", "", range(1, 7), time(15)),
        ("7", "", range(1, 7), time(7)),
        ("quarter to seven", "", range(1, 7), time(18, 45)),
        ("quarter to one", "", range(1, 7), time(12, 45)),
        ("12", "", range(1, 13), time(12)),
        ("5", "tonight", (), time(17)),
        ("21:15", "in the morning", (), time(21, 15)),
    ],
)
def test_parse_clock_settles_am_or_pm_by_context(
    phrase: str, context: str, pm_hours: range, expected: time
) -> None:
    clock = parse_clock(phrase, context, pm_hours=pm_hours)
    assert clock is not None and clock.at == expected


@pytest.mark.parametrize("phrase", ["", "banana", "yesterday", "nine glimmers", "at", "ten to"])
def test_parse_clock_none_when_no_time(phrase: str) -> None:
    assert parse_clock(phrase) is None


@pytest.mark.parametrize("phrase", ["25:00", "9:75", "13 pm", "0 am", "half past 24"])
def test_parse_clock_rejects_impossible_times(phrase: str) -> None:
    with pytest.raises(WhenError, match="doesn't sound like a time"):
        parse_clock(phrase)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("remind me to look for two glimmers at 8 tonight, please", "at 8 tonight"),
        ("remind me at a quarter to eight to stretch", "at a quarter to eight"),
        ("set a reminder for 7 am to savor a glimmer", "7 am"),
        ("Every evening at 9, ask me to reflect.", "at 9"),
        ("remind me to stretch at 10 a.m.", "at 10 a.m."),
        ("remind me to rest at 25:00", "at 25:00"),
        ("look for one glimmer", None),
        ("remind me to call 2 friends", None),
    ],
)
def test_find_clock(text: str, found: str | None) -> None:
    span = find_clock(text)
    assert (text[span[0] : span[1]] if span else None) == found


CLOCK_SALAD = st.lists(
    st.sampled_from(
        ["at", "around", "9", "nine", "thirty", "half", "past", "quarter", "to", "a", "pm", "am",
         "in", "the", "evening", "tonight", "night", "o'clock", "7:30", "25:00", "noon", "glimmers"]
    ),
    max_size=8,
).map(" ".join)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(text=CLOCK_SALAD)
def test_what_find_clock_finds_parse_clock_reads(text: str) -> None:
    span = find_clock(text)
    if span is None:
        return
    # a time that can't be, such as "25:00", is found and then refused with a reason
    with contextlib.suppress(WhenError):
        assert parse_clock(text[span[0] : span[1]], text) is not None


# ------------------------------------------------------------------------------------------
# say_day


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (d(11, 24), "today"),
        (d(11, 23), "yesterday"),
        (d(11, 25), "tomorrow"),
        (d(11, 22), "Sunday"),
        (d(11, 18), "Wednesday"),
        (d(11, 17), "Tuesday the 17th of November"),
        (d(11, 3), "Tuesday the 3rd of November"),
        (d(11, 1), "Sunday the 1st of November"),
        (d(11, 2), "Monday the 2nd of November"),
        (d(10, 4), "Sunday the 4th of October"),
        (d(11, 11), "Wednesday the 11th of November"),
        (d(11, 12), "Thursday the 12th of November"),
        (d(11, 13), "Friday the 13th of November"),
        (d(10, 21), "Wednesday the 21st of October"),
        (d(10, 22), "Thursday the 22nd of October"),
        (d(10, 23), "Friday the 23rd of October"),
        (d(10, 31), "Saturday the 31st of October"),
        (d(1, 1), "Thursday the 1st of January"),
        (d(11, 3, 2025), "Monday the 3rd of November 2025"),
        (d(12, 31, 2025), "Wednesday the 31st of December 2025"),
        (d(12, 25), "Friday the 25th of December"),
    ],
)
def test_say_day(day: date, expected: str) -> None:
    assert say_day(day, TODAY) == expected


def test_say_day_across_new_year() -> None:
    today = date(2027, 1, 2)
    assert say_day(date(2026, 12, 31), today) == "Thursday"
    assert say_day(date(2026, 12, 20), today) == "Sunday the 20th of December 2026"


# ------------------------------------------------------------------------------------------
# Properties

RECENT_DAYS = st.integers(min_value=0, max_value=400).map(lambda n: TODAY - timedelta(days=n))


@settings(max_examples=100, deadline=None)
@given(day=RECENT_DAYS)
def test_spoken_and_iso_dates_span_exactly_that_day(day: date) -> None:
    expected = (local_midnight(day), local_midnight(day + timedelta(days=1)))
    for phrase in (f"{MONTH_NAMES[day.month - 1]} {day.day} {day.year}", day.isoformat()):
        span = parse_span(phrase, NOW)
        assert (span.start, span.end, span.kind) == (*expected, "day")
        assert span.label.endswith(say_day(day, TODAY))


@settings(max_examples=100, deadline=None)
@given(day=RECENT_DAYS)
def test_say_day_round_trips_through_parse_span(day: date) -> None:
    spoken = say_day(day, TODAY)
    assert parse_span(spoken, NOW).start == local_midnight(day)


@settings(max_examples=200, deadline=None)
@given(text=st.text())
def test_parse_span_only_raises_when_error(text: str) -> None:
    try:
        span = parse_span(text, NOW)
    except WhenError:
        return
    assert span.start < span.end
    assert span.start <= NOW + timedelta(days=366)


SALAD = st.lists(
    st.sampled_from(
        [
            "yesterday",
            "last",
            "the",
            "3rd",
            "at",
            "9",
            "pm",
            "monday",
            "of",
            "november",
            "twenty",
            "first",
            "ago",
            "days",
            ":",
            "-",
            "2026",
            "night",
            "'s",
            "45th",
            "7:30",
            "in",
            "past",
            "week",
            "o'clock",
        ]
    ),
    max_size=6,
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(text=SALAD)
def test_word_salad_only_raises_when_error(text: str) -> None:
    for parse in (parse_span, parse_moment):
        with contextlib.suppress(WhenError):
            parse(text, NOW)
