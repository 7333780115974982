# PYTHON_ARGCOMPLETE_OK  (argcomplete looks for this line in the entry point's module)
"""The ``voiceglimmer`` command line.

Core commands manage the journal and the plugins; plugins add the rest
(``log`` comes from the log plugin) through the ``register_commands`` hook.
Every command's ``func(args, app)`` returns an exit code.

Parsing happens twice, with one set of global options (:func:`global_options`):
first a small parser reads only the options before the command
(``--plugins-dir`` must be known before the plugins that add commands are
loaded; ``-v``/``-q`` before anything is said; ``--version`` needs nothing
else), then the full parser, built with those same options as a parent so
``--help`` shows them, parses everything for real.

Exit codes: 0 done; 1 a problem the person can fix (:class:`UserError`, a
damaged journal, a home that can't be used); 2 a command line that is wrong
(argparse's own errors and :class:`UsageError`); 130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from voiceglimmer import __version__
from voiceglimmer.errors import UsageError, UserError
from voiceglimmer.hookspecs import Subparsers
from voiceglimmer.store import diagnostics
from voiceglimmer.store.home import HomeError, warn_once
from voiceglimmer.store.journal import JournalError

if TYPE_CHECKING:
    from voiceglimmer.app import App

log = diagnostics.get_logger(__name__)

#: Exit codes, as the README's Commands section lists them.
OK, RUNTIME_ERROR, USAGE_ERROR, INTERRUPTED = 0, 1, 2, 130
SHELLS = ("bash", "zsh", "fish")
EPILOG = (
    "Global options go before the command. Exit status: 0 done, 1 a problem you can fix "
    "(the message says how), 2 a command line that is wrong, 130 interrupted."
)


def global_options() -> argparse.ArgumentParser:
    """The options that come before the command, shared by both parses."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--version", action="version", version=f"voiceglimmer {__version__}")
    options.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="say more about what is happening (-vv: everything)",
    )
    options.add_argument(
        "-q", "--quiet", action="count", default=0, help="hide warnings; errors are still shown"
    )
    options.add_argument(
        "--plugins-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="also load single-file plugins from DIR (may be given more than once)",
    )
    return options


def _early_parser(options: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Reads the global options only: everything from the first command word on is left
    alone, so an option of a command (or a glimmer's words) is never taken for one."""
    early = argparse.ArgumentParser(prog="voiceglimmer", add_help=False, parents=[options])
    early.add_argument("rest", nargs=argparse.REMAINDER)
    return early


def build_parser(
    app: App, options: argparse.ArgumentParser | None = None
) -> argparse.ArgumentParser:
    from voiceglimmer.commands import (
        backup,
        chat,
        devices,
        models,
        records,
        report,
        run,
        serve,
    )
    from voiceglimmer.commands import plugins as plugins_cli

    parser = argparse.ArgumentParser(
        prog="voiceglimmer",
        description="An offline companion for noticing, savoring and recalling glimmers.",
        epilog=EPILOG,
        parents=[options or global_options()],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chat.add_command(sub)
    run.add_command(sub)
    serve.add_command(sub)
    records.add_commands(sub)
    backup.add_commands(sub)
    report.add_commands(sub)
    plugins_cli.add_commands(sub)
    models.add_commands(sub)
    devices.add_commands(sub)
    add_completion_command(sub)
    for plugin, _ in app.plugins.call_each("register_commands", subparsers=sub):
        del plugin
    return parser


def add_completion_command(sub: Subparsers) -> None:
    p = sub.add_parser(
        "completion",
        help="print the shell code that completes voiceglimmer's commands and options",
        description=(
            "Print the code that makes your shell complete voiceglimmer's commands and "
            "options with Tab. For bash, add this line to ~/.bashrc: "
            'eval "$(voiceglimmer completion bash)"; for zsh, the same with zsh in '
            "~/.zshrc; for fish: voiceglimmer completion fish > "
            "~/.config/fish/completions/voiceglimmer.fish"
        ),
    )
    p.add_argument("shell", nargs="?", choices=SHELLS, default="bash", help="bash (default)")
    p.set_defaults(func=completion_command)


def completion_command(args: argparse.Namespace, app: App) -> int:
    del app
    from argcomplete.shell_integration import shellcode

    print(shellcode(["voiceglimmer"], shell=args.shell), end="")
    return OK


def _plugin_folders(values: Sequence[str]) -> list[Path]:
    """The --plugins-dir folders. An empty value or a file is a command line to correct; a
    folder that isn't there only loads nothing, so it is named in a warning (a typo would
    otherwise load nothing in silence). Whether the files in one may run is the plugin
    loader's call (voiceglimmer.dialog.plugin_manager refuses what others can write)."""
    folders: list[Path] = []
    for value in values:
        if not value.strip():
            raise UsageError("--plugins-dir needs a folder, e.g. --plugins-dir ~/my-plugins")
        folder = Path(value).expanduser()
        if folder.exists() and not folder.is_dir():
            raise UsageError(
                f"--plugins-dir {folder} is a file, not a folder; give the folder that holds "
                "the plugin files, e.g. --plugins-dir ~/my-plugins"
            )
        if not folder.exists():
            warn_once(f"--plugins-dir {folder} does not exist; no plugins were loaded from it")
        folders.append(folder)
    return folders


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    options = global_options()
    early, _ = _early_parser(options).parse_known_args(argv)  # exits for --version
    with diagnostics.verbosity(early.verbose - early.quiet):
        return _main(argv, options, early.plugins_dir)


def _main(argv: list[str], options: argparse.ArgumentParser, plugins_dir: list[str]) -> int:
    from voiceglimmer.app import App

    app: App | None = None
    try:
        app = App(plugin_dirs=_plugin_folders(plugins_dir))
        parser = build_parser(app, options)
        log.info("data in %s; settings in %s", app.home.data, app.home.config_file)
        log.info("plugins: %s", ", ".join(app.plugins.names()) or "none")
        folders = [*app.plugin_dirs, app.home.plugins_dir]
        log.debug("plugin folders searched: %s", ", ".join(map(str, folders)))
        if "_ARGCOMPLETE" in os.environ:  # a shell asking for completions: answer and exit
            import argcomplete

            argcomplete.autocomplete(parser)
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):  # no command: only global options were given
            args = parser.parse_args([*argv, "chat"])
        return int(args.func(args, app) or 0)
    except UsageError as exc:
        log.error("%s", exc)
        return USAGE_ERROR
    except (UserError, JournalError, HomeError) as exc:
        log.error("%s", exc)
        return RUNTIME_ERROR
    except sqlite3.DatabaseError as exc:  # damage that only showed up mid-session
        from voiceglimmer.store.backup import damaged_message

        if app is None:  # only an open journal can be damaged
            raise
        home = app.home
        log.error("%s", damaged_message(home.journal, home.data / "backups", str(exc), app.clock()))
        return RUNTIME_ERROR
    except KeyboardInterrupt:
        print(file=sys.stderr)  # end the line the ^C was echoed on
        return INTERRUPTED
    except BrokenPipeError:
        return OK
    finally:
        if app is not None:
            app.close()
