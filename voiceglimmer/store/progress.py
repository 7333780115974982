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

A journal written by an older version may hold a value the journal no longer
accepts (a year-1 time, an infinite savoring). Such a value is left out of the
figures, as a moment after ``now`` is, rather than stopping them all: only
times from ``journal.EARLIEST`` count, and only usable savoring lengths add up.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
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
    "MonthThemes",
    "Progress",
    "Streaks",
    "Totals",
    "WeekCount",
    "calm",
    "compute",
    "daily_counts",
    "favourites",
    "open_reader",
    "streaks",
    "theme_counts",
    "themes_by_month",
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


Source = Journal | Path | sqlite3.Connection


@contextmanager
def _connection(source: Source) -> Iterator[sqlite3.Connection]:
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
class _LocalSQL:
    """SQL for "this UTC timestamp's local wall-clock seconds", with its parameters."""

    expr: str
    params: tuple[Any, ...]


def _local_seconds(column: str, tz: tzinfo, lo: float, hi: float) -> _LocalSQL:
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

    return _LocalSQL(f"({column} + {tree(0, len(offsets) - 1)})", tuple(params))


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


def daily_counts(source: Source, now: datetime, start: date | None = None) -> dict[date, int]:
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
        local = _local_seconds("created_ts", tz, lo - DAY, now_ts + DAY)
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


#: The tags that count for a glimmer: the person's own if they gave any, else
#: the guessed ones; the same rule as ``Journal.tags`` and ``Journal.tag_counts``
#: (a test checks the two agree).
#: The subquery is not correlated, so SQLite builds it once, not once per row.
_EFFECTIVE = (
    "(t.source = 'person' OR t.glimmer_id NOT IN "
    "(SELECT glimmer_id FROM tags WHERE source = 'person'))"
)


def _all_counted(db: sqlite3.Connection, now_ts: float) -> bool:
    """Whether every glimmer lies between EARLIEST and ``now`` (the usual case): then
    no join is needed."""
    earliest, latest = db.execute(
        "SELECT min(created_ts), max(created_ts) FROM glimmers"
    ).fetchone()
    return latest is None or (earliest >= EARLIEST_TS and latest <= now_ts)


def themes_by_month(source: Source, now: datetime, months: int = 6) -> list[MonthThemes]:
    """Tag counts per local month for the last ``months`` months, oldest first.

    Months without tagged glimmers are included, empty, so a chart's gaps are
    true gaps. A glimmer counts once for each of its themes.
    """
    tz = _zone(now)
    now_ts = now.timestamp()
    first = _month_start(now.date(), months - 1)
    lo = _midnight(first, tz).timestamp()
    local = _local_seconds("g.created_ts", tz, lo - DAY, now_ts + DAY)
    with _connection(source) as db:
        rows = db.execute(
            f"SELECT strftime('%Y-%m', {local.expr}, 'unixepoch') AS month, t.tag, count(*) AS n "
            "FROM glimmers g JOIN tags t ON t.glimmer_id = g.id "
            f"WHERE g.created_ts >= ? AND g.created_ts <= ? AND {_EFFECTIVE} "
            "GROUP BY month, t.tag ORDER BY month, n DESC, t.tag",
            (*local.params, lo, now_ts),
        ).fetchall()
    by_month: dict[str, dict[str, int]] = {}
    for month, tag, n in rows:
        by_month.setdefault(month, {})[tag] = int(n)
    labels = [f"{_month_start(now.date(), back):%Y-%m}" for back in range(months - 1, -1, -1)]
    return [MonthThemes(m, by_month.get(m, {})) for m in labels]


def theme_counts(
    source: Source, now: datetime, start: datetime | None = None, limit: int | None = None
) -> list[tuple[str, int]]:
    """How many glimmers carry each tag (from ``start`` up to ``now``), most first."""
    _zone(now)
    now_ts = now.timestamp()
    with _connection(source) as db:
        if start is None and _all_counted(db, now_ts):
            # The whole journal: every tag (read from the tag index alone), less
            # the guesses hidden by the person's own tags on the same glimmer.
            counts = dict(db.execute("SELECT tag, count(*) FROM tags GROUP BY tag").fetchall())
            for tag, n in db.execute(
                "SELECT tag, count(*) FROM tags WHERE source = 'inferred' AND glimmer_id IN "
                "(SELECT glimmer_id FROM tags WHERE source = 'person') GROUP BY tag"
            ):
                counts[tag] -= n
            ranked = sorted(((str(t), int(n)) for t, n in counts.items() if n), key=_most_first)
            return ranked if limit is None else ranked[:limit]
        lo = max(start.timestamp(), EARLIEST_TS) if start is not None else EARLIEST_TS
        rows = db.execute(
            f"SELECT t.tag, count(*) AS n FROM tags t WHERE {_EFFECTIVE} AND t.glimmer_id IN "
            "(SELECT id FROM glimmers WHERE created_ts >= ? AND created_ts <= ?) "
            "GROUP BY t.tag ORDER BY n DESC, t.tag LIMIT ?",
            (lo, now_ts, -1 if limit is None else limit),
        )
        return [(str(tag), int(n)) for tag, n in rows]


def _most_first(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def _savored_by(now: datetime, column: str = "s.started_at") -> tuple[str, tuple[Any, ...]]:
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


def _local_time(jd: float | None, tz: tzinfo) -> datetime | None:
    """A julianday() as a local time; None when SQLite couldn't read the stored text
    (an offset with seconds, from a zone's old local mean time)."""
    if jd is None:
        return None
    return local_time(datetime.fromtimestamp(round((jd - _UNIX_JD) * DAY, 3), UTC), tz)


def calm(source: Source, now: datetime, pairs: int = 30) -> Calm:
    """Averages over savorings rated both before and after, plus the latest pairs.

    Only savorings with both ratings count, so "before" and "after" describe
    the same moments and the rise is a real difference, not two samples.
    """
    tz = _zone(now)
    past, params = _savored_by(now)
    rated = f"s.calm_before IS NOT NULL AND s.calm_after IS NOT NULL AND {past}"
    with _connection(source) as db:
        count, before, after, rise, up, same, down = db.execute(
            "SELECT count(*), avg(calm_before), avg(calm_after), avg(calm_after - calm_before), "
            "coalesce(sum(calm_after > calm_before), 0), "
            "coalesce(sum(calm_after = calm_before), 0), "
            f"coalesce(sum(calm_after < calm_before), 0) FROM savorings s WHERE {rated}",
            params,
        ).fetchone()
        rows = db.execute(
            "SELECT s.id, s.glimmer_id, g.text, julianday(s.started_at) AS jd, "
            "s.calm_before, s.calm_after FROM savorings s JOIN glimmers g ON g.id = s.glimmer_id "
            f"WHERE {rated} ORDER BY jd DESC, s.id DESC LIMIT ?",
            (*params, pairs),
        ).fetchall()
    if not count:
        return Calm()
    return Calm(
        rated=int(count),
        avg_before=float(before),
        avg_after=float(after),
        avg_rise=float(rise),
        calmer=int(up),
        same=int(same),
        less_calm=int(down),
        pairs=[
            CalmPair(int(sid), int(gid), str(text), at, int(b), int(a))
            for sid, gid, text, jd, b, a in reversed(rows)
            if (at := _local_time(jd, tz)) is not None
        ],
    )


def favourites(source: Source, now: datetime, limit: int = 5) -> list[Favourite]:
    """The glimmers savored most often; ties go to the one savored most recently."""
    tz = _zone(now)
    past, params = _savored_by(now)
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
        if (last := _local_time(jd, tz)) is not None
    ]


def totals(source: Source, now: datetime, days: dict[date, int] | None = None) -> Totals:
    """Counts over the whole journal up to ``now``."""
    now_ts = now.timestamp()
    past, params = _savored_by(now, "started_at")
    with _connection(source) as db:
        if days is None:
            days = daily_counts(db, now)
        glimmers = db.execute(
            "SELECT count(*) FROM glimmers WHERE created_ts >= ? AND created_ts <= ?",
            (EARLIEST_TS, now_ts),
        ).fetchone()[0]
        if _all_counted(db, now_ts):
            tagged = db.execute("SELECT count(DISTINCT glimmer_id) FROM tags").fetchone()[0]
        else:
            tagged = db.execute(
                "SELECT count(DISTINCT glimmer_id) FROM tags WHERE glimmer_id IN "
                "(SELECT id FROM glimmers WHERE created_ts >= ? AND created_ts <= ?)",
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
        tagged_glimmers=int(tagged),
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
    top: int = 6,
    favourite_count: int = 5,
    calm_pairs: int = 30,
) -> Progress:
    """Every figure at once, over one read-only connection."""
    if weeks < 1 or months < 1 or calendar_weeks < 1:
        raise ValueError("weeks, months and calendar_weeks must be at least 1")
    today = now.date()
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
            totals=totals(db, now, days),
            weeks=weekly_counts(days, today, weeks),
            streaks=streaks(days, today),
            calendar=calendar,
            themes=themes_by_month(db, now, months),
            top_themes=theme_counts(db, now, limit=top),
            calm=calm(db, now, calm_pairs),
            favourites=favourites(db, now, favourite_count),
        )
