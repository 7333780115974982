"""Reading the journal out and back in: ``list``, ``export`` and ``import``.

Exports are the person's way out: JSON round-trips everything (ids, times with
their original offsets, sources, savorings, and every plugin's own tables in a
section per plugin); Markdown is for reading; CSV is for spreadsheets. Files
written here are owner-only, like the journal.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from datetime import datetime
from itertools import groupby
from pathlib import Path

from voiceglimmer import crisis
from voiceglimmer.app import App
from voiceglimmer.errors import UsageError, UserError
from voiceglimmer.events import Glimmer
from voiceglimmer.hookspecs import Subparsers
from voiceglimmer.store import safefile
from voiceglimmer.store.journal import JournalError, collector_paused, local_time
from voiceglimmer.wording import for_terminal, plural


def add_commands(sub: Subparsers) -> None:
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
    """When it was noticed, in the person's zone; a time with no local equivalent
    (year 1, from an older version) is shown as stored rather than stopping the list."""
    return local_time(g.created_at, app.clock().tzinfo)


def list_command(args: argparse.Namespace, app: App) -> int:
    from voiceglimmer.dialog.when import WhenError, parse_span

    journal = app.journal
    if args.search:
        glimmers = list(reversed(journal.search(args.search.split())))
    elif args.day:
        try:
            span = parse_span(args.day, app.clock())
        except WhenError as exc:  # words --day can't take: the command line to correct
            raise UsageError(str(exc)) from exc
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
    """The journal for reading. Control characters in a glimmer are shown, never
    obeyed (``for_terminal``): Markdown is read with ``cat`` and ``less`` as often
    as in an editor, and an escape sequence in it would act on that terminal."""
    lines = ["# My glimmers", ""]
    glimmers = list(app.journal)
    for day, group in groupby(glimmers, key=lambda g: _local(g, app).date()):
        lines += [f"## {day:%A} {day.day} {day:%B %Y}", ""]
        for g in group:
            savored = f" _(savored {g.savor_count}x)_" if g.savor_count else ""
            lines.append(f"- {_local(g, app):%H:%M} {for_terminal(g.text)}{savored}")
        lines.append("")
    if not glimmers:
        lines.append("No glimmers yet.")
    return "\n".join(lines) + "\n"


#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell a spreadsheet will show as text, never run as a formula.

    A glimmer such as ``=HYPERLINK("http://...")`` or ``-2+3`` would otherwise
    be evaluated when the CSV is opened; OWASP's advice is a leading single
    quote, which spreadsheets show as the text itself. Numbers stay numbers.
    The JSON export keeps the exact words.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def as_csv(app: App) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "created_at", "text", "source", "savor_count", "savored_seconds"])
    for g in app.journal:
        row = [g.id, g.created_at.isoformat(), g.text, g.source, g.savor_count, g.savored_seconds]
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()


def as_json(app: App) -> str:
    """Everything, exactly. json escapes C0 controls itself; DEL and C1 controls
    (U+0080-U+009F, e.g. the one-byte CSI) are written as \\u escapes too, which
    is the same JSON value but can't act on a terminal it is printed to."""
    text = json.dumps(app.journal.export_records(), ensure_ascii=False, indent=2) + "\n"
    return _C1.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


_C1 = re.compile("[\x7f-\x9f]")


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, atomically; refuse devices, pipes,
    links and folders (see voiceglimmer.store.safefile). Raises UserError with the reason."""
    try:
        safefile.write_private(path, text)
    except safefile.OutputError as exc:
        raise UserError(str(exc)) from exc


def export_command(args: argparse.Namespace, app: App) -> int:
    to_stdout = args.output is None or str(args.output) == "-"
    if not to_stdout:
        _check_output(args.output)
    if args.format == "json":
        text = as_json(app)
    elif args.format == "csv":
        text = as_csv(app)
    else:
        text = as_markdown(app)
    if not to_stdout:
        write_private(args.output, text)
        print(f"Wrote {app.journal.count()} glimmers to {args.output}", file=sys.stderr)
    else:
        if args.format == "csv" and sys.stdout.isatty():
            # Shown, not obeyed (Markdown is always made so; JSON escapes its own).
            text = for_terminal(text)
        sys.stdout.write(text)
    return 0


def _check_output(path: Path) -> None:
    """Refuse a bad ``--output`` before the whole journal is read for nothing."""
    try:
        safefile.check_target(path)
    except safefile.OutputError as exc:
        raise UserError(str(exc)) from exc


def import_command(args: argparse.Namespace, app: App) -> int:
    """Import a JSON export, all or nothing; every refusal names what to fix."""
    try:
        with collector_paused():  # a large export is millions of objects: see there
            records = json.loads(args.file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UserError(f"There is no file {args.file}.") from exc
    except RecursionError as exc:  # json nests by recursion: [[[[...]]]] a million deep
        raise UserError(
            f"{args.file} is nested too deeply to be a voiceglimmer export (an export is "
            "only a few levels deep); nothing was imported."
        ) from exc
    except (OSError, ValueError) as exc:  # JSONDecodeError, bad UTF-8, a 5,000-digit number
        raise UserError(
            f"{args.file} is not a readable JSON export ({exc}); nothing was imported."
        ) from exc
    try:
        done = app.journal.import_records(records)
    except JournalError as exc:
        raise UserError(str(exc)) from exc
    extra = f"; {done.skipped} were already in the journal" if done.skipped else ""
    print(f"Imported {done.added} glimmers from {args.file}{extra}.")
    if done.not_imported:
        names = ", ".join(done.not_imported)
        print(
            f"The file also holds data of plugins not installed here ({names}); it was "
            "not imported. Install them and import the file again to add it."
        )
    if done.withheld:
        said = crisis.NOT_IMPORTED.format(count=plural(done.withheld, "entry", "entries"))
        print(said[0].upper() + said[1:])
        print(*crisis.REPLY_LINES[2:], sep="\n")
    return 0
