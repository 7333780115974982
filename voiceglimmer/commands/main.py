"""The ``voiceglimmer`` command line.

Core commands manage the journal and the plugins; plugins add the rest
(``log`` comes from the log plugin) through the ``register_commands`` hook.
Every command's ``func(args, app)`` returns an exit code.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from voiceglimmer import __version__
from voiceglimmer.app import App
from voiceglimmer.errors import UserError
from voiceglimmer.store.home import HomeError, warn_once
from voiceglimmer.store.journal import JournalError


def build_parser(app: App) -> argparse.ArgumentParser:
    from voiceglimmer.commands import backup, chat, devices, models, records, report, run
    from voiceglimmer.commands import plugins as plugins_cli

    parser = argparse.ArgumentParser(
        prog="voiceglimmer",
        description="An offline companion for noticing, savoring and recalling glimmers.",
    )
    parser.add_argument("--version", action="version", version=f"voiceglimmer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chat.add_command(sub)
    run.add_command(sub)
    records.add_commands(sub)
    backup.add_commands(sub)
    report.add_commands(sub)
    plugins_cli.add_commands(sub)
    models.add_commands(sub)
    devices.add_commands(sub)
    for plugin, _ in app.plugins.call_each("register_commands", subparsers=sub):
        del plugin
    return parser


def _plugins_dirs(argv: Sequence[str]) -> tuple[list[Path], list[str]]:
    """Pull --plugins-dir out first: plugins must load before the parser is built.

    A folder that isn't there is named in a warning (a typo would otherwise load
    nothing in silence); whether the files in one may run is the plugin loader's
    call (voiceglimmer.dialog.plugin_manager refuses folders and files others can write).
    """
    dirs: list[Path] = []
    rest: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--plugins-dir":
            value = next(args, None)
            if value is None:
                raise UserError("--plugins-dir needs a folder, e.g. --plugins-dir ~/my-plugins")
            dirs.append(Path(value).expanduser())
        elif arg.startswith("--plugins-dir="):
            dirs.append(Path(arg.split("=", 1)[1]).expanduser())
        else:
            rest.append(arg)
    for folder in dirs:
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            warn_once(f"--plugins-dir {folder} {what}; no plugins were loaded from it")
    return dirs, rest


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    app = App()
    try:
        dirs, argv = _plugins_dirs(argv)
        app = App(plugin_dirs=dirs)
        parser = build_parser(app)
        parser.epilog = "Global option: --plugins-dir DIR loads single-file plugins from DIR."
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            args = parser.parse_args(["chat", *argv])
        try:
            return int(args.func(args, app) or 0)
        finally:
            app.close()
    except (UserError, JournalError, HomeError) as exc:
        print(f"voiceglimmer: {exc}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # damage that only showed up mid-session
        from voiceglimmer.store.backup import damaged_message

        home = app.home
        message = damaged_message(home.journal, home.data / "backups", str(exc), app.clock())
        print(f"voiceglimmer: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
