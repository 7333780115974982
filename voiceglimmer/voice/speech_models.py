"""Speech models for Vosk: which ones we know, where they are on disk, and fetching them safely.

Recognition runs offline, so a model folder has to be on disk before the voice
loop can start. People get one in different ways: fetched by ``voiceglimmer
models fetch``, unpacked by hand, shared with another Vosk program (which keeps
them in ``~/.cache/vosk``), or installed with pip. ``resolve_model`` looks in all
of those in one fixed order, and when nothing is there it says where it looked
and names the one command that fixes it.

Fetching is voiceglimmer's only network use, and happens only when asked. A
download is checked against ``models/catalog.toml`` (size and sha256), then
unpacked into a hidden folder beside its destination and renamed into place,
so an interrupted or corrupt fetch never leaves a half-made model under the
real name.

The network and checksum modules (``urllib.request``, ``http.client``, ``ssl``
through them, ``hashlib``) are imported only by the fetch itself: the command
line imports this module on every start to register ``voiceglimmer models``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path, PurePosixPath
from typing import Any

from voiceglimmer.errors import UserError
from voiceglimmer.store.diagnostics import get_logger
from voiceglimmer.store.home import Home

#: Environment variable naming the model (a folder or a catalog name).
ENV = "VOICEGLIMMER_MODEL"
#: The source checkout this module runs from (site-packages when installed from a wheel).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: The catalog in a source checkout or editable install: the one file that is edited.
CATALOG_PATH = PROJECT_ROOT / "models" / "catalog.toml"
#: Where a wheel carries the same file (pyproject maps models/ to voiceglimmer.model_catalog).
PACKAGED_CATALOG = Path(__file__).resolve().parents[1] / "model_catalog" / "catalog.toml"
#: What ``vosk.MODEL_DIRS`` holds in vosk 0.3.45, for when vosk cannot be imported.
VOSK_FALLBACK_DIRS = (
    Path("/usr/share/vosk"),
    Path.home() / "AppData/Local/vosk",
    Path.home() / ".cache/vosk",
)
CHUNK = 64 * 1024
TIMEOUT = 30.0

log = get_logger(__name__)

Opener = Callable[..., Any]
Say = Callable[[str], None]


class ModelNotFound(UserError):
    """No model where one was asked for or looked for; the message says how to get one."""


class InvalidModel(UserError):
    """A folder was given or found that is not a complete Vosk model."""


# --------------------------------------------------------------------------- catalog


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    language: str
    size: int
    url: str
    sha256: str
    licence: str
    description: str
    default: bool = False
    md5: str = ""
    #: An importable package whose ``model/`` folder is the model (installed with pip).
    package: str = ""

    @property
    def size_mb(self) -> float | None:
        return self.size / 1e6 if self.size else None

    @property
    def fetchable(self) -> bool:
        return bool(self.url)

    def package_model(self) -> Path | None:
        """The ``model/`` folder of this entry's installed package, if it is installed."""
        if not self.package:
            return None
        try:
            spec = importlib.util.find_spec(self.package)
        except (ImportError, ValueError):
            return None
        for location in (spec.submodule_search_locations or []) if spec else []:
            folder = Path(location) / "model"
            if folder.is_dir():
                return folder
        return None


REQUIRED = ("name", "language", "size", "url", "sha256", "licence", "description")
TYPES: dict[str, type] = {f.name: str for f in fields(CatalogEntry)} | {
    "size": int,
    "default": bool,
}


@dataclass(frozen=True)
class Catalog:
    entries: tuple[CatalogEntry, ...]
    source: Path | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> Catalog:
        path = path or catalog_path()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UserError(f"Cannot read the model catalog {path}: {exc}") from exc
        return cls.parse(text, source=path)

    @classmethod
    def parse(cls, text: str, source: Path | None = None) -> Catalog:
        where = source or "the model catalog"
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{where} is not valid TOML: {exc}") from exc
        tables = data.get("model")
        if not isinstance(tables, list) or not tables:
            raise UserError(f"{where} lists no models (expected [[model]] tables).")
        entries = tuple(_entry(table, i, where) for i, table in enumerate(tables, 1))
        names = [e.name for e in entries]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            raise UserError(f"{where} lists {', '.join(doubled)} more than once.")
        defaults = [e.name for e in entries if e.default]
        if len(defaults) != 1:
            raise UserError(f"{where} must mark exactly one model default = true, not {defaults}.")
        return cls(entries, source)

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, name: str) -> CatalogEntry | None:
        return next((e for e in self.entries if e.name == name), None)

    def __getitem__(self, name: str) -> CatalogEntry:
        entry = self.get(name)
        if entry is None:
            raise UserError(
                f"There is no model called {name!r} in the catalog. "
                f"Known models: {', '.join(self.names())} (see `voiceglimmer models list`)."
            )
        return entry

    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    @property
    def default(self) -> CatalogEntry:
        return next(e for e in self.entries if e.default)


def catalog_path() -> Path:
    for path in (CATALOG_PATH, PACKAGED_CATALOG):
        if path.is_file():
            return path
    raise UserError(
        f"The model catalog is missing: neither {CATALOG_PATH} nor {PACKAGED_CATALOG} exists. "
        "Reinstall voiceglimmer."
    )


def _entry(table: object, number: int, where: object) -> CatalogEntry:
    label = f"{where}: model #{number}"
    if not isinstance(table, dict):
        raise UserError(f"{label} is not a table.")
    label = f"{where}: model {table.get('name', f'#{number}')!r}"
    missing = [key for key in REQUIRED if key not in table]
    unknown = sorted(set(table) - set(TYPES))
    if missing or unknown:
        parts = [f"is missing {', '.join(missing)}"] if missing else []
        parts += [f"has unknown keys {', '.join(unknown)}"] if unknown else []
        raise UserError(f"{label} {' and '.join(parts)}.")
    for key, value in table.items():
        if type(value) is not TYPES[key]:
            raise UserError(f"{label}: {key} should be a {TYPES[key].__name__}, not {value!r}.")
    if table["size"] < 0:
        raise UserError(f"{label}: size cannot be negative.")
    return CatalogEntry(**table)


# --------------------------------------------------------------------------- model folders


def model_problems(path: Path) -> list[str]:
    """What keeps ``path`` from being a Vosk model folder; empty when it looks like one."""
    if not path.exists():
        return ["it does not exist"]
    if not path.is_dir():
        hint = " (unpack the zip first)" if path.suffix == ".zip" else ""
        return [f"it is a file, not a folder{hint}"]
    problems = []
    if not ((path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file()):
        problems.append("no acoustic model (am/final.mdl)")
    if not (path / "conf" / "model.conf").is_file():
        problems.append("no decoder settings (conf/model.conf)")
    return problems


def is_model(path: Path) -> bool:
    return not model_problems(path)


def graph_problems(path: Path) -> list[str]:
    """A model also needs a decoding graph (checked by ``verify``, not while resolving)."""
    graph = path / "graph"
    if (graph / "HCLG.fst").is_file() or (path / "HCLG.fst").is_file():
        return []
    if (graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file():
        return []
    return ["no decoding graph (graph/HCLG.fst, or graph/HCLr.fst with graph/Gr.fst)"]


def models_in(folder: Path) -> list[Path]:
    """The complete model folders directly inside ``folder`` (hidden ones are work in progress)."""
    if not folder.is_dir():
        return []
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return []
    return [c for c in children if not c.name.startswith(".") and c.is_dir() and is_model(c)]


def project_models_dir() -> Path | None:
    """``models/`` of the source checkout we run from; None when installed from a wheel."""
    if (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "models").is_dir():
        return PROJECT_ROOT / "models"
    return None


def our_model_dirs(home: Home) -> list[Path]:
    return _unique([project_models_dir(), home.data / "models"])


def vosk_model_dirs() -> list[Path]:
    """The folders the vosk library itself looks in, so models other Vosk programs fetched count.

    Read from ``vosk.MODEL_DIRS`` (``$VOSK_MODEL_PATH``, /usr/share/vosk, ~/.cache/vosk...);
    vosk reads ``VOSK_MODEL_PATH`` once at import, so it is read again here.
    """
    try:
        import vosk

        listed = list(getattr(vosk, "MODEL_DIRS", None) or [])
    except Exception:  # not installed, or its native library failed to load
        listed = list(VOSK_FALLBACK_DIRS)
    return _unique([os.environ.get("VOSK_MODEL_PATH"), *listed])


def default_dest(home: Home) -> Path:
    """Where ``fetch`` unpacks by default: the checkout's models/ when writable, else user data."""
    project = project_models_dir()
    if project is not None and os.access(project, os.W_OK):
        return project
    return home.data / "models"


def installed_path(entry: CatalogEntry, home: Home) -> Path | None:
    """Where this catalog model is installed, or None."""
    if entry.package:
        folder = entry.package_model()
        return folder if folder and is_model(folder) else None
    for folder in [*our_model_dirs(home), *vosk_model_dirs()]:
        if is_model(folder / entry.name):
            return folder / entry.name
    return None


def _unique(paths: Sequence[Path | str | None]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p and Path(p).expanduser() not in out:
            out.append(Path(p).expanduser())
    return out


# --------------------------------------------------------------------------- resolution


@dataclass(frozen=True)
class Located:
    path: Path
    #: How it was found, for people: "--model", "VOICEGLIMMER_MODEL", "config.toml", a folder.
    via: str


def resolve_model(explicit: Path | str | None, home: Home) -> Path:
    """The model folder to use; raises ModelNotFound / InvalidModel with a way out.

    Order: ``explicit`` (--model: a folder or a catalog name), $VOICEGLIMMER_MODEL,
    ``model`` in config.toml, the default model (or the only model) in the
    checkout's models/ or the user data models/ folder, then catalog models in
    Vosk's own folders.
    """
    return locate_model(explicit, home).path


def locate_model(
    explicit: Path | str | None,
    home: Home,
    catalog: Catalog | None = None,
    *,
    label: str = "--model",
) -> Located:
    """Like ``resolve_model``, also saying how the model was found."""
    catalog = catalog or Catalog.load()
    if explicit is not None and str(explicit).strip():
        return Located(_from_setting(explicit, label, home, catalog), label)
    env = os.environ.get(ENV, "").strip()
    if env:
        return Located(_from_setting(env, ENV, home, catalog), ENV)
    config = home.config / "config.toml"
    configured = config_model(home)
    if configured is not None:
        label = f"model in {config}"
        path = _from_setting(configured, label, home, catalog, base=config.parent)
        return Located(path, str(config))
    return _search(home, catalog)


def config_model(home: Home) -> str | None:
    """The ``model`` setting of config.toml, if there is one."""
    from voiceglimmer.store import config

    value = config.load(home).get("model")
    if value is None:
        return None
    if not value.strip():
        raise UserError(
            f"In {home.config / 'config.toml'}, model should be a model name or folder, "
            f'e.g. model = "{Catalog.load().default.name}".'
        )
    return value.strip()


def _looks_like_path(text: str) -> bool:
    seps = [os.sep, *([os.altsep] if os.altsep else [])]
    return any(s in text for s in seps) or text.startswith(("~", ".")) or Path(text).is_absolute()


def _from_setting(
    value: Path | str, label: str, home: Home, catalog: Catalog, base: Path | None = None
) -> Path:
    """A setting names a folder (when it exists or looks like a path) or a model by name."""
    text = str(value).strip()
    path = Path(text).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    if path.exists() or _looks_like_path(text):
        return _check_folder(path, label, catalog.default.name)
    return _find_named(text, label, home, catalog)


def _check_folder(path: Path, label: str, fetch_name: str) -> Path:
    problems = model_problems(path)
    if not problems:
        return path.resolve()
    fetch_hint = f"Fetch one with: voiceglimmer models fetch {fetch_name}"
    path = path.absolute()
    if not path.exists():
        raise ModelNotFound(f"{label} points at {path}, which does not exist. {fetch_hint}")
    inside = models_in(path) if path.is_dir() else []
    hint = f" Did you mean {inside[0]}?" if len(inside) == 1 else ""
    raise InvalidModel(
        f"{label} points at {path}, which is not a Vosk model: {'; '.join(problems)}. "
        f"A model folder holds am/final.mdl and conf/model.conf.{hint} {fetch_hint}"
    )


def _find_named(name: str, label: str, home: Home, catalog: Catalog) -> Path:
    entry = catalog.get(name)
    if entry is not None and entry.package:
        return _package_model(entry, label)
    folders = [*our_model_dirs(home), *vosk_model_dirs()]
    incomplete: list[tuple[Path, list[str]]] = []
    for folder in folders:
        candidate = folder / name
        if is_model(candidate):
            return candidate.resolve()
        if candidate.exists():
            incomplete.append((candidate, model_problems(candidate)))
    if incomplete:
        where, problems = incomplete[0]
        raise InvalidModel(
            f"{label}: {where} is not a complete Vosk model ({'; '.join(problems)}). "
            + (
                f"Replace it with: voiceglimmer models fetch {name} --force"
                if entry and entry.fetchable
                else "Unpack the model again or remove that folder."
            )
        )
    looked = ", ".join(str(f) for f in folders)
    if entry is not None:
        raise ModelNotFound(
            f"{label} names {name}, which is not installed (looked in {looked}). "
            f"Fetch it with: voiceglimmer models fetch {name}"
        )
    raise ModelNotFound(
        f"{label} names {name!r}: that is neither a folder nor a model in the catalog "
        f"({', '.join(catalog.names())}), and no folder of that name is in {looked}. "
        "Give the path to a model folder instead."
    )


def _package_model(entry: CatalogEntry, label: str) -> Path:
    folder = entry.package_model()
    if folder is None:
        raise ModelNotFound(
            f"{label} names {entry.name}, which is installed with pip and is not installed "
            f"here. Install it with: {sys.executable} -m pip install {entry.name}"
        )
    return _check_folder(folder, f"the {entry.package} package", entry.name)


def _search(home: Home, catalog: Catalog) -> Located:
    default = catalog.default.name
    ours = our_model_dirs(home)
    for folder in ours:
        if is_model(folder / default):
            return Located((folder / default).resolve(), str(folder))
    for folder in ours:
        found = models_in(folder)
        if len(found) == 1:
            return Located(found[0].resolve(), str(folder))
        if len(found) > 1:
            raise UserError(
                f"{folder} holds several models ({', '.join(f.name for f in found)}) and none "
                f"is the default ({default}). Choose one with --model NAME, {ENV}=NAME, "
                f'or model = "NAME" in {home.config / "config.toml"}.'
            )
    vosk_dirs = vosk_model_dirs()
    fetchable = [e.name for e in catalog if e.fetchable]
    for name in sorted(fetchable, key=lambda n: n != default):
        for folder in vosk_dirs:
            if is_model(folder / name):
                return Located((folder / name).resolve(), str(folder))
    raise _not_found(home, catalog, ours, vosk_dirs)


def _not_found(
    home: Home, catalog: Catalog, ours: list[Path], vosk_dirs: list[Path]
) -> ModelNotFound:
    default = catalog.default
    size = f"{default.size_mb:.0f} MB, " if default.size_mb else ""
    lines = [
        "No speech model found. Looked at:",
        "  --model: not given",
        f"  {ENV}: not set",
        f"  {home.config / 'config.toml'}: no model setting",
        *(f"  {folder}: {_describe(folder, default.name)}" for folder in ours),
        f"  Vosk's folders ({', '.join(map(str, vosk_dirs))}): none of "
        + ", ".join(e.name for e in catalog if e.fetchable),
        f"Fetch the default model ({default.language}, {size}once; it then works offline):",
        f"  voiceglimmer models fetch {default.name}",
        f"or use a model folder you already have: --model PATH, or {ENV}=PATH.",
    ]
    return ModelNotFound("\n".join(lines))


def _describe(folder: Path, default: str) -> str:
    return f"no {default} or other model folder" if folder.is_dir() else "does not exist"


# --------------------------------------------------------------------------- fetching


def _stderr(message: str) -> None:
    """What ``fetch`` did, for a person, when the caller gave no ``say`` (the command
    line passes ``print``). Progress for a person, not a diagnostic: not logged."""
    print(message, file=sys.stderr)


def _urlopen(url: str, **kwargs: Any) -> Any:
    """``urllib.request.urlopen``, imported only when something is downloaded."""
    import urllib.request

    return urllib.request.urlopen(url, **kwargs)


def fetch(
    entry: CatalogEntry,
    dest_dir: Path,
    *,
    progress: bool = True,
    verify: bool = True,
    force: bool = False,
    opener: Opener = _urlopen,
    say: Say = _stderr,
) -> Path:
    """Download ``entry``'s zip, check it and unpack it as ``dest_dir/<name>``; return that path.

    Nothing appears under the final name unless every step succeeded; temporary
    files (hidden, beside the destination) are removed whatever happens.
    """
    installed = entry.package_model()
    if installed is not None and not force:
        return _already_there(entry, installed, say)
    _check_fetchable(entry, verify)
    dest_dir = Path(dest_dir).expanduser()
    final = dest_dir / entry.name
    if (final.exists() or final.is_symlink()) and not force:
        return _already_there(entry, final, say)
    created = _make_dest(dest_dir)
    try:
        with _scratch(dest_dir, entry.name) as (archive, unpack_dir):
            _download(entry, archive, opener=opener, progress=progress, verify=verify)
            root = _unpack(archive, unpack_dir, entry, dest_dir)
            if not _move_into_place(root, final, force):
                return _already_there(entry, final, say)  # another fetch finished first
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                dest_dir.rmdir()
        raise
    say(f"Installed {entry.name} in {final}")
    return final


def _check_fetchable(entry: CatalogEntry, verify: bool) -> None:
    if entry.package:
        raise UserError(
            f"{entry.name} is installed with pip, not fetched: "
            f"{sys.executable} -m pip install {entry.name}"
        )
    if not entry.url:
        raise UserError(f"The catalog has no download address for {entry.name}.")
    if verify and not entry.sha256:
        raise UserError(
            f"Cannot verify {entry.name}: the catalog has no sha256 checksum for it, so a "
            "damaged or altered download would go unnoticed. To fetch it anyway, run "
            f"`voiceglimmer models fetch {entry.name} --no-verify` (Alpha Cephei lists its md5 "
            "in https://alphacephei.com/vosk/models/model-list.json to compare by hand)."
        )
    if not verify:
        log.warning("%s will not be checked against a checksum (--no-verify).", entry.name)


def _already_there(entry: CatalogEntry, final: Path, say: Say) -> Path:
    problems = model_problems(final)
    if problems:
        raise UserError(
            f"{final} already exists but is not a complete model ({'; '.join(problems)}). "
            f"Replace it with: voiceglimmer models fetch {entry.name} --force"
        )
    again = " (use --force to download it again)" if entry.fetchable else ""
    say(f"{entry.name} is already installed in {final}{again}.")
    return final


def _make_dest(dest_dir: Path) -> bool:
    """Create the destination folder if needed; True when this call created it."""
    if dest_dir.is_dir():
        return False
    if dest_dir.exists():
        raise UserError(f"{dest_dir} is a file, not a folder; choose another with --dest DIR.")
    try:
        dest_dir.mkdir(parents=True, mode=0o700)
    except OSError as exc:
        raise UserError(f"Cannot create {dest_dir} ({exc}); choose another with --dest.") from exc
    return True


@contextlib.contextmanager
def _scratch(dest_dir: Path, name: str) -> Iterator[tuple[Path, Path]]:
    """A hidden temporary zip file and unpack folder inside ``dest_dir``, always removed."""
    try:
        fd, archive = tempfile.mkstemp(dir=dest_dir, prefix=f".{name}.", suffix=".zip.part")
        os.close(fd)
        unpack_dir = Path(tempfile.mkdtemp(dir=dest_dir, prefix=f".{name}.unpack-"))
    except OSError as exc:
        raise UserError(f"Cannot write in {dest_dir} ({exc}); choose another --dest.") from exc
    try:
        yield Path(archive), unpack_dir
    finally:
        Path(archive).unlink(missing_ok=True)
        shutil.rmtree(unpack_dir, ignore_errors=True)


@dataclass
class Digests:
    size: int
    sha256: str
    md5: str


def _download(
    entry: CatalogEntry, target: Path, *, opener: Opener, progress: bool, verify: bool
) -> Digests:
    response = _open(entry, target.parent, opener)
    try:
        length = _content_length(response)
        if verify and entry.size and length is not None and length != entry.size:
            raise UserError(
                f"The server offers {length} bytes for {entry.name}, but the catalog expects "
                f"{entry.size}: the file on the server may have changed. Nothing was installed."
                f" {_manual_steps(entry, target.parent)}"
            )
        total = length or entry.size or None
        with _progress_bar(entry.name, total, progress) as advance:
            digests = _stream(entry, response, target, advance)
    finally:
        with contextlib.suppress(Exception):
            response.close()
    expected = length or (entry.size if verify else 0)
    if expected and digests.size < expected:
        raise UserError(
            f"The download of {entry.name} was cut short: {_mb(digests.size)} of "
            f"{_mb(expected)} arrived. The connection may have dropped. Nothing was installed."
            f" {_manual_steps(entry, target.parent)}"
        )
    if verify:
        _check_digests(entry, digests, target.parent)
    return digests


def _open(entry: CatalogEntry, dest_dir: Path, opener: Opener) -> Any:
    import http.client  # deferred, like urllib.request: see the module docstring
    import socket
    import urllib.error
    import urllib.parse

    host = urllib.parse.urlsplit(entry.url).hostname or entry.url
    steps = _manual_steps(entry, dest_dir)
    try:
        return opener(entry.url, timeout=TIMEOUT)
    except urllib.error.HTTPError as exc:
        raise UserError(
            f"Could not download {entry.name}: {host} answered {exc.code} {exc.reason}. "
            f"Nothing was installed. {steps}"
        ) from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        what = (
            f"could not look up {host} (DNS)"
            if isinstance(reason, socket.gaierror)
            else f"could not connect to {host} ({_reason(reason)})"
        )
        raise UserError(
            f"Could not download {entry.name}: {what}. This machine seems to be offline, or "
            f"the site is down. Nothing was installed. {steps}"
        ) from exc
    except ValueError as exc:
        raise UserError(f"The catalog's address for {entry.name} is not valid: {exc}") from exc


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return str(reason) or type(reason).__name__


def _content_length(response: Any) -> int | None:
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _stream(
    entry: CatalogEntry, response: Any, target: Path, advance: Callable[[int], None]
) -> Digests:
    import hashlib  # deferred: see the module docstring
    import http.client

    sha256, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    size = 0
    with target.open("wb") as out:
        while True:
            try:
                block = response.read(CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                raise UserError(
                    f"The download of {entry.name} was cut short after {_mb(size)} "
                    f"({_reason(exc)}). Nothing was installed. "
                    f"{_manual_steps(entry, target.parent)}"
                ) from exc
            if not block:
                break
            try:
                out.write(block)
            except OSError as exc:
                raise UserError(
                    f"Cannot write the download of {entry.name} to {target.parent} ({exc}). "
                    "Free some space or choose another --dest. Nothing was installed."
                ) from exc
            sha256.update(block)
            md5.update(block)
            size += len(block)
            advance(len(block))
    return Digests(size, sha256.hexdigest(), md5.hexdigest())


@contextlib.contextmanager
def _progress_bar(name: str, total: int | None, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr (bytes, percent, speed, time left), or nothing."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(name, total=total)
        yield lambda n: bar.advance(task, n)


def _check_digests(entry: CatalogEntry, got: Digests, dest_dir: Path) -> None:
    checks = [("size", str(entry.size) if entry.size else "", str(got.size))]
    checks += [("sha256", entry.sha256.lower(), got.sha256), ("md5", entry.md5.lower(), got.md5)]
    for what, expected, actual in checks:
        if expected and expected != actual:
            raise UserError(
                f"The download of {entry.name} does not match the catalog ({what} is {actual}, "
                f"expected {expected}): it was damaged on the way or the file on the server "
                f"changed. Nothing was installed. {_manual_steps(entry, dest_dir)}"
            )


def _manual_steps(entry: CatalogEntry, dest_dir: Path) -> str:
    return (
        f"Try again later, or download {entry.url} by hand, unpack it into {dest_dir} "
        f"(so that {dest_dir / entry.name / 'am' / 'final.mdl'} exists), "
        f"or point --model (or {ENV}) at an unpacked model folder."
    )


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size:,} bytes"


def _unpack(archive: Path, into: Path, entry: CatalogEntry, dest_dir: Path) -> Path:
    """Unpack a checked zip into ``into``; return the model folder inside it."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            _refuse_escapes(members, entry)
            _check_space(members, into, entry)
            zf.extractall(into)
    except zipfile.BadZipFile as exc:
        raise UserError(
            f"The download of {entry.name} is not a readable zip archive ({exc}). "
            f"Nothing was installed. {_manual_steps(entry, dest_dir)}"
        ) from exc
    except (OSError, EOFError, zipfile.LargeZipFile) as exc:
        raise UserError(
            f"Could not unpack {entry.name} into {dest_dir} ({exc}). Nothing was installed."
        ) from exc
    root = _model_root(into)
    problems = model_problems(root)
    if problems:
        raise UserError(
            f"The archive for {entry.name} does not contain a Vosk model "
            f"({'; '.join(problems)}). Nothing was installed."
        )
    return root


def _refuse_escapes(members: list[zipfile.ZipInfo], entry: CatalogEntry) -> None:
    for info in members:
        name = info.filename.replace("\\", "/")
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name):
            raise UserError(
                f"The archive for {entry.name} has an entry that would land outside its folder "
                f"({info.filename!r}); refusing to unpack it. Nothing was installed."
            )


def _check_space(members: list[zipfile.ZipInfo], into: Path, entry: CatalogEntry) -> None:
    needed = sum(info.file_size for info in members)
    free = shutil.disk_usage(into).free
    if needed > free:
        raise UserError(
            f"Not enough disk space to unpack {entry.name}: it needs {_mb(needed)}, "
            f"{_mb(free)} is free in {into.parent}. Nothing was installed."
        )


def _model_root(into: Path) -> Path:
    """A flat archive is the model itself; otherwise its single top folder is."""
    if is_model(into):
        return into
    top = [p for p in into.iterdir() if p.name != "__MACOSX"]
    if len(top) == 1 and top[0].is_dir():
        return top[0]
    return into


def _move_into_place(root: Path, final: Path, force: bool) -> bool:
    """Rename the unpacked model to its final name in one step; an old copy (--force) is
    swapped out. False when a model appeared under that name meanwhile (and not forcing)."""
    try:
        if force and (final.exists() or final.is_symlink()):
            _swap(root, final)
        else:
            os.rename(root, final)
    except OSError as exc:
        if not force and is_model(final):
            return False
        raise UserError(f"Could not move the unpacked model to {final} ({exc}).") from exc
    return True


def _swap(root: Path, final: Path) -> None:
    aside = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.old-")) / "model"
    os.rename(final, aside)
    try:
        os.rename(root, final)
    except OSError:
        os.rename(aside, final)
        raise
    finally:
        shutil.rmtree(aside.parent, ignore_errors=True)


# --------------------------------------------------------------------------- verify


@dataclass
class Verification:
    path: Path
    problems: list[str]
    #: Seconds the vosk library took to load the model; None when it was not loaded.
    load_seconds: float | None = None
    entry: CatalogEntry | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(path: Path, entry: CatalogEntry | None = None, *, load: bool = True) -> Verification:
    """Check a model folder's layout, then load it with the real vosk library (slow: seconds)."""
    path = Path(path)
    problems = model_problems(path)
    if path.is_dir():
        problems += graph_problems(path)
    report = Verification(path, problems, entry=entry)
    if problems or not load:
        return report
    try:
        import vosk
    except Exception as exc:
        report.problems.append(f"the vosk library cannot be imported ({exc})")
        return report
    started = time.perf_counter()
    with _captured_stderr() as log:
        try:
            model = vosk.Model(str(path))
        except Exception as exc:
            model = None
            report.problems.append(_load_failure(exc, log()))
    if model is not None:
        report.load_seconds = time.perf_counter() - started
        del model
    return report


def _load_failure(exc: Exception, log: str) -> str:
    errors = [line.strip() for line in log.splitlines() if "ERROR" in line or "error" in line]
    detail = errors[-1] if errors else str(exc)
    return f"the vosk library could not load it: {detail}"


@contextlib.contextmanager
def _captured_stderr() -> Iterator[Callable[[], str]]:
    """Collect what native code (Kaldi's logging) writes to file descriptor 2."""
    sys.stderr.flush()
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield lambda: _read(sink)
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _read(sink: Any) -> str:
    sink.flush()
    sink.seek(0)
    return sink.read().decode("utf-8", "replace")


# --------------------------------------------------------------------------- command line
