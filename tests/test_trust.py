"""Nothing runs from places others can write, and private files that aren't private are named.

Issue 11, findings 2 and 4: plugin folders and files that another user could
have written (group- or world-writable, owned by someone else, or reached
through a symlink into such a place) are refused with a warning naming the
path and the fix; ``--plugins-dir /tmp`` loads nothing; a home, config or
journal that others can read or change is warned about (never silently
chmod-ed); a VOICEGLIMMER_HOME that is a file gives a message, not a traceback.

Real files, real modes, real symlinks, the real CLI in a child process. Tests
that give files to another user (uid 65534, "nobody") need root and are skipped
without it.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import NOW, ZONE, Run

#: A plugin that proves it ran: it creates MARKER (a folder, so no output is needed) at
#: import, and answers "thankful for ..." in chat.
PLUGIN = """
import os
from voiceglimmer import hookimpl
from voiceglimmer.dialog.understanding import Intent

os.makedirs({marker!r}, exist_ok=True)


@hookimpl
def register_intents(register):
    register(Intent(name="gratitude", templates=["thankful for {{what}}"],
                    handler=lambda turn: "Thanks noted."))
"""

NOBODY = 65534
ME = pwd.getpwuid(os.geteuid()).pw_name
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving files to another user needs root")


def _plant(folder: Path, marker: Path, name: str = "gratitude") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(PLUGIN.format(marker=str(marker)))
    path.chmod(0o644)
    return path


def _warnings(run: Run) -> list[str]:
    return [w for w in run.stderr.splitlines() if w.startswith("voiceglimmer: warning: ")]


def _loaded(run: Run) -> bool:
    return run.json_lines()[0]["plugin"] == "gratitude"


@pytest.fixture
def marker(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / f"ran-{uuid.uuid4().hex}"
    yield path
    if path.exists():
        path.rmdir()


# -- plugin folders and files ------------------------------------------------------------


def test_plugins_dir_tmp_loads_nothing_and_says_why(cli: Callable[..., Run], marker: Path) -> None:
    """The issue: `--plugins-dir /tmp` ran whatever .py files happened to be there."""
    planted = _plant(Path("/tmp"), marker, name=f"vg_planted_{uuid.uuid4().hex}")
    try:
        run = cli("--plugins-dir", "/tmp", "chat", "--json", input="thankful for rain\n")
    finally:
        planted.unlink()
    assert run.returncode == 0, run.stderr
    assert not marker.exists(), "a file in /tmp ran"
    assert not _loaded(run)
    assert _warnings(run) == [
        "voiceglimmer: warning: plugins in /tmp were not loaded: /tmp is a shared folder "
        "every user can write to; move the files you trust to a folder only you can write to"
    ]


def _folder_mode(mode: int) -> Callable[[Path, Path], None]:
    return lambda folder, file: folder.chmod(mode)


def _file_mode(mode: int) -> Callable[[Path, Path], None]:
    return lambda folder, file: file.chmod(mode)


def _give_away(which: str) -> Callable[[Path, Path], None]:
    def give(folder: Path, file: Path) -> None:
        if os.geteuid() != 0:
            pytest.skip("giving files to another user needs root")
        os.chown(folder if which == "folder" else file, NOBODY, NOBODY)

    return give


#: name -> (how the plugin's folder or file is exposed, what the warning says)
EXPOSED = {
    "folder-world-writable": (_folder_mode(0o777), "{folder} can be changed by other users; "
                              "run: chmod go-w {folder}"),
    "folder-group-writable": (_folder_mode(0o775), "{folder} can be changed by its group; "
                              "run: chmod go-w {folder}"),
    "folder-sticky-shared": (_folder_mode(0o1777), "{folder} is a shared folder every user can "
                             "write to"),
    "folder-of-another-user": (_give_away("folder"), "{folder} belongs to another user (nobody); "
                               f"if it is yours to trust, run: chown {ME} {{folder}}"),
    "file-world-writable": (_file_mode(0o666), "{file} can be changed by other users; "
                            "run: chmod go-w {file}"),
    "file-group-writable": (_file_mode(0o664), "{file} can be changed by its group; "
                            "run: chmod go-w {file}"),
    "file-of-another-user": (_give_away("file"), "{file} belongs to another user (nobody); "
                             f"if it is yours to trust, run: chown {ME} {{file}}"),
}  # fmt: skip


@pytest.mark.parametrize(("expose", "says"), EXPOSED.values(), ids=EXPOSED.keys())
def test_a_plugin_others_could_have_written_is_refused_with_the_fix(
    tmp_path: Path,
    cli: Callable[..., Run],
    marker: Path,
    expose: Callable[[Path, Path], None],
    says: str,
) -> None:
    folder = tmp_path / "plugins"
    file = _plant(folder, marker)
    folder.chmod(0o755)
    # while only its owner can change it, the plugin loads (so the test can fail) ...
    assert _loaded(cli("--plugins-dir", str(folder), "chat", "--json", input="thankful for sun\n"))
    assert marker.exists()
    marker.rmdir()

    expose(folder, file)
    run = cli("--plugins-dir", str(folder), "chat", "--json", input="thankful for rain\n")
    assert run.returncode == 0, run.stderr
    assert not marker.exists() and not _loaded(run)
    [warning] = _warnings(run)
    assert says.format(folder=folder, file=file) in warning
    head = "plugin 'gratitude' was not loaded: " if says.startswith("{file}") else "plugins in"
    assert warning.startswith(f"voiceglimmer: warning: {head}")


def test_a_symlinked_plugin_folder_is_judged_by_its_target(
    tmp_path: Path, cli: Callable[..., Run], marker: Path
) -> None:
    shared = tmp_path / "shared"
    _plant(shared, marker)
    shared.chmod(0o777)
    link = tmp_path / "mine" / "plugins"
    link.parent.mkdir(mode=0o700)
    link.symlink_to(shared)
    run = cli("--plugins-dir", str(link), "chat", "--json", input="thankful for rain\n")
    assert not marker.exists() and not _loaded(run)
    assert _warnings(run) == [
        f"voiceglimmer: warning: plugins in {link} (-> {shared}) were not loaded: {shared} can "
        f"be changed by other users; run: chmod go-w {shared}"
    ]


def test_a_plugin_folder_inside_a_folder_others_can_write_is_refused(
    tmp_path: Path, cli: Callable[..., Run], marker: Path
) -> None:
    """The folder itself is private, but whoever can write its parent can swap it."""
    open_parent = tmp_path / "open"
    folder = open_parent / "deep" / "plugins"
    _plant(folder, marker)
    folder.chmod(0o700)
    open_parent.chmod(0o777)
    link = tmp_path / "link"
    link.symlink_to(folder)
    run = cli("--plugins-dir", str(link), "chat", "--json", input="thankful for rain\n")
    assert not marker.exists() and not _loaded(run)
    [warning] = _warnings(run)
    assert warning.endswith(
        f"{open_parent} can be changed by other users; run: chmod go-w {open_parent} "
        f"(it holds {folder})"
    )


def test_a_symlinked_plugin_file_is_judged_by_where_it_points(
    tmp_path: Path, cli: Callable[..., Run], marker: Path
) -> None:
    shared = tmp_path / "shared"
    target = _plant(shared, marker, name="elsewhere")
    shared.chmod(0o777)
    folder = tmp_path / "plugins"
    folder.mkdir(mode=0o700)
    (folder / "gratitude.py").symlink_to(target)
    run = cli("--plugins-dir", str(folder), "chat", "--json", input="thankful for rain\n")
    assert not marker.exists() and not _loaded(run)
    [warning] = _warnings(run)
    assert warning.startswith("voiceglimmer: warning: plugin 'gratitude' was not loaded: ")
    assert f"{shared} can be changed by other users; run: chmod go-w {shared}" in warning


def test_the_plugins_folder_in_a_world_writable_home_is_refused(
    home: Path, cli: Callable[..., Run], marker: Path
) -> None:
    _plant(home / "plugins", marker)
    (home / "plugins").chmod(0o700)
    home.chmod(0o777)
    run = cli("chat", "--json", input="thankful for rain\n")
    assert not marker.exists() and not _loaded(run)
    assert f"voiceglimmer: warning: plugins in {home / 'plugins'} were not loaded: " in run.stderr
    assert f"run: chmod go-w {home}" in run.stderr


def test_a_plugin_dir_that_is_missing_is_named(cli: Callable[..., Run], tmp_path: Path) -> None:
    run = cli("--plugins-dir", str(tmp_path / "typo"), "chat", "--json", input="help\n")
    assert run.returncode == 0
    assert _warnings(run) == [
        f"voiceglimmer: warning: --plugins-dir {tmp_path / 'typo'} does not exist; "
        "no plugins were loaded from it"
    ]


def test_stale_bytecode_beside_a_plugin_is_never_run(
    tmp_path: Path, cli: Callable[..., Run], marker: Path
) -> None:
    """Plugins are compiled from the checked source, never from a __pycache__ .pyc that
    Python would otherwise trust by its recorded size and time."""
    import py_compile

    folder = tmp_path / "plugins"
    source = _plant(folder, marker)
    folder.chmod(0o755)
    honest = source.read_text()
    evil_marker = tmp_path / f"evil-{uuid.uuid4().hex}"
    # same length, same mtime: only the bytecode differs
    source.write_text(honest.replace(str(marker), str(evil_marker)[: len(str(marker))]))
    stamp = source.stat()
    pyc = folder / "__pycache__" / f"gratitude.{sys.implementation.cache_tag}.pyc"
    py_compile.compile(str(source), cfile=str(pyc))
    source.write_text(honest)
    os.utime(source, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert source.stat().st_size == stamp.st_size
    run = cli("--plugins-dir", str(folder), "chat", "--json", input="thankful for rain\n")
    assert _loaded(run) and marker.exists()
    assert not Path(str(evil_marker)[: len(str(marker))]).exists()


# -- the home, the journal and config.toml -----------------------------------------------


def test_a_private_home_gets_no_warning(home: Path, cli: Callable[..., Run]) -> None:
    run = cli("chat", "--json", input="glimmer: tea\n")
    assert run.returncode == 0 and _warnings(run) == []
    assert (home.stat().st_mode & 0o777, (home / "journal.sqlite3").stat().st_mode & 0o777) == (
        0o700,
        0o600,
    )


def test_a_home_journal_and_config_others_can_reach_are_named_with_the_fix(
    home: Path, cli: Callable[..., Run]
) -> None:
    assert cli("log", "the first sip of tea").returncode == 0
    journal, config = home / "journal.sqlite3", home / "config.toml"
    config.write_text("[plugins.savor-guide]\ncalm_check = false\n")
    home.chmod(0o777)
    journal.chmod(0o644)
    config.chmod(0o666)
    run = cli("chat", "--json", input="glimmer: rain\nglimmer: wind\nwhat's my streak\n")
    assert run.returncode == 0, run.stderr
    assert len(run.json_lines()) == 3
    assert _warnings(run) == [  # each once, though the session went on
        f"voiceglimmer: warning: the folder {home} can be read and changed by other users; "
        f"run: chmod 700 {home}",
        f"voiceglimmer: warning: {journal} can be read by other users; run: chmod 600 {journal}",
        f"voiceglimmer: warning: {config} can be read and changed by other users; "
        f"run: chmod 600 {config}",
    ]
    # told, not silently changed
    assert [p.stat().st_mode & 0o777 for p in (home, journal, config)] == [0o777, 0o644, 0o666]


def test_a_separate_config_folder_readable_by_others_is_named(tmp_path: Path) -> None:
    data, config = tmp_path / "data", tmp_path / "config"
    run = _cli_without_home(tmp_path, ["log", "tea"], data=data, config=config)
    assert run.returncode == 0, run.stderr
    target = config / "voiceglimmer"
    target.chmod(0o750)
    run = _cli_without_home(tmp_path, ["list"], data=data, config=config)
    assert _warnings(run) == [
        f"voiceglimmer: warning: the folder {target} can be read by other users; "
        f"run: chmod 700 {target}"
    ]


@pytest.mark.parametrize("command", [["chat"], ["list"], ["log", "tea"], ["plugins"]])
def test_voiceglimmer_home_that_is_a_file_is_explained(
    home: Path, cli: Callable[..., Run], command: list[str]
) -> None:
    home.parent.mkdir(parents=True, exist_ok=True)
    home.write_text("not a folder")
    run = cli(*command, input="")
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.stderr == (
        f"voiceglimmer: VOICEGLIMMER_HOME is {home}, which is a file, not a folder. "
        "Point VOICEGLIMMER_HOME at a folder (it is created if missing).\n"
    )
    assert home.read_text() == "not a folder"


def test_voiceglimmer_home_under_a_file_is_explained(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    run = _cli(["list"], {"VOICEGLIMMER_HOME": str(blocker / "home")})
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert f"can't be created: {blocker} is a file." in run.stderr


def test_a_data_folder_that_is_a_file_is_explained(tmp_path: Path) -> None:
    data, config = tmp_path / "data", tmp_path / "config"
    data.mkdir()
    (data / "voiceglimmer").write_text("in the way")
    run = _cli_without_home(tmp_path, ["list"], data=data, config=config)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith(
        f"voiceglimmer: The data folder {data / 'voiceglimmer'} is a file, not a folder."
    )


def _cli(args: list[str], env: dict[str, str]) -> Run:
    environment = {**os.environ, "VOICEGLIMMER_NOW": NOW.isoformat(), "TZ": ZONE, **env}
    if "XDG_DATA_HOME" in env:  # the default folders, not a test's VOICEGLIMMER_HOME
        environment.pop("VOICEGLIMMER_HOME", None)
    done = subprocess.run(
        [sys.executable, "-m", "voiceglimmer", *args],
        capture_output=True, text=True, env=environment, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return Run(done.returncode, done.stdout, done.stderr)


def _cli_without_home(tmp_path: Path, args: list[str], *, data: Path, config: Path) -> Run:
    """The CLI with its default folders (no VOICEGLIMMER_HOME), placed by the XDG variables."""
    env = {
        "XDG_DATA_HOME": str(data),
        "XDG_CONFIG_HOME": str(config),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    return _cli(args, env)
