"""The models command: list, fetch, verify and locate speech models."""

from __future__ import annotations

import argparse
from pathlib import Path

from voiceglimmer.app import App
from voiceglimmer.errors import UserError
from voiceglimmer.hookspecs import Subparsers
from voiceglimmer.store.home import Home
from voiceglimmer.voice.speech_models import (
    ENV,
    Catalog,
    CatalogEntry,
    InvalidModel,
    ModelNotFound,
    default_dest,
    fetch,
    installed_path,
    locate_model,
    our_model_dirs,
    verify,
)


def add_commands(sub: Subparsers) -> None:
    p = sub.add_parser("models", help="list, fetch, check and locate speech models")
    p.set_defaults(func=list_command)
    msub = p.add_subparsers(dest="models_command", metavar="SUBCOMMAND")

    msub.add_parser("list", help="the models voiceglimmer knows and where they are").set_defaults(
        func=list_command
    )

    f = msub.add_parser("fetch", help="download a model from the catalog and unpack it")
    f.add_argument("name", metavar="NAME", help="a name from `voiceglimmer models list`")
    f.add_argument("--dest", type=Path, metavar="DIR", help="folder to unpack it into")
    f.add_argument("--force", action="store_true", help="download again even if installed")
    f.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="install even without (or against) the catalog's checksum",
    )
    f.set_defaults(func=fetch_command)

    v = msub.add_parser("verify", help="check a model and load it with the vosk library")
    v.add_argument("model", nargs="?", metavar="NAME|PATH", help="default: the model in use")
    v.set_defaults(func=verify_command)

    w = msub.add_parser("path", help="print the folder of the model that would be used")
    w.add_argument("name", nargs="?", metavar="NAME", help="a catalog name (default: in use)")
    w.set_defaults(func=path_command)


def list_command(args: argparse.Namespace, app: App) -> int:
    catalog = Catalog.load()
    rows = [("", "NAME", "LANGUAGE", "SIZE", "INSTALLED")]
    for entry in catalog:
        where = installed_path(entry, app.home)
        rows.append(
            (
                "*" if entry.default else "",
                entry.name,
                entry.language,
                _size_text(entry),
                str(where) if where else "no",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print(" ".join(cells[:1]) + " " + "  ".join([*cells[1:], row[4]]))
    print("\n* default")
    print(f"In use: {_in_use(app.home, catalog)}")
    return 0


def _size_text(entry: CatalogEntry) -> str:
    if entry.package:
        return "pip"
    return f"{entry.size_mb:.1f} MB" if entry.size_mb else "?"


def _in_use(home: Home, catalog: Catalog) -> str:
    try:
        located = locate_model(None, home, catalog)
    except ModelNotFound:
        return (
            f"none (fetch one with `voiceglimmer models fetch {catalog.default.name}`; "
            "`voiceglimmer models path` says where it looked)"
        )
    except UserError as exc:
        return f"none: {exc}"
    return f"{located.path} (from {located.via})"


def fetch_command(args: argparse.Namespace, app: App) -> int:
    entry = Catalog.load()[args.name]
    dest = args.dest.expanduser() if args.dest else default_dest(app.home)
    if not args.dest and dest == app.home.data / "models":
        app.home.ensure()
    final = fetch(entry, dest, force=args.force, verify=args.verify, say=print)
    if args.dest and dest not in our_model_dirs(app.home):
        print(f"It is outside the folders searched: use it with --model {final} or {ENV}={final}")
    return 0


def verify_command(args: argparse.Namespace, app: App) -> int:
    catalog = Catalog.load()
    given = args.model
    if given and Path(given).expanduser().exists():
        path, via = Path(given).expanduser().resolve(), "the path given"
    else:
        located = locate_model(given, app.home, catalog, label="the model given")
        path, via = located.path, located.via
    entry = catalog.get(path.name)
    print(f"Model: {path} (from {via})")
    print("Checking it and loading it with the vosk library (this takes seconds)...", flush=True)
    report = verify(path, entry)
    if not report.ok:
        lines = "\n".join(f"  - {p}" for p in report.problems)
        again = (
            f"\nReplace it with: voiceglimmer models fetch {entry.name} --force"
            if entry and entry.fetchable
            else ""
        )
        raise InvalidModel(f"{path} is not a usable Vosk model:\n{lines}{again}")
    print(f"OK: loaded in {report.load_seconds:.1f} s.")
    return 0


def path_command(args: argparse.Namespace, app: App) -> int:
    print(locate_model(args.name, app.home, label="the model given").path)
    return 0
