"""Reading the journal out and back in: ``list``, ``export`` and ``import``.

Exports are the person's way out: JSON round-trips everything (ids, times with
their original offsets, sources, savorings); Markdown is for reading; CSV is
for spreadsheets. Files written here are owner-only, like the journal.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from datetime import datetime
from itertools import groupby
from pathlib import Path

from voiceglimmer.app import App, UserError
from voiceglimmer.events import Glimmer
from voiceglimmer.journal import JournalError
from voiceglimmer.wording import for_terminal


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="show saved glimmers")
    p.add_argument("--day", metavar="WHEN", help="e.g. today, yesterday, 'last week', 'Nov 3'")
    p.add_argument("--search", metavar="WORDS", help="only glimmers containing these words")
    p.add_argument("--limit", type=int, default=0, help="show at most N (the newest)")
    p.set_defaults(func=list_command)

    p = sub.add_parser("export", help="write the whole journal as Markdown, JSON or CSV")
    p.add_argument("--format", choices=("md", "json", "csv"), default="md")
    p.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")
    p.set_defaults(func=export_command)

    p = sub.add_parser("import", help="add glimmers from a JSON export")
    p.add_argument("file", type=Path, help="a file made by `voiceglimmer export --format json`")
    p.set_defaults(func=import_command)


def _local(g: Glimmer, app: App) -> datetime:
    return g.created_at.astimezone(app.clock().tzinfo)


def list_command(args: argparse.Namespace, app: App) -> int:
    from voiceglimmer.when import WhenError, parse_span

    journal = app.journal
    if args.search:
        glimmers = list(reversed(journal.search(args.search.split())))
    elif args.day:
        try:
            span = parse_span(args.day, app.clock())
        except WhenError as exc:
            raise UserError(str(exc)) from exc
        glimmers = journal.between(span.start, span.end)
    else:
        glimmers = list(journal)
    if args.limit > 0:
        glimmers = glimmers[-args.limit :]
    if not glimmers:
        print("No glimmers found." if (args.day or args.search) else "No glimmers saved yet.")
        return 0
    for g in glimmers:
        savored = f"  (savored {g.savor_count}x)" if g.savor_count else ""
        print(f"{_local(g, app):%Y-%m-%d %H:%M}  #{g.id:<4} {for_terminal(g.text)}{savored}")
    return 0


def as_markdown(app: App) -> str:
    lines = ["# My glimmers", ""]
    glimmers = list(app.journal)
    for day, group in groupby(glimmers, key=lambda g: _local(g, app).date()):
        lines += [f"## {day:%A} {day.day} {day:%B %Y}", ""]
        for g in group:
            savored = f" _(savored {g.savor_count}x)_" if g.savor_count else ""
            lines.append(f"- {_local(g, app):%H:%M} {g.text}{savored}")
        lines.append("")
    if not glimmers:
        lines.append("No glimmers yet.")
    return "\n".join(lines) + "\n"


def as_csv(app: App) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "created_at", "text", "source", "savor_count", "savored_seconds"])
    for g in app.journal:
        writer.writerow(
            [g.id, g.created_at.isoformat(), g.text, g.source, g.savor_count, g.savored_seconds]
        )
    return buffer.getvalue()


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, atomically (no half-written export)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def export_command(args: argparse.Namespace, app: App) -> int:
    if args.format == "json":
        text = json.dumps(app.journal.export_records(), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "csv":
        text = as_csv(app)
    else:
        text = as_markdown(app)
    if args.output:
        write_private(args.output, text)
        print(f"Wrote {app.journal.count()} glimmers to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def import_command(args: argparse.Namespace, app: App) -> int:

    try:
        records = json.loads(args.file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UserError(f"There is no file {args.file}.") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(
            f"{args.file} is not a readable JSON export ({exc}); nothing was imported."
        ) from exc
    try:
        added, skipped = app.journal.import_records(records)
    except JournalError as exc:
        raise UserError(str(exc)) from exc
    extra = f"; {skipped} were already in the journal" if skipped else ""
    print(f"Imported {added} glimmers from {args.file}{extra}.")
    return 0
