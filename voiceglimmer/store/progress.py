"""How the practice is going: weeks, streaks, themes, calm and favourite glimmers.

Everything here is computed from the journal as it stands at a given ``now``
(tz-aware, in the person's zone), so the same journal and the same ``now``
always give the same numbers: the ``stats`` command, the HTML report and the
insight plugin can't disagree. Moments after ``now`` are left out for the same
reason.

The journal may hold years of glimmers, so the work is done by SQLite
(grouping by local day, month and tag) and Python only walks the much shorter
aggregated rows: at most one row per day, month or tag. Local days are found
without converting every timestamp in Python: the person's zone is split into
stretches of constant UTC offset (a few per year, at the daylight-saving
changes), and SQL adds the right offset to each UTC timestamp.

Reads go through a separate read-only SQLite connection, so computing a
report can never change the journal, and nothing here needs the journal's
private connection.

Themes and calm are the plugins' figures: the tags and the calm ratings are
the themes and savor-guide plugins' own tables, so those plugins compute them
(through the ``theme_figures`` and ``calm_figures`` hooks, with the helpers
here for local time in SQL) and hand :class:`ThemeFigures` and :class:`Calm`
to :func:`compute`, which shows whatever it is given.

A journal written by an older version may hold a value the journal no longer
accepts (a year-1 time, an infinite savoring). Such a value is left out of the
figures, as a moment after ``now`` is, rather than stopping them all: only
times from ``journal.EARLIEST`` count, and only usable savoring lengths add up.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import quote

from voiceglimmer.store.journal import (
    EARLIEST,
    EARLIEST_TS,
    USABLE_SECONDS_SQL,
    Journal,
    local_time,
)

__all__ = [
    "Calm",
    "CalmPair",
    "Favourite",
    "LocalSQL",
    "MonthThemes",
    "Progress",
    "Streaks",
    "ThemeFigures",
    "Totals",
    "WeekCount",
    "compute",
    "daily_counts",
    "favourites",
    "julian_local_time",
    "local_seconds",
    "month_labels",
    "open_reader",
    "savored_by",
    "streaks",
    "totals",
    "weekly_counts",
]

DAY = 86400
#: Julian day number of the Unix epoch, to turn SQLite's julianday() back into seconds.
_UNIX_JD = 2440587.5


# -- reading -------------------------------------------------------------------


@contextmanager
def open_reader(journal: Journal | Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the journal file.

    ``mode=ro`` plus ``query_only`` means a bug here can't write to someone's
    journal; WAL mode lets it read while the journal's own connection is open.
    """
    path = journal.path if isinstance(journal, Journal) else Path(journal)
    db = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=10)
    try:
        db.execute("PRAGMA query_only = ON")
        yield db
    finally:
        db.close()


#: What the figures are read from: the journal, its file, or a connection already open on it.
JournalLike = Journal | Path | sqlite3.Connection


@contextmanager
def _connection(source: JournalLike) -> Iterator[sqlite3.Connection]:
    if isinstance(source, sqlite3.Connection):
        yield source
    else:
        with open_reader(source) as db:
            yield db


# -- local time in SQL ---------------------------------------------------------


def _offset(ts: float, tz: tzinfo) -> int:
    off = datetime.fromtimestamp(ts, tz).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def _offset_changes(tz: tzinfo, lo: float, hi: float) -> tuple[int, list[tuple[float, int]]]:
    """The UTC offset at ``lo`` and every (moment, new offset) change up to ``hi``.

    Steps a day at a time (zones change offset at most every few weeks, so a
    day can't hide two changes) and pins each change to the second by
    bisection. Ten years of a zone is a few milliseconds.
    """
    first = _offset(lo, tz)
    changes: list[tuple[float, int]] = []
    current, t = first, lo
    while t < hi:
        step = min(t + DAY, hi)
        after = _offset(step, tz)
        if after != current:
            a, b = t, step  # offset(a) == current, offset(b) == after
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(mid, tz) == current:
                    a = mid
                else:
                    b = mid
            changes.append((b, after))
            current = after
        t = step
    return first, changes


@dataclass(frozen=True)
class LocalSQL:
    """SQL for "this UTC timestamp's local wall-clock seconds", with its parameters."""

    expr: str
    params: tuple[Any, ...]


def local_seconds(column: str, tz: tzinfo, lo: float, hi: float) -> LocalSQL:
    """``column`` plus the zone's offset at that moment, as a balanced CASE tree.

    A tree rather than a flat CASE keeps it to a handful of comparisons per row
    even over decades of daylight-saving changes.
    """
    first, changes = _offset_changes(tz, lo, hi)
    offsets = [first, *(offset for _, offset in changes)]
    params: list[Any] = []

    def tree(i: int, j: int) -> str:  # the value lies in stretches i..j
        if i == j:
            params.append(offsets[i])
            return "?"
        mid = (i + j + 1) // 2  # stretch ``mid`` starts at changes[mid - 1]
        params.append(changes[mid - 1][0])
        low = tree(i, mid - 1)
        high = tree(mid, j)
        return f"CASE WHEN {column} < ? THEN {low} ELSE {high} END"

    return LocalSQL(f"({column} + {tree(0, len(offsets) - 1)})", tuple(params))


#: Shifts timestamps positive before truncating, so CAST rounds down before 1970 too.
_SHIFT_DAYS = 1_000_000


def _day_number(seconds_sql: str) -> str:
    """Days since 1970-01-01 of local wall-clock seconds, evaluating the expression once."""
    return f"(CAST(({seconds_sql} + {_SHIFT_DAYS * DAY}) / {DAY} AS INTEGER) - {_SHIFT_DAYS})"


_EPOCH = date(1970, 1, 1)


def _to_date(day_number: int) -> date:
    return _EPOCH + timedelta(days=day_number)


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _zone(now: datetime) -> tzinfo:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (the person's local time)")
    return now.tzinfo


def _bounds(db: sqlite3.Connection, now_ts: float) -> tuple[float, float] | None:
    row = db.execute(
        "SELECT min(created_ts), max(created_ts) FROM glimmers "
        "WHERE created_ts >= ? AND created_ts <= ?",
        (EARLIEST_TS, now_ts),
    ).fetchone()
    return None if row[0] is None else (float(row[0]), float(row[1]))


# -- results -------------------------------------------------------------------


@dataclass(frozen=True)
class WeekCount:
    """Glimmers in one ISO week (Monday to Sunday, local time)."""

    start: date  # the Monday
    count: int

    @property
    def iso(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Streaks:
    """Runs of consecutive local days with at least one glimmer.

    The current streak is still alive when its last day is today or
    yesterday: the person may simply not have noted today's glimmer yet.
    """

    current: int = 0
    current_start: date | None = None
    current_end: date | None = None
    longest: int = 0
    longest_start: date | None = None
    longest_end: date | None = None
    #: Whether today already has a glimmer (the streak doesn't need one more today).
    today_done: bool = False
    #: The last day with a glimmer, even when the streak has lapsed.
    last_day: date | None = None


@dataclass(frozen=True)
class MonthThemes:
    """Theme (tag) counts for one local calendar month, largest first."""

    month: str  # "YYYY-MM"
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class ThemeFigures:
    """What glimmers are about, as a plugin that keeps themes reports it (the
    ``theme_figures`` hook): per local month, the most common overall, and how
    many glimmers carry any theme."""

    months: list[MonthThemes]
    top: list[tuple[str, int]]
    tagged: int = 0


@dataclass(frozen=True)
class CalmPair:
    """One savoring rated before and after: how calm, 1 (not at all) to 5 (very)."""

    savoring_id: int
    glimmer_id: int
    text: str
    at: datetime
    before: int
    after: int

    @property
    def rise(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class Calm:
    """Calm before and after savoring, over savorings rated both times."""

    rated: int = 0
    avg_before: float | None = None
    avg_after: float | None = None
    avg_rise: float | None = None
    calmer: int = 0
    same: int = 0
    less_calm: int = 0
    #: The most recent rated savorings, oldest first (for a chart).
    pairs: list[CalmPair] = field(default_factory=list)


@dataclass(frozen=True)
class Favourite:
    """A glimmer the person came back to: savored ``savor_count`` times."""

    glimmer_id: int
    text: str
    created_at: datetime
    savor_count: int
    last_savored: datetime


@dataclass(frozen=True)
class Totals:
    glimmers: int = 0
    savorings: int = 0
    savored_seconds: float = 0.0
    practice_days: int = 0
    tagged_glimmers: int = 0
    first_day: date | None = None
    last_day: date | None = None


@dataclass(frozen=True)
class Progress:
    """Everything the report and ``stats`` show, for one ``now``."""

    now: datetime
    totals: Totals
    weeks: list[WeekCount]
    streaks: Streaks
    #: Glimmers per local day for the calendar, first day to today (zeros included).
    calendar: list[tuple[date, int]]
    themes: list[MonthThemes]
    top_themes: list[tuple[str, int]]
    calm: Calm
    favourites: list[Favourite]

    @property
    def empty(self) -> bool:
        return self.totals.glimmers == 0

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types: dates as ISO text, pairs as small objects."""

        def plain(value: Any) -> Any:
            if isinstance(value, datetime | date):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [plain(v) for v in value]
            if isinstance(value, float):
                return round(value, 3)
            return value

        return {
            "now": self.now.isoformat(),
            "totals": plain(asdict(self.totals)),
            "weeks": [{"week": w.iso, "start": w.start.isoformat(), "count": w.count}
                      for w in self.weeks],
            "streaks": plain(asdict(self.streaks)),
            "calendar": {
                "start": self.calendar[0][0].isoformat() if self.calendar else None,
                "end": self.calendar[-1][0].isoformat() if self.calendar else None,
                "days": [{"date": d.isoformat(), "count": n} for d, n in self.calendar if n],
            },
            "themes": {
                "top": [{"tag": t, "count": n} for t, n in self.top_themes],
                "months": [{"month": m.month, "counts": m.counts} for m in self.themes],
            },
            "calm": {
                **{k: plain(v) for k, v in asdict(self.calm).items() if k != "pairs"},
                "pairs": [
                    {"savoring_id": p.savoring_id, "glimmer_id": p.glimmer_id,
                     "at": p.at.isoformat(), "before": p.before, "after": p.after}
                    for p in self.calm.pairs
                ],
            },
            "favourites": [
                {"glimmer_id": f.glimmer_id, "text": f.text,
                 "created_at": f.created_at.isoformat(), "savor_count": f.savor_count,
                 "last_savored": f.last_savored.isoformat()}
                for f in self.favourites
            ],
        }  # fmt: skip


# -- computations --------------------------------------------------------------


def daily_counts(source: JournalLike, now: datetime, start: date | None = None) -> dict[date, int]:
    """Glimmers per local day from ``start`` (default: the first one) up to ``now``.

    Only days with glimmers appear; one SQL GROUP BY over an index range.
    """
    tz = _zone(now)
    now_ts = now.timestamp()
    with _connection(source) as db:
        bounds = _bounds(db, now_ts)
        if bounds is None:
            return {}
        lo = bounds[0] if start is None else max(bounds[0], _midnight(start, tz).timestamp())
        if lo > now_ts:
            return {}
        local = local_seconds("created_ts", tz, lo - DAY, now_ts + DAY)
        rows = db.execute(
            f"SELECT {_day_number(local.expr)} AS day, count(*) FROM glimmers "
            "WHERE created_ts >= ? AND created_ts <= ? GROUP BY day",
            (*local.params, lo, now_ts),
        )
        return {_to_date(int(day)): int(n) for day, n in rows}


def weekly_counts(days: dict[date, int], today: date, weeks: int) -> list[WeekCount]:
    """The last ``weeks`` ISO weeks ending with this one, oldest first, zeros included."""
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=weeks - 1)
    totals = [0] * weeks
    for day, n in days.items():
        index = (day - first).days // 7
        if 0 <= index < weeks and day <= today:
            totals[index] += n
    return [WeekCount(first + timedelta(weeks=i), totals[i]) for i in range(weeks)]


def streaks(practice_days: Sequence[date] | set[date] | dict[date, int], today: date) -> Streaks:
    """Current and longest runs of consecutive practice days (see ``Streaks``)."""
    days = sorted(d for d in practice_days if d <= today)
    if not days:
        return Streaks()
    longest = (1, days[0], days[0])
    run_start = days[0]
    for previous, day in pairwise(days):
        if (day - previous).days != 1:
            run_start = day
        length = (day - run_start).days + 1
        if length > longest[0]:
            longest = (length, run_start, day)
    last = days[-1]
    alive = (today - last).days <= 1
    current = (last - run_start).days + 1 if alive else 0
    return Streaks(
        current=current,
        current_start=run_start if alive else None,
        current_end=last if alive else None,
        longest=longest[0],
        longest_start=longest[1],
        longest_end=longest[2],
        today_done=last == today,
        last_day=last,
    )


def _month_start(day: date, back: int) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def month_labels(now: datetime, months: int) -> list[str]:
    """The last ``months`` local months up to ``now``'s, oldest first, as "YYYY-MM"."""
    return [f"{_month_start(now.date(), back):%Y-%m}" for back in range(months - 1, -1, -1)]


def savored_by(now: datetime, column: str = "s.started_at") -> tuple[str, tuple[Any, ...]]:
    """SQL for "this savoring started from EARLIEST to ``now``", cheap for most rows.

    ``started_at`` is ISO text with its own offset, so the exact test needs
    julianday(). A plain text comparison settles every savoring dated two or
    more days from either end first (no offset moves a date that far), so only
    the rows near the ends are parsed.
    """
    cutoff = (now.astimezone(UTC).date() - timedelta(days=2)).isoformat()
    floor = (EARLIEST.date() + timedelta(days=2)).isoformat()
    return (
        f"({column} < ? OR julianday({column}) <= ?) "
        f"AND ({column} >= ? OR julianday({column}) >= ?)",
        (cutoff, now.timestamp() / DAY + _UNIX_JD, floor, EARLIEST_TS / DAY + _UNIX_JD),
    )


def julian_local_time(jd: float | None, tz: tzinfo) -> datetime | None:
    """A julianday() as a local time; None when SQLite couldn't read the stored text
    (an offset with seconds, from a zone's old local mean time)."""
    if jd is None:
        return None
    return local_time(datetime.fromtimestamp(round((jd - _UNIX_JD) * DAY, 3), UTC), tz)


def favourites(source: JournalLike, now: datetime, limit: int = 5) -> list[Favourite]:
    """The glimmers savored most often; ties go to the one savored most recently."""
    tz = _zone(now)
    past, params = savored_by(now)
    with _connection(source) as db:
        rows = db.execute(
            "SELECT g.id, g.text, g.created_at, count(*) AS n, max(julianday(s.started_at)) AS jd "
            "FROM savorings s JOIN glimmers g ON g.id = s.glimmer_id "
            f"WHERE {past} GROUP BY g.id ORDER BY n DESC, jd DESC, g.id DESC LIMIT ?",
            (*params, limit),
        ).fetchall()
    return [
        Favourite(
            glimmer_id=int(gid),
            text=str(text),
            created_at=local_time(datetime.fromisoformat(created), tz),
            savor_count=int(n),
            last_savored=last,
        )
        for gid, text, created, n, jd in rows
        if (last := julian_local_time(jd, tz)) is not None
    ]


def totals(source: JournalLike, now: datetime, days: dict[date, int] | None = None) -> Totals:
    """Counts over the whole journal up to ``now``."""
    now_ts = now.timestamp()
    past, params = savored_by(now, "started_at")
    with _connection(source) as db:
        if days is None:
            days = daily_counts(db, now)
        glimmers = db.execute(
            "SELECT count(*) FROM glimmers WHERE created_ts >= ? AND created_ts <= ?",
            (EARLIEST_TS, now_ts),
        ).fetchone()[0]
        savorings, seconds = db.execute(
            f"SELECT count(*), coalesce(sum({USABLE_SECONDS_SQL}), 0) FROM savorings WHERE {past}",
            params,
        ).fetchone()
    return Totals(
        glimmers=int(glimmers),
        savorings=int(savorings),
        savored_seconds=float(seconds),
        practice_days=len(days),
        first_day=min(days) if days else None,
        last_day=max(days) if days else None,
    )


#: How far back the report's calendar reaches: 26 full weeks, about six months.
CALENDAR_WEEKS = 26


def compute(
    journal: Journal | Path,
    now: datetime,
    *,
    weeks: int = 12,
    months: int = 6,
    calendar_weeks: int = CALENDAR_WEEKS,
    favourite_count: int = 5,
    themes: ThemeFigures | None = None,
    calm: Calm | None = None,
) -> Progress:
    """Every figure at once, over one read-only connection; themes and calm as the
    plugins that keep them computed them (none given: none shown, months empty)."""
    if weeks < 1 or months < 1 or calendar_weeks < 1:
        raise ValueError("weeks, months and calendar_weeks must be at least 1")
    today = now.date()
    if themes is None:
        themes = ThemeFigures([MonthThemes(m) for m in month_labels(now, months)], [])
    with open_reader(journal) as db:
        days = daily_counts(db, now)
        monday = today - timedelta(days=today.weekday())
        cal_start = monday - timedelta(weeks=calendar_weeks - 1)
        calendar = [
            (cal_start + timedelta(days=i), days.get(cal_start + timedelta(days=i), 0))
            for i in range((today - cal_start).days + 1)
        ]
        return Progress(
            now=now,
            totals=replace(totals(db, now, days), tagged_glimmers=themes.tagged),
            weeks=weekly_counts(days, today, weeks),
            streaks=streaks(days, today),
            calendar=calendar,
            themes=themes.months,
            top_themes=themes.top,
            calm=calm or Calm(),
            favourites=favourites(db, now, favourite_count),
        )
