"""The backup, restore and forget commands: the journal's safety net, for a person."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from voiceglimmer.app import App
from voiceglimmer.errors import UsageError, UserError
from voiceglimmer.hookspecs import Subparsers
from voiceglimmer.store.backup import (
    FOLDER,
    FORGET_ALL_ANSWER,
    KEEP,
    Inspection,
    copies,
    copy_database,
    exclusive,
    forget_everything,
    forget_glimmer,
    inspect,
    list_backups,
    lock_of,
    make_backup,
    moment_words,
    newest_good,
    read_only,
    restore,
)
from voiceglimmer.store.journal import Journal, JournalError
from voiceglimmer.wording import for_terminal, plural


def add_commands(sub: Subparsers) -> None:
    p = sub.add_parser("backup", help="back up the journal now, or list the backups")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--to", metavar="FILE", type=Path, help="write the copy here instead")
    what.add_argument("--list", action="store_true", help="show the backups, newest first")
    p.set_defaults(func=backup_command)

    p = sub.add_parser("restore", help="replace the journal with a backup")
    which = p.add_mutually_exclusive_group()
    which.add_argument("file", nargs="?", type=Path, help="a backup file (see backup --list)")
    which.add_argument("--latest", action="store_true", help="the newest good backup")
    p.add_argument("--yes", action="store_true", help="don't ask for confirmation")
    p.set_defaults(func=restore_command)

    p = sub.add_parser("forget", help="forget one glimmer, or everything")
    which = p.add_mutually_exclusive_group()
    which.add_argument("id", nargs="?", type=int, help="the glimmer's number (see list)")
    which.add_argument("--all", action="store_true", help="every glimmer and every backup")
    p.add_argument("--yes", action="store_true", help="don't ask for confirmation")
    p.set_defaults(func=forget_command)


def _confirmed(question: str, answer: str, *, yes: bool, what: str) -> bool:
    """--yes, or the exact words typed at a terminal; never a guess from a pipe."""
    if yes:
        return True
    if not sys.stdin.isatty():  # a script: its command line lacks --yes (exit code 2)
        raise UsageError(
            f"{what} needs your confirmation: run it at a terminal, or add --yes. "
            "Nothing was changed."
        )
    try:
        typed = input(question)
    except EOFError:
        typed = ""
    if typed.strip().lower() == answer:
        return True
    print("Nothing was changed.")
    return False


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    return f"{n / 1000:.1f} KB" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB"


def _count(path: Path) -> str:
    try:
        with closing(read_only(path)) as db:
            total = int(db.execute("SELECT count(*) FROM glimmers").fetchone()[0])
    except sqlite3.Error:
        return "unreadable"
    return plural(total, "glimmer")


def list_command(app: App) -> int:
    folder, now = app.home.data / FOLDER, app.clock()
    backups = list_backups(folder)
    if not backups:
        print(
            f"No backups yet. One is made in {folder} once a day when voiceglimmer "
            "opens your journal, or now with `voiceglimmer backup`."
        )
        return 0
    print(f"Backups in {folder}, newest first (the newest {KEEP} are kept):")
    for b in backups:
        print(
            f"{moment_words(b.made, now)}  {_size(b.size):>9}  {_count(b.path):>14}  {b.path.name}"
        )
    return 0


def backup_command(args: argparse.Namespace, app: App) -> int:
    if args.list:
        return list_command(app)
    app.backups = False  # this command makes its own
    journal, now = app.journal, app.clock()
    if args.to:
        target = args.to.expanduser()
        if target.exists():
            raise UserError(f"{target} already exists; choose a new file name.")
        copy_database(journal, target)
    else:
        target = make_backup(journal, app.home.data / FOLDER, now).path
    print(f"Backed up {plural(journal.count(), 'glimmer')} to {target}")
    return 0


def _restore_source(args: argparse.Namespace, app: App) -> tuple[Path, Inspection, str]:
    folder, now = app.home.data / FOLDER, app.clock()
    if args.latest:
        good = newest_good(folder)
        if good is None:
            raise UserError(f"There is no good backup in {folder} to restore.")
        backup, found = good
        return backup.path, found, moment_words(backup.made, now)
    if args.file is None:
        raise UserError(
            "Say which backup to restore: voiceglimmer restore --latest, or a file "
            "(voiceglimmer backup --list shows them)."
        )
    source = args.file.expanduser()
    if not source.exists() and (folder / source.name).exists():
        source = folder / source.name
    if not source.is_file():
        raise UserError(f"There is no backup file {source}.")
    found = inspect(source)
    if not found.ok:
        raise UserError(
            f"{source} {found.why}, so it was not restored. Your journal has not been changed."
        )
    made = datetime.fromtimestamp(source.stat().st_mtime, UTC)
    return source, found, moment_words(made, now)


def restore_command(args: argparse.Namespace, app: App) -> int:
    source, found, made = _restore_source(args, app)
    question = (
        f"Type yes to replace your journal with {source} "
        f"({plural(found.glimmers, 'glimmer')}, from {made}): "
    )
    # Held from before the question, so "close the other one first" comes before
    # the person confirms, and nothing can open the journal in between.
    with exclusive(app.home.journal, "restore"):
        if not _confirmed(question, "yes", yes=args.yes, what="Restoring a backup"):
            return 1
        try:
            done = restore(source, app.home.journal, app.clock())
        except JournalError as exc:
            raise UserError(str(exc)) from exc
    print(f"Restored {plural(done.glimmers, 'glimmer')} from {source}.")
    if done.set_aside:
        print(f"Your previous journal is kept at {done.set_aside}.")
    return 0


def _forget_one(args: argparse.Namespace, app: App) -> int:
    glimmer = app.journal.get(args.id)
    if glimmer is None:
        raise UserError(f"There is no glimmer #{args.id} (voiceglimmer list shows them).")
    question = (
        f"Forget #{glimmer.id} \u201c{for_terminal(glimmer.text)}\u201d? It is removed from "
        "your backups too and can't be undone. Type yes to forget it: "
    )
    if not _confirmed(question, "yes", yes=args.yes, what=f"Forgetting glimmer #{args.id}"):
        return 1
    done = forget_glimmer(app.journal, args.id)
    if done is None:
        raise UserError(f"There is no glimmer #{args.id} any more.")
    places = [
        plural(n, word)
        for n, word in (
            (done.backups_cleaned, "backup"),
            (done.set_aside_cleaned, "set-aside journal"),
            (done.derived_removed, "share card or report"),
        )
        if n
    ]
    also = f" It was also removed from {' and '.join(places)}." if places else ""
    print(f"Forgot glimmer #{args.id}.{also}")
    if done.left:
        listed = "\n".join(f"  {path}" for path in done.left)
        print(
            "These damaged copies could not be changed and may still hold its words; "
            f"delete them to be sure:\n{listed}"
        )
    if not done.log_truncated:
        print("Another voiceglimmer is open; the words leave its log when it closes.")
    return 0


def _forget_all(args: argparse.Namespace, app: App) -> int:
    journal = app.journal
    with exclusive(journal.path, "forget --all", lock_of(journal)):
        return _forget_all_held(args, journal)


def _forget_all_held(args: argparse.Namespace, journal: Journal) -> int:
    held = len(copies(journal.path))
    backups = (
        "There are no backups to delete."
        if not held
        else f"It also deletes {'the one backup' if held == 1 else f'all {held} backups'} "
        f"in {journal.path.parent}."
    )
    question = (
        f"This forgets all {plural(journal.count(), 'glimmer')}, their savorings and "
        f"everything plugins keep in your journal. {backups} It can't be undone.\n"
        f'Type "{FORGET_ALL_ANSWER}" to go ahead: '
    )
    if not _confirmed(question, FORGET_ALL_ANSWER, yes=args.yes, what="Forgetting everything"):
        return 1
    done = forget_everything(journal)
    print(
        f"Forgot {plural(done.glimmers, 'glimmer')} and deleted "
        f"{plural(done.copies_deleted, 'backup')}. Your journal is empty."
    )
    if not done.log_truncated:
        print("Another voiceglimmer is open; the words leave its log when it closes.")
    return 0


def forget_command(args: argparse.Namespace, app: App) -> int:
    app.backups = False  # no fresh copy of what is about to be forgotten
    if args.all:
        return _forget_all(args, app)
    if args.id is None:
        raise UsageError(
            "Say what to forget: voiceglimmer forget ID (voiceglimmer list shows the "
            "numbers), or voiceglimmer forget --all."
        )
    return _forget_one(args, app)
