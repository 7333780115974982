"""Recall over a long practice: a journal of 100,000 glimmers, through the real assistant.

100,000 glimmers is about 30 years of daily practice at ~9 a day, noted at
waking-hours times. The journal is a real ``Journal`` file (the product's own
schema and migrations), filled with one ``executemany`` (the full-text index
fills through the schema's triggers) and cached in the temp folder between
runs; each run works on a fresh copy. Questions go through
``Assistant.handle`` with the real plugins, so the figure covers routing,
date parsing, the SQLite queries and the wording of the reply.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path

from benchmarks.context import NOW, Context, cache_root
from benchmarks.core import Budget, Figure

STAGE = "recall (100k journal)"
BUDGET = Budget(0.020)
SIZE = 100_000
#: Bump when the generator changes, so a cached journal is rebuilt.
GENERATOR = 1
QUESTIONS = {
    "recall.yesterday": "what were yesterday's glimmers",
    "recall.last_week": "read me my glimmers from last week",
    "recall.search_tea": "any glimmers about tea",
    "recall.count_this_week": "how many glimmers this week",
}
MOMENTS = (
    "the first sip of tea", "birdsong at dawn", "a warm bath", "rain on the window",
    "the smell of fresh bread", "my cat purring on my lap", "a friend's kind message",
    "sunlight through the curtains", "a stranger's smile", "clean sheets", "the kettle singing",
    "a long hug", "the sound of the sea", "a good laugh with my sister", "warm socks",
    "the moon over the roofs", "a quiet train ride", "soup on a cold day", "a child waving",
    "the smell of cut grass", "a song I love on the radio", "fresh snow", "a letter in the post",
    "my daughter's drawing", "a walk under the trees", "a cup of tea with Mum",
    "the dog's wagging tail", "a hot shower", "the last light on the hills", "a deep breath",
)  # fmt: skip
DETAILS = ("", "", "", " this morning", " after work", " in the garden", " at the park")


def _day_times(day: date, count: int, rng: random.Random) -> list[datetime]:
    """``count`` moments between 06:30 and 22:30 local time on ``day``, in order."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=NOW.tzinfo)
    minutes = sorted(rng.randint(6 * 60 + 30, 22 * 60 + 30) for _ in range(count))
    return [midnight + timedelta(minutes=m, seconds=rng.randint(0, 59)) for m in minutes]


def glimmers(size: int, seed: int = 2026) -> Iterator[tuple[str, float, str, str]]:
    """(created_at, created_ts, text, source) rows, oldest first, ending at NOW."""
    rng = random.Random(seed)
    days: list[list[datetime]] = []
    day, total = NOW.date(), 0
    while total < size:
        moments = [t for t in _day_times(day, rng.randint(6, 12), rng) if t <= NOW]
        moments = moments[: size - total]
        days.append(moments)
        total += len(moments)
        day -= timedelta(days=1)
    for moments in reversed(days):
        for when in moments:
            text = rng.choice(MOMENTS) + rng.choice(DETAILS)
            source = "voice" if rng.random() < 0.6 else "typed"
            yield when.isoformat(), when.timestamp(), text, source


def cached_journal(size: int) -> Path:
    """The journal file for ``size`` glimmers, built once per schema and generator."""
    from voiceglimmer.store.journal import Journal

    folder = cache_root()
    probe = folder / "schema-probe.sqlite3"
    probe.unlink(missing_ok=True)
    with Journal(probe) as journal:
        schema = journal.schema_version
    probe.unlink(missing_ok=True)
    path = folder / f"journal-{size}-schema{schema}-gen{GENERATOR}.sqlite3"
    if path.exists():
        return path
    building = path.with_suffix(".building")
    for stale in building.parent.glob(building.name + "*"):
        stale.unlink()
    Journal(building).close()  # the product's own schema, every migration
    with closing(sqlite3.connect(building)) as db, db:
        db.executemany(
            "INSERT INTO glimmers (created_at, created_ts, text, source) VALUES (?, ?, ?, ?)",
            glimmers(size),
        )
    with closing(sqlite3.connect(building)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    building.replace(path)
    return path


def run(ctx: Context) -> list[Figure]:
    from voiceglimmer.app import open_assistant

    ctx.log(f"  recall over {SIZE:,} glimmers (building the journal on first use) ...")
    began = time.perf_counter()
    source = cached_journal(SIZE)
    prepared = time.perf_counter() - began
    home = ctx.folder("recall-home")
    shutil.copyfile(source, home / "journal.sqlite3")
    assistant = open_assistant(home=home, clock=lambda: NOW, seed=3)
    times: dict[str, list[float]] = {key: [] for key in QUESTIONS}
    replies: dict[str, str] = {}
    for n in range((1 if ctx.quick else ctx.repeat) + 1):  # round 0 warms the caches
        for key, question in QUESTIONS.items():
            began = time.perf_counter()
            handled = assistant.handle(question)
            took = time.perf_counter() - began
            if n:
                times[key].append(took)
            replies[key] = handled.reply.text[:160]
            assistant.handle("no")  # decline "would you like to hear more?"
    count = assistant.journal.count()
    assistant.journal.close()
    return [
        Figure(
            key,
            STAGE,
            f'"{question}"',
            "s",
            times[key],
            BUDGET,
            label=f"{count:,} glimmers",
            details={
                "reply": replies[key],
                "journal_seconds_to_build_or_find": prepared,
                "journal_file": str(source),
            },
        )
        for key, question in QUESTIONS.items()
    ]
