"""Importing a long practice: ``voiceglimmer import`` of a 200,000-glimmer export.

The file is what ``voiceglimmer export --format json`` writes (indented, ids,
sources, savorings with calm ratings, tags) for 200,000 glimmers, about 70
years of daily practice at ~8 a day, with the recall benchmark's times and
words; it is built once and cached in the temp folder. Each run imports it
with the real command in a child process into an empty home, so the figure is
what the person waits for: start-up, reading and checking the whole file, and
one all-or-nothing transaction (with the full-text index filled by the
schema's triggers) committed to disk.

The second figure re-imports a 20,000-glimmer export into a home that already
holds every one of them: nothing is written, so it is the duplicate check
alone. Both were quadratic in the issue (the check scanned the whole table for
every row). The issue's budget is 20 s for 200,000 glimmers on 2 cores; the
re-import is held to the same rate (2 s for a tenth of the glimmers).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.context import NOW, ROOT, Context, cache_root
from benchmarks.core import Budget, Figure
from benchmarks.recall import glimmers

STAGE = "import"
NEW_BUDGET = Budget(20.0)
DUPLICATES_BUDGET = Budget(2.0)
SIZE, QUICK_SIZE = 200_000, 2_000
DUPLICATES, QUICK_DUPLICATES = 20_000, 200
#: Bump when the generator changes, so a cached export is rebuilt.
GENERATOR = 2
TAGS = ("taste", "smell", "sound", "touch", "sight", "connection", "nature", "comfort", "rest")


def export(size: int, seed: int = 2026) -> dict:
    """An export of ``size`` glimmers shaped like the product's own (version 2)."""
    rng = random.Random(seed)
    items = []
    seen: set[tuple[str, str]] = set()
    for n, (created_at, _, text, source) in enumerate(glimmers(size, seed), start=1):
        if (created_at, text) in seen:  # the same words in the same second: say it twice
            text += " again"
        seen.add((created_at, text))
        created = datetime.fromisoformat(created_at)
        savorings = []
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            started = min(created + timedelta(minutes=rng.randint(0, 60 * 24 * 30)), NOW)
            rated = rng.random() < 0.5
            savorings.append(
                {
                    "started_at": started.isoformat(),
                    "seconds": float(rng.choice((52, 124, 38.5))),
                    "length": rng.choice(("quick", "standard")),
                    "completed": True,
                    "calm_before": rng.randint(1, 4) if rated else None,
                    "calm_after": rng.randint(3, 5) if rated else None,
                }
            )
        tags = [{"tag": t, "source": "inferred"} for t in rng.sample(TAGS, rng.randint(1, 2))]
        items.append(
            {
                "id": n,
                "created_at": created_at,
                "text": text,
                "source": source,
                "savorings": savorings,
                "tags": tags,
            }
        )
    return {"format": "voiceglimmer-journal", "version": 2, "glimmers": items}


def cached_export(size: int) -> Path:
    """The export file for ``size`` glimmers, written once per generator."""
    path = cache_root() / f"export-{size}-gen{GENERATOR}.json"
    if not path.exists():
        building = path.with_suffix(".building")
        building.write_text(json.dumps(export(size), ensure_ascii=False, indent=2) + "\n")
        building.replace(path)
    return path


def _import(ctx: Context, file: Path, home: Path) -> tuple[float, float, str]:
    """(wall seconds, peak resident MB, stdout) of one ``voiceglimmer import``."""
    began = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "voiceglimmer", "import", str(file)],
        cwd=ROOT,
        env=ctx.child_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = child.communicate(timeout=3600)
    took = time.perf_counter() - began
    if child.returncode != 0:
        raise RuntimeError(f"voiceglimmer import exited {child.returncode}: {err[-2000:]}")
    return took, _children_peak_mb(), out


def _children_peak_mb() -> float:
    """The largest peak resident memory of any child so far (ru_maxrss is in KB): the
    imports are the largest children this area starts, so it is theirs."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run(ctx: Context) -> list[Figure]:
    size = QUICK_SIZE if ctx.quick else SIZE
    duplicates = QUICK_DUPLICATES if ctx.quick else DUPLICATES
    ctx.log(f"  import of {size:,} glimmers (writing the export on first use) ...")
    began = time.perf_counter()
    big, small = cached_export(size), cached_export(duplicates)
    prepared = time.perf_counter() - began
    new_times: list[float] = []
    peak = 0.0
    for n in range(ctx.repeat):
        home = ctx.folder(f"import-home-{n}")
        took, peak, out = _import(ctx, big, home)
        if not out.startswith(f"Imported {size} glimmers"):
            raise RuntimeError(f"the import did not add every glimmer: {out.strip()}")
        new_times.append(took)
        (home / "journal.sqlite3").unlink()  # the next repeat starts empty too
        for sidecar in home.glob("journal.sqlite3-*"):
            sidecar.unlink()
    ctx.log(f"  re-import of {duplicates:,} glimmers already in the journal ...")
    home = ctx.folder("import-duplicates-home")
    _import(ctx, small, home)  # untimed: the journal now holds every one of them
    duplicate_times: list[float] = []
    for _ in range(ctx.repeat):
        took, _, out = _import(ctx, small, home)
        if f"{duplicates} were already in the journal" not in out:
            raise RuntimeError(f"the re-import was not all duplicates: {out.strip()}")
        duplicate_times.append(took)
    mb = big.stat().st_size / 1e6
    return [
        Figure(
            "journal_import.new",
            STAGE,
            "voiceglimmer import into an empty journal (child process)",
            "s",
            new_times,
            NEW_BUDGET,
            label=f"{size:,} glimmers, {mb:.0f} MB export",
            details={
                "glimmers_per_second": round(size / min(new_times)),
                "peak_rss_mb_of_any_import": round(peak, 1),
                "export_file": str(big),
                "export_seconds_to_build_or_find": round(prepared, 2),
                "cores": os.cpu_count(),
            },
        ),
        Figure(
            "journal_import.duplicates",
            STAGE,
            "voiceglimmer import of an export already imported (nothing added)",
            "s",
            duplicate_times,
            DUPLICATES_BUDGET,
            label=f"{duplicates:,} glimmers, all already there",
            details={"glimmers_per_second": round(duplicates / min(duplicate_times))},
        ),
    ]
