"""``stats`` and ``report`` on a real sample journal, checked against the journal itself.

The expected figures are worked out here from tests/data/sample_journal.json
with plain Python (zoneinfo per glimmer, no SQL), so the SQL in
``voiceglimmer.store.progress`` is checked by a second, independent method. The
report is then opened in a real headless Chromium, when it is installed.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import stat
import struct
import subprocess
import time
import zlib
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from voiceglimmer_plugins import savor_guide, themes

from tests.conftest import NOW, ZONE
from voiceglimmer.store import progress
from voiceglimmer.store.journal import Journal

SAMPLE = Path(__file__).parent / "data" / "sample_journal.json"
TZ = ZoneInfo(ZONE)
CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (scripts/setup installs it with apt)"
)


# -- what the sample journal says, worked out independently --------------------


@dataclass
class Expected:
    glimmers: int
    savorings: int
    savored_seconds: float
    days: Counter[date]
    current: int
    current_start: date | None
    longest: int
    weeks: list[tuple[date, int]]
    months: dict[str, dict[str, int]]
    top_themes: list[tuple[str, int]]
    calm_pairs: list[tuple[int, int]]
    favourites: list[tuple[int, int]]  # (glimmer id, times savored)
    calendar_start: date
    texts: dict[int, str] = field(default_factory=dict)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(TZ)


def effective_tags(glimmer: dict) -> list[str]:
    """The person's tags if they gave any, else the guessed ones."""
    mine = [t["tag"] for t in glimmer["tags"] if t["source"] == "person"]
    return mine or [t["tag"] for t in glimmer["tags"]]


def expected(records: dict, now: datetime = NOW, weeks: int = 12, months: int = 6) -> Expected:
    glimmers = [g for g in records["glimmers"] if _when(g["created_at"]) <= now]
    today = now.date()
    days = Counter(_when(g["created_at"]).date() for g in glimmers)

    end = today if today in days else today - timedelta(days=1)
    current = 0
    while end - timedelta(days=current) in days:
        current += 1
    longest = run = 0
    previous = None
    for day in sorted(days):
        run = run + 1 if previous and (day - previous).days == 1 else 1
        longest, previous = max(longest, run), day

    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
    per_week = [(s, sum(n for d, n in days.items() if s <= d < s + timedelta(7))) for s in starts]

    labels = []
    year, month = today.year, today.month
    for _ in range(months):
        labels.insert(0, f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    by_month: dict[str, Counter[str]] = {m: Counter() for m in labels}
    overall: Counter[str] = Counter()
    for g in glimmers:
        tags = effective_tags(g)
        overall.update(tags)
        key = f"{_when(g['created_at']):%Y-%m}"
        if key in by_month:
            by_month[key].update(tags)

    savorings = [
        (g["id"], s) for g in glimmers for s in g["savorings"] if _when(s["started_at"]) <= now
    ]
    pairs = [
        (s["calm_before"], s["calm_after"])
        for _, s in sorted(savorings, key=lambda item: _when(item[1]["started_at"]))
        if s.get("calm_before") is not None and s.get("calm_after") is not None
    ]
    counts: Counter[int] = Counter(gid for gid, _ in savorings)
    last = {gid: max(_when(s["started_at"]) for g2, s in savorings if g2 == gid) for gid in counts}
    ranked = sorted(counts, key=lambda gid: (-counts[gid], -last[gid].timestamp(), -gid))
    return Expected(
        glimmers=len(glimmers),
        savorings=len(savorings),
        savored_seconds=sum(s["seconds"] for _, s in savorings),
        days=days,
        current=current,
        current_start=end - timedelta(days=current - 1) if current else None,
        longest=longest,
        weeks=per_week,
        months={m: dict(c) for m, c in by_month.items()},
        top_themes=sorted(overall.items(), key=lambda kv: (-kv[1], kv[0]))[:6],
        calm_pairs=pairs,
        favourites=[(gid, counts[gid]) for gid in ranked[:5]],
        calendar_start=monday - timedelta(weeks=progress.CALENDAR_WEEKS - 1),
        texts={g["id"]: g["text"] for g in glimmers},
    )


@pytest.fixture(scope="module")
def records() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def want(records: dict) -> Expected:
    return expected(records)


@pytest.fixture
def sample(cli) -> None:
    run = cli("import", str(SAMPLE))
    assert run.returncode == 0, run.stderr


def test_the_sample_is_a_realistic_journal(records: dict, want: Expected) -> None:
    """Guard the data the other tests rely on: months of it, gaps, a live streak."""
    assert SAMPLE.stat().st_size < 200_000
    assert 280 <= want.glimmers <= 340
    first = min(want.days)
    assert first.month == 6 and NOW.date() - first > timedelta(days=140)
    assert want.current >= 7 and NOW.date() in want.days  # alive, counting today
    assert want.longest > want.current
    gaps = [b - a for a, b in zip(sorted(want.days), sorted(want.days)[1:], strict=False)]
    assert max(gaps) > timedelta(days=5)
    assert len(want.calm_pairs) >= 40 and want.favourites[0][1] >= 5
    # One glimmer was noted just before local midnight: the next day in UTC.
    late = [g for g in records["glimmers"] if _when(g["created_at"]).hour == 23]
    assert any(datetime.fromisoformat(g["created_at"]).astimezone(ZoneInfo("UTC")).day
               != _when(g["created_at"]).day for g in late)  # fmt: skip


# -- stats ----------------------------------------------------------------------


def test_stats_json_matches_the_journal(cli, sample, want: Expected) -> None:
    run = cli("stats", "--json")
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)

    assert got["totals"]["glimmers"] == want.glimmers
    assert got["totals"]["savorings"] == want.savorings
    assert got["totals"]["savored_seconds"] == pytest.approx(want.savored_seconds, abs=0.01)
    assert got["totals"]["practice_days"] == len(want.days)
    assert got["totals"]["first_day"] == min(want.days).isoformat()

    assert [(w["start"], w["count"]) for w in got["weeks"]] == [
        (s.isoformat(), n) for s, n in want.weeks
    ]
    assert got["weeks"][-1]["week"] == "2026-W48"

    streaks = got["streaks"]
    assert (streaks["current"], streaks["longest"]) == (want.current, want.longest)
    assert streaks["current_start"] == want.current_start.isoformat()
    assert streaks["today_done"] is True

    cal = got["calendar"]
    assert cal["start"] == want.calendar_start.isoformat() and cal["end"] == "2026-11-24"
    assert {d["date"]: d["count"] for d in cal["days"]} == {
        d.isoformat(): n for d, n in want.days.items() if d >= want.calendar_start
    }

    assert {m["month"]: m["counts"] for m in got["themes"]["months"]} == want.months
    assert [(t["tag"], t["count"]) for t in got["themes"]["top"]] == want.top_themes

    calm = got["calm"]
    before = [b for b, _ in want.calm_pairs]
    after = [a for _, a in want.calm_pairs]
    assert calm["rated"] == len(want.calm_pairs)
    assert calm["avg_before"] == pytest.approx(sum(before) / len(before), abs=1e-3)
    assert calm["avg_after"] == pytest.approx(sum(after) / len(after), abs=1e-3)
    assert calm["avg_rise"] == pytest.approx(calm["avg_after"] - calm["avg_before"], abs=2e-3)
    assert (calm["calmer"], calm["same"], calm["less_calm"]) == (
        sum(a > b for b, a in want.calm_pairs),
        sum(a == b for b, a in want.calm_pairs),
        sum(a < b for b, a in want.calm_pairs),
    )
    assert [(p["before"], p["after"]) for p in calm["pairs"]] == want.calm_pairs[-30:]

    assert [(f["glimmer_id"], f["savor_count"]) for f in got["favourites"]] == want.favourites


def test_stats_follow_the_clock(cli, sample, records: dict) -> None:
    """Two days later the streak has lapsed; back in September only the past counts."""
    later = NOW + timedelta(days=2)
    got = json.loads(cli("stats", "--json", now=later).stdout)
    assert got["streaks"]["current"] == 0 and got["streaks"]["last_day"] == "2026-11-24"

    earlier = datetime(2026, 9, 20, 20, 0, tzinfo=TZ)
    want = expected(records, now=earlier, weeks=4)
    got = json.loads(cli("stats", "--json", "--weeks", "4", now=earlier).stdout)
    assert got["totals"]["glimmers"] == want.glimmers
    assert [w["count"] for w in got["weeks"]] == [n for _, n in want.weeks]
    assert (got["streaks"]["current"], got["streaks"]["longest"]) == (want.current, want.longest)


def test_stats_text_is_readable(cli, sample, want: Expected) -> None:
    run = cli("stats", env={"COLUMNS": "100"})
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.startswith("Your glimmer practice, as of Tuesday 24 November 2026")
    assert f"{want.glimmers} glimmers on {len(want.days)} days since 23 June 2026" in out
    assert f"Current streak: {want.current} days, counting today" in out
    assert f"Longest: {want.longest} days" in out
    for start, n in want.weeks:
        assert re.search(rf"^\s*{start.day} {start:%b}\s+\S+\s+{n}\b", out, re.M), start
    assert "Themes by month" in out and "November 2026" in out
    top_tag, top_n = want.top_themes[0]
    assert f"Most common themes overall: {top_tag} ({top_n})" in out
    assert "Calm before and after savoring" in out and "average rise of +" in out
    favourite = want.texts[want.favourites[0][0]]
    assert re.search(rf"{want.favourites[0][1]}x\s+{re.escape(favourite)}", out)
    assert "\x1b[" not in out  # no colour codes when not on a terminal


def test_stats_on_an_empty_journal(cli) -> None:
    run = cli("stats")
    assert run.returncode == 0 and "Nothing to show yet" in run.stdout
    got = json.loads(cli("stats", "--json").stdout)
    assert got["totals"]["glimmers"] == 0 and got["streaks"]["current"] == 0
    assert [w["count"] for w in got["weeks"]] == [0] * 12
    assert got["favourites"] == [] and got["calm"]["rated"] == 0


def test_bad_weeks_are_refused_kindly(cli) -> None:
    run = cli("stats", "--weeks", "0")
    assert run.returncode == 2 and "--weeks needs a number from 1 to" in run.stderr


# -- the HTML report ----------------------------------------------------------------


class Elements(HTMLParser):
    """Every start tag with its attributes, in document order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.all: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.all.append((tag, {k: v or "" for k, v in attrs}))

    def find(self, tag: str, cls: str | None = None) -> list[dict[str, str]]:
        return [
            a
            for t, a in self.all
            if t == tag and (cls is None or cls in a.get("class", "").split())
        ]


def assert_self_contained(html: str) -> None:
    lowered = html.lower()
    assert "http://" not in lowered and "https://" not in lowered
    assert "<script" not in lowered and "<link" not in lowered and "<img" not in lowered
    assert "url(" not in lowered and "@import" not in lowered and "@font-face" not in lowered
    assert not re.search(r"\s(src|href|xlink:href)\s*=", lowered)
    assert "default-src 'none'" in html  # and the page forbids itself from loading anything


def test_report_is_private_self_contained_and_complete(cli, sample, home, want: Expected) -> None:
    target = home.parent / "my report.html"
    run = cli("report", "--output", str(target), "--weeks", "10")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(target.resolve())
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert len(html.encode()) < 150_000
    assert_self_contained(html)
    page = Elements(html)

    # Five sections, each with a heading and a sentence saying what it shows.
    sections = [a["id"] for a in page.find("section", "panel")]
    assert sections == ["weeks", "calendar", "themes", "calm", "favourites"]
    assert len(re.findall(r'<p class="summary">[^<]{20,}', html)) == 5
    # Four SVG charts, each named and described for screen readers.
    charts = page.find("svg", "chart")
    assert [c["id"] for c in charts] == [
        "weeks-chart",
        "calendar-chart",
        "themes-chart",
        "calm-chart",
    ]
    for chart in charts:
        key = chart["id"].removesuffix("-chart")
        assert chart["role"] == "img" and chart["aria-labelledby"] == f"{key}-title {key}-desc"
        assert re.search(rf'<title id="{key}-title">[^<]+</title><desc id="{key}-desc">[^<]+', html)

    # Weekly bars: one per week, bound to the data.
    weeks = expected(json.loads(SAMPLE.read_text()), weeks=10).weeks
    bars = page.find("rect", "bar")
    assert len(bars) == 10
    assert [(b["data-week"], int(b["data-count"])) for b in bars] == [
        (f"{s.isocalendar()[0]}-W{s.isocalendar()[1]:02d}", n) for s, n in weeks
    ]
    heights = [float(b["height"]) for b in bars]
    tallest = max(range(10), key=lambda i: weeks[i][1])
    for (_, n), h in zip(weeks, heights, strict=True):
        assert h == pytest.approx(heights[tallest] * n / weeks[tallest][1], abs=0.15)

    # Calendar: one square per day from the first Monday to today, streak marked.
    cells = page.find("rect", "day")
    assert len(cells) == (NOW.date() - want.calendar_start).days + 1 == 177
    assert cells[0]["data-date"] == want.calendar_start.isoformat()
    assert cells[-1]["data-date"] == "2026-11-24"
    assert {c["data-date"]: int(c["data-count"]) for c in cells if c["data-count"] != "0"} == {
        d.isoformat(): n for d, n in want.days.items() if d >= want.calendar_start
    }
    assert len(page.find("rect", "streak")) == want.current + 1  # the cells and the key
    assert f'<span class="big">{want.current}</span> days<br>current streak' in html
    assert f'<span class="big">{want.longest}</span> days<br>longest streak' in html

    # Themes: stacked segments per month add up to the month's tag count.
    segments = page.find("rect", "theme")
    for month, counts in want.months.items():
        assert sum(int(s["data-count"]) for s in segments if s["data-month"] == month) == sum(
            counts.values()
        )
    assert {s["data-month"] for s in segments} == {m for m, c in want.months.items() if c}

    # Calm: one pair of dots per recent rated savoring, and the average rise in words.
    pairs = page.find("g", "pair")
    assert [(int(p["data-before"]), int(p["data-after"])) for p in pairs] == want.calm_pairs[-30:]
    assert len(page.find("circle", "before")) == len(page.find("circle", "after")) == len(pairs)
    assert "average rise +" in html

    # The glimmers returned to: a list with counts.
    items = page.find("li")
    assert [int(i["data-count"]) for i in items] == [n for _, n in want.favourites]
    first_text = want.texts[want.favourites[0][0]]
    assert f"{first_text}</span>" in html.replace("&#x27;", "'")
    assert f"savored {want.favourites[0][1]} times" in html


def test_report_default_path_and_overwrite_stay_private(cli, sample, home) -> None:
    run = cli("report")
    assert run.returncode == 0, run.stderr
    path = Path(run.stdout.strip())
    assert path == (home / "glimmer-report.html").resolve()
    path.chmod(0o644)  # even if someone loosened it, rewriting makes it private again
    assert cli("report").returncode == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_empty_journal_gets_a_friendly_page(cli, home) -> None:
    target = home.parent / "empty.html"
    run = cli("report", "-o", str(target))
    assert run.returncode == 0, run.stderr
    html = target.read_text(encoding="utf-8")
    assert "Nothing to show yet" in html and "I noticed a glimmer" in html
    assert "<svg" not in html
    assert_self_contained(html)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_report_without_tags_or_ratings_says_so(cli, home, records: dict) -> None:
    """An older journal (no tags, no calm ratings) still gets every section."""
    bare = {
        **records,
        "glimmers": [
            {**g, "tags": [], "savorings": [
                {k: v for k, v in s.items() if not k.startswith("calm")} for s in g["savorings"]
            ]}
            for g in records["glimmers"][:60]
        ],
    }  # fmt: skip
    source = home.parent / "bare.json"
    source.write_text(json.dumps(bare))
    assert cli("import", str(source)).returncode == 0
    target = home.parent / "bare.html"
    assert cli("report", "-o", str(target), now=NOW).returncode == 0
    html = target.read_text(encoding="utf-8")
    assert "No themes yet" in html and "No calm ratings yet" in html
    assert html.count('class="panel"') == 5 and 'id="weeks-chart"' in html


def test_report_refuses_a_missing_folder(cli, home) -> None:
    run = cli("report", "-o", str(home.parent / "nowhere" / "r.html"))
    assert run.returncode == 1 and "There is no folder" in run.stderr


# -- the same rules as the journal, and fast on a big journal -----------------------


def test_the_figures_agree_with_the_plugins_own_api(cli, sample, home) -> None:
    """What stats and the report show of themes and calm is what the themes and
    savor-guide plugins say about their own tables."""
    with Journal(home / "journal.sqlite3") as journal:
        assert dict(themes.theme_counts(journal, NOW)) == themes.tag_counts(journal)
        start = datetime(2026, 10, 1, tzinfo=TZ)
        assert dict(themes.theme_counts(journal, NOW, start=start)) == themes.tag_counts(
            journal, start, NOW + timedelta(seconds=1)
        )
        ratings = savor_guide.calm_ratings(journal)
        both = [r for r in ratings if r[1] is not None and r[2] is not None]
        assert savor_guide.calm_figures(journal, NOW, 30).rated == len(both)


def test_a_hundred_thousand_glimmers_in_well_under_a_second(tmp_path: Path) -> None:
    path = tmp_path / "big.sqlite3"
    with Journal(path) as made:  # the current schema, the themes and calm tables with it
        made.attach("themes", themes.SCHEMA)
        made.attach("savor-guide", savor_guide.SCHEMA)
    end = NOW.timestamp()
    with closing(sqlite3.connect(path)) as db, db:  # built inside SQLite: a second, not minutes
        db.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) "
            "INSERT INTO glimmers (created_at, text, source, created_ts) "
            "SELECT strftime('%Y-%m-%dT%H:%M:%S+00:00', ?1 - i * 1931.0, 'unixepoch'), "
            "'glimmer number ' || i, 'typed', ?1 - i * 1931.0 FROM n",
            (end,),
        )
        db.execute(
            "INSERT INTO themes_tags (glimmer_id, tag, source) SELECT id, "
            "CASE id % 5 WHEN 0 THEN 'nature' WHEN 1 THEN 'connection' WHEN 2 THEN 'comfort' "
            "WHEN 3 THEN 'sound' ELSE 'taste' END, "
            "CASE WHEN id % 7 = 0 THEN 'person' ELSE 'inferred' END FROM glimmers WHERE id % 4 != 0"
        )
        db.execute(
            "INSERT INTO savorings (id, glimmer_id, started_at, seconds, length, completed) "
            "SELECT id, id % 5000 + 1, "
            "strftime('%Y-%m-%dT%H:%M:%S+00:00', created_ts + 600, 'unixepoch'), 52, 'quick', 1 "
            "FROM glimmers WHERE id % 3 = 0"
        )
        db.execute(
            "INSERT INTO savor_guide_ratings (savoring_id, calm_before, calm_after) "
            "SELECT id, 1 + id % 4, min(5, 2 + id % 4) FROM savorings"
        )
    with Journal(path) as journal:
        elapsed = []
        for _ in range(3):  # the best of three: a busy machine shouldn't decide this
            started = time.perf_counter()
            # what `stats` does: the plugins' figures, then the rest
            figures = themes.theme_figures(journal, NOW, 6, 6)
            calm = savor_guide.calm_figures(journal, NOW, 30)
            result = progress.compute(journal, NOW, themes=figures, calm=calm)
            elapsed.append(time.perf_counter() - started)
    assert result.totals.glimmers == 100_000 and result.totals.savorings == 33_333
    assert result.streaks.current == result.streaks.longest == result.totals.practice_days
    assert result.calm.rated == 33_333
    assert min(elapsed) < 1.0, f"{min(elapsed):.2f} s"


# -- in a real browser ----------------------------------------------------------------


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}", *args],
        capture_output=True,
        timeout=120,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TZ": ZONE},
    )  # fmt: skip


def read_png(data: bytes) -> np.ndarray:
    """A small PNG decoder (8-bit RGB/RGBA, not interlaced): pixels as (height, width, 3)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad checksum in {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    assert len(raw) == height * (stride + 1)
    rows = np.frombuffer(raw, np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), np.uint8)
    prev = np.zeros(stride, np.uint8)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:]
        if kind == 0:
            cur = line.copy()
        elif kind == 1:  # Sub: a running sum along the row, per channel
            cur = np.cumsum(line.reshape(width, bpp), axis=0, dtype=np.uint64)
            cur = cur.astype(np.uint8).reshape(-1)
        elif kind == 2:  # Up
            cur = line + prev
        else:  # Average and Paeth depend on the pixel to the left: byte by byte
            buf, up = bytearray(line.tobytes()), prev.tobytes()
            for i in range(stride):
                a = buf[i - bpp] if i >= bpp else 0
                b = up[i]
                if kind == 3:
                    buf[i] = (buf[i] + ((a + b) >> 1)) & 255
                else:
                    c = up[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    buf[i] = (buf[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            cur = np.frombuffer(bytes(buf), np.uint8)
        out[y] = cur
        prev = cur
    return out.reshape(height, width, bpp)[:, :, :3]


@pytest.fixture
def report_file(cli, sample, tmp_path: Path) -> Path:
    target = tmp_path / "report.html"
    assert cli("report", "-o", str(target)).returncode == 0
    return target


@needs_chromium
def test_chromium_renders_the_report(report_file: Path, tmp_path: Path) -> None:
    from voiceglimmer.commands import report

    shot = tmp_path / "report.png"
    done = chromium(
        tmp_path, f"--screenshot={shot}", "--window-size=1200,3000", report_file.as_uri()
    )
    assert shot.exists(), done.stderr.decode(errors="replace")[-2000:]
    pixels = read_png(shot.read_bytes())
    assert pixels.shape == (3000, 1200, 3)
    packed = pixels.astype(np.uint32) @ np.array([1 << 16, 1 << 8, 1], np.uint32)
    colours, counts = np.unique(packed, return_counts=True)
    assert len(colours) > 100, "the page rendered as (almost) one colour"
    assert int(colours[counts.argmax()]) == int(report.PAPER[1:], 16)  # the background

    def area(hex_colour: str) -> int:
        return int((packed == int(hex_colour[1:], 16)).sum())

    assert area(report.BAR) > 20_000  # the weekly bars
    assert area(report.HEAT[0]) > 2_000 and area(report.HEAT[3]) > 2_000  # the calendar
    assert sum(area(c) for c in report.THEME_COLOURS) > 20_000  # the themes
    assert area(report.AFTER) > 500  # the calm dots (and the streak figures)
    ink = np.all(pixels < 120, axis=-1).sum()
    assert ink > 10_000, "hardly any text was drawn"


MEASURE = """<script>
const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
const out = {
  sections: [...document.querySelectorAll('section.panel')].map(e => [e.id, ...box(e)]),
  charts: [...document.querySelectorAll('svg.chart')].map(e => [e.id, ...box(e)]),
  bars: [...document.querySelectorAll('rect.bar')].map(e => box(e)[1]),
  days: [...document.querySelectorAll('rect.day')].filter(e => box(e)[0] > 10).length,
  favourites: [...document.querySelectorAll('#favourites-list li')].map(e => box(e)[1]),
};
const pre = document.createElement('pre'); pre.id = 'measured';
pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
</script>"""


@needs_chromium
def test_chromium_lays_out_every_chart(report_file: Path, tmp_path: Path, want: Expected) -> None:
    html = report_file.read_text(encoding="utf-8")
    # A measuring copy: the real page forbids scripts, so its policy is lifted here only.
    measured = tmp_path / "measure.html"
    measured.write_text(
        re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html).replace(
            "</body>", MEASURE + "</body>"
        )
    )
    done = chromium(tmp_path, "--window-size=1200,3000", "--dump-dom", measured.as_uri())
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout.decode())
    assert found, done.stderr.decode(errors="replace")[-2000:]
    got = json.loads(found.group(1))
    assert [s[0] for s in got["sections"]] == ["weeks", "calendar", "themes", "calm", "favourites"]
    assert all(w > 300 and h > 150 for _, w, h in got["sections"])
    assert [c[0] for c in got["charts"]] == [
        "weeks-chart", "calendar-chart", "themes-chart", "calm-chart"
    ]  # fmt: skip
    assert all(w > 300 and h > 100 for _, w, h in got["charts"])
    # Bars are drawn to scale: height per glimmer is the same for every week.
    scale = [h / n for h, (_, n) in zip(got["bars"], want.weeks, strict=True) if n]
    assert len(got["bars"]) == 12 and max(scale) - min(scale) < 0.05 * max(scale)
    assert got["days"] == 177
    assert len(got["favourites"]) == 5 and all(h > 20 for h in got["favourites"])


@needs_chromium
def test_the_report_prints(report_file: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", report_file.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 20_000
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    assert 2 <= pages <= 6
