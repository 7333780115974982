"""Property tests: the router, the answer reader and the date parser on any text.

Whatever a recogniser mishears or a person types, routing must not raise and
must give the same answer every time, and a glimmer's own words must come
back as they were said. Dates must resolve to the past, in the person's time
zone, or fail with the speakable ``WhenError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tests.conftest import NOW
from voiceglimmer.app import open_assistant
from voiceglimmer.crisis import is_crisis
from voiceglimmer.dialog.assistant import Assistant, yes_or_no
from voiceglimmer.dialog.understanding import Match, clean_utterance
from voiceglimmer.dialog.when import WhenError, parse_moment, parse_span, say_day

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Routing a sentence costs a few milliseconds per loaded intent.
ROUTING = settings(PROPERTY, max_examples=150)

# -- text strategies ---------------------------------------------------------------------

#: Any text without surrogates (which no recogniser or terminal hands over), controls included.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)
CONTROLS = st.lists(
    st.sampled_from(["\x00", "\x1b[31m", "\r", "\t", "\n", "\u202e", "\u200b", "\x7f", " ", "a"]),
    max_size=12,
).map("".join)
TEMPLATE_WORDS = [
    *("i", "noticed", "had", "a", "glimmer", "glimmers", "savor", "it", "that", "what"),
    *("were", "yesterday's", "today", "last", "week", "remind", "me", "of", "any", "about"),
    *("how", "many", "undo", "delete", "the", "yes", "no", "please", "okay", "um", "cancel"),
    *("stop", "from", "on", "monday", "november", "3rd", "quick", "long", "help", "log"),
    *("save", "my", "was", "is"),
]
SENTENCES = st.lists(
    st.one_of(st.sampled_from(TEMPLATE_WORDS), st.sampled_from([",", ":", "!", "?", "-", "'"])),
    max_size=14,
).map(" ".join)
UTTERANCES = st.one_of(ANY_TEXT, CONTROLS, SENTENCES, st.tuples(SENTENCES, ANY_TEXT).map(" ".join))

#: Words of several scripts, digits and emoji: what a glimmer is made of.
WORDS = st.one_of(
    st.text(
        st.sampled_from(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éñüßçøå🙂🌅☕"
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["緑茶", "朝の光", "привет", "Ёлка", "مرحبا", "القهوة", "नमस्ते", "चाय", "👩‍👧"]),
)
#: Punctuation a person puts inside a glimmer (between its words).
INNER = st.sampled_from([" ", " ", " ", ", ", "; ", " - ", "! ", "? ", " & ", "/", "'", " (", ") "])
#: What people put between the template and the glimmer (hassil needs a space after it),
#: and after the glimmer.
LEAD = st.sampled_from(["", ":", ",", ";", "...", " -", " --", " \u2014", ":  "])
TAIL = st.text(st.sampled_from(" ,.;:-"), max_size=3)

#: Words the log templates themselves may take from the start of the slot
#: ("I noticed a glimmer today it was ..."), or the router from its end.
_TEMPLATE_TAIL = re.compile(
    r"^(?:today|just now|earlier|it was|and it was)\b|\bas a glimmer$", re.IGNORECASE
)
_FILLER_END = re.compile(r"(?:^|[\s,])(?:please|thanks|thank you|for me|okay|ok)\W*$", re.I)


@st.composite
def glimmer_texts(draw: st.DrawFn) -> str:
    """A glimmer: words joined by spaces and inner punctuation, ending in a word or '!'."""
    words = draw(st.lists(WORDS, min_size=1, max_size=8))
    text = words[0]
    for word in words[1:]:
        text += draw(INNER) + word
    return text + draw(st.sampled_from(["", "", "!", "!!"]))


# -- fixtures ------------------------------------------------------------------------------


def _assistant(folder: Path) -> Assistant:
    return open_assistant(home=folder, clock=lambda: NOW, seed=7)


class Pair(tuple):
    """Two assistants; short to print in a falsifying example."""

    def __repr__(self) -> str:
        return "<two assistants>"


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Two assistants built independently, each with its own home."""
    pair = Pair(
        (
            _assistant(tmp_path_factory.mktemp("first")),
            _assistant(tmp_path_factory.mktemp("second")),
        )
    )
    yield pair
    for a in pair:
        a.journal.close()


def _outcome(match: Match | None) -> tuple[str, str, dict[str, str]] | None:
    return None if match is None else (match.intent.plugin, match.intent.name, match.slots)


# -- routing -----------------------------------------------------------------------------


@ROUTING
@given(text=UTTERANCES)
def test_routing_never_raises_and_is_deterministic(two, text: str) -> None:
    first, second = two
    once = _outcome(first.registry.match(text))
    assert _outcome(first.registry.match(text)) == once  # the same words twice
    assert _outcome(second.registry.match(text)) == once  # a freshly built assistant
    if once is not None:
        assert all(isinstance(v, str) and v.strip() for v in once[2].values())


@PROPERTY
@given(text=UTTERANCES)
def test_clean_utterance_is_idempotent(text: str) -> None:
    cleaned = clean_utterance(text)
    assert clean_utterance(cleaned) == cleaned
    assert cleaned == cleaned.strip() and "  " not in cleaned


@ROUTING
@given(text=glimmer_texts(), before=LEAD, after=TAIL)
@example(text="R R", before="", after="")  # once came back as "r: R", glimmer's own r first
def test_a_logged_glimmer_keeps_the_persons_words(two, text: str, before: str, after: str) -> None:
    """The documented normalisation of a free-text slot: runs of spaces become one, and
    separators (spaces , . ; : -) between the template and the glimmer, or after it, are
    dropped; everything from the first word to the last word or "!" is kept verbatim."""
    assume(not _TEMPLATE_TAIL.search(text) and not _FILLER_END.search(text))
    match = two[0].registry.match(f"I noticed a glimmer:{before} {text}{after}")
    assert match is not None
    assume(not is_crisis(text))  # words of harm are answered first, by design
    assert (match.intent.plugin, match.intent.name) == ("log", "log_glimmer")
    assert match.slots == {"glimmer": " ".join(text.split())}


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ('she said "thank you".', 'she said "thank you"'),
        ('"thank you," she said', '"thank you," she said'),
        ("the word 'home'", "the word 'home'"),
        ("Mum's laugh, in Paris!", "Mum's laugh, in Paris!"),
        ("'; DROP TABLE glimmers; --", "DROP TABLE glimmers"),
    ],
)
def test_quotes_that_pair_up_are_kept_in_a_glimmer(two, said: str, kept: str) -> None:
    match = two[0].registry.match(f"glimmer: {said}")
    assert match is not None and match.slots == {"glimmer": kept}


@PROPERTY
@given(text=st.one_of(ANY_TEXT, CONTROLS, SENTENCES))
def test_yes_or_no_never_raises(text: str) -> None:
    assert yes_or_no(text) in (True, False, None)


@pytest.mark.parametrize(
    ("said", "answer"),
    [("Yes please!", True), ("yeah", True), ("No thanks.", False), ("nope", False), ("", None)],
)
def test_yes_or_no_reads_plain_answers(said: str, answer: bool | None) -> None:
    assert yes_or_no(said) is answer


# -- dates ---------------------------------------------------------------------------------

ZONES = [
    ZoneInfo(name)
    for name in (
        "America/New_York",
        "Europe/London",
        "Australia/Lord_Howe",  # half-hour daylight saving
        "America/Sao_Paulo",  # used to skip midnight itself
        "Asia/Kolkata",
        "Pacific/Chatham",
        "UTC",
    )
]


@st.composite
def nows(draw: st.DrawFn) -> datetime:
    """A tz-aware "now" anywhere from 2001 to 2039, in a zone with awkward daylight saving."""
    naive = draw(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2039, 12, 31)))
    return naive.replace(tzinfo=draw(st.sampled_from(ZONES)))


#: Phrases naming one day.
SINGLE_DAYS = st.one_of(
    st.sampled_from(
        [
            "today",
            "yesterday",
            "the day before yesterday",
            "last night",
            "monday",
            "last friday",
            "the 3rd",
            "the 31st",
            "feb 29",
            "november the twenty first",
            "yesterday morning",
            "twenty two days ago",
        ]
    ),
    st.integers(1, 400).map(lambda n: f"{n} days ago"),
)
DAY_PHRASES = st.one_of(
    SINGLE_DAYS,
    st.sampled_from(
        [
            "this week",
            "last week",
            "the week before last",
            "past week",
            "this month",
            "last month",
            "this past month",
            "november",
            "last march",
            "this year",
            "last year",
        ]
    ),
    st.integers(1, 60).map(lambda n: f"{n} weeks ago"),
    st.integers(1, 30).map(lambda n: f"past {n} days"),
    st.integers(1, 24).map(lambda n: f"{n} months ago"),
)
MOMENT_PHRASES = st.one_of(
    SINGLE_DAYS,
    st.sampled_from(
        ["now", "an hour ago", "half an hour ago", "yesterday at 9am", "monday evening", "noon"]
    ),
    st.integers(1, 600).map(lambda n: f"{n} minutes ago"),
    st.tuples(st.integers(1, 12), st.sampled_from(["am", "pm"])).map(
        lambda t: f"yesterday at {t[0]}{t[1]}"
    ),
)


@PROPERTY
@given(text=st.one_of(ANY_TEXT, CONTROLS, SENTENCES, DAY_PHRASES), now=nows())
def test_date_parsers_fail_only_with_a_speakable_when_error(text: str, now: datetime) -> None:
    for parse in (parse_span, parse_moment):
        try:
            parse(text, now)
        except WhenError as error:
            assert str(error).strip() and "try " in str(error).lower()


@PROPERTY
@given(phrase=DAY_PHRASES, now=nows())
def test_a_span_runs_forward_in_the_persons_zone_and_not_past_today(
    phrase: str, now: datetime
) -> None:
    try:
        span = parse_span(phrase, now)
    except WhenError:
        assume(False)  # "feb 29" and "the 31st" are sometimes no day at all
        return
    assert span.start.tzinfo is now.tzinfo and span.end.tzinfo is now.tzinfo
    assert span.start.utcoffset() is not None and span.end.utcoffset() is not None
    assert span.start.timestamp() < span.end.timestamp()
    assert span.start.timestamp() <= now.timestamp()
    assert span.label.strip()


@PROPERTY
@given(phrase=MOMENT_PHRASES, now=nows())
def test_a_moment_is_in_the_persons_zone_and_not_in_the_future(phrase: str, now: datetime) -> None:
    try:
        moment = parse_moment(phrase, now)
    except WhenError:
        assume(False)
        return
    assert moment.tzinfo is now.tzinfo and moment.utcoffset() is not None
    assert moment.timestamp() <= (now + timedelta(seconds=60)).timestamp()


@PROPERTY
@given(
    today=st.dates(min_value=date(2002, 1, 1), max_value=date(2039, 12, 31)),
    back=st.integers(0, 2 * 366),
    zone=st.sampled_from(ZONES),
)
def test_a_spoken_day_parses_back_to_that_day(today: date, back: int, zone: ZoneInfo) -> None:
    day = today - timedelta(days=back)
    now = datetime.combine(today, datetime.min.time(), tzinfo=zone) + timedelta(hours=15)
    spoken = say_day(day, today)
    span = parse_span(spoken, now)
    assert span.kind == "day" and span.start.date() == day, spoken


@PROPERTY
@given(
    today=st.dates(min_value=date(2002, 1, 1), max_value=date(2039, 12, 31)),
    ahead=st.integers(1, 2 * 366),
)
def test_a_spoken_future_day_is_never_taken_for_that_day(today: date, ahead: int) -> None:
    """Journals only look back: a future day is refused or means an earlier one."""
    day = today + timedelta(days=ahead)
    now = datetime.combine(today, datetime.min.time(), tzinfo=ZONES[0]) + timedelta(hours=15)
    try:
        span = parse_span(say_day(day, today), now)
    except WhenError:
        return
    assert span.start.date() <= today
