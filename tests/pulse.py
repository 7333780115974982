"""A private PulseAudio server for tests that need real audio devices.

CI machines have no sound card, but the microphone and speaker code must be
exercised through the same stack a desktop uses: sounddevice -> PortAudio ->
ALSA -> the ALSA pulse plugin -> a sound server. So the session starts its own
``pulseaudio`` (never the user's), with a pipe source as the microphone (tests
push PCM into it) and a null sink as the speaker (tests record its monitor).

Use it from a test module with ``pytest_plugins = ["pulse"]`` (this folder is
on ``sys.path`` under pytest's default "prepend" import mode, however pytest is
started), or put that line in tests/conftest.py; then ask for:

* ``pulse`` (function scope): the server, with this process's environment
  pointed at it and PortAudio re-initialised so it sees the new devices; both
  undone afterwards. Use it for in-process ``Microphone``/``Speaker`` tests.
* ``pulse_server`` (session scope): the server alone; pass ``pulse_server.env``
  (merged into ``os.environ``) to child processes, which then find it at start.

How PortAudio finds the server: the environment names the socket
(``PULSE_SERVER``), and an ALSA config file in the private config folder
(``XDG_CONFIG_HOME/alsa/asoundrc``) routes ALSA's "default" device to pulse.
PortAudio reads ALSA's configuration in ``Pa_Initialize``, which sounddevice
runs at import, so the ``pulse`` fixture calls ``sounddevice._terminate()``
and ``_initialize()`` after changing the environment (PortAudio's ALSA host
frees ALSA's cached configuration on terminate, so it is re-read).

Running as root works with ``--system=false`` as long as HOME, the runtime
and state folders all point into the private temporary folder; pulseaudio
only warns. Shared memory is off on both sides, so nothing is left in
/dev/shm, and clients never autospawn a second daemon.

The speaker side is recorded for the whole session by one ``parec`` on the
null sink's monitor (see ``Monitor`` for why); ``record()`` slices that.

The pipe source only reads its FIFO while something records from it, and
delivers data as fast as it arrives, so a feeder thread writes in real time
(20 ms per 20 ms), filling gaps with silence like a live microphone; fed
audio waits while nobody listens, silence is dropped. The FIFO is shrunk to
one page so at most ~128 ms of stale silence sits ahead of fed audio.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

RATE = 16_000
MIC = "vg_mic"
SPEAKER = "vg_speaker"
TICK_SECONDS = 0.02
TICK_BYTES = int(RATE * TICK_SECONDS) * 2
F_SETPIPE_SZ = 1031
START_TIMEOUT = 10.0

CLIENT_CONF = "autospawn = no\nenable-shm = no\n"
ASOUNDRC = """\
pcm.!default { type pulse }
ctl.!default { type pulse }
pcm.pulse { type pulse }
ctl.pulse { type pulse }
"""


def _script(socket: Path, fifo: Path) -> str:
    return "\n".join(
        [
            f"load-module module-native-protocol-unix auth-anonymous=1 socket={socket}",
            f"load-module module-null-sink sink_name={SPEAKER} rate={RATE} channels=1"
            f" sink_properties=device.description=vg_speaker",
            f"load-module module-pipe-source source_name={MIC} file={fifo} format=s16le"
            f" rate={RATE} channels=1 source_properties=device.description=vg_mic",
            f"set-default-sink {SPEAKER}",
            f"set-default-source {MIC}",
            "",
        ]
    )


class Feeder:
    """Writes into the pipe source in real time: fed PCM when there is some, else silence."""

    def __init__(self, fifo: Path) -> None:
        # pulseaudio holds the FIFO open for reading, so a non-blocking open succeeds.
        self._fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        self._drain_fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        self._reset = threading.Event()
        fcntl.fcntl(self._fd, F_SETPIPE_SZ, 4096)
        self._queue: queue.Queue[bytes] = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pulse-feeder", daemon=True)
        self._thread.start()

    def feed(self, pcm: bytes) -> None:
        for start in range(0, len(pcm), TICK_BYTES):
            self._queue.put(pcm[start : start + TICK_BYTES])
        # Cleared after queueing: the writer sets it again on its next tick if already done.
        self._idle.clear()

    def wait(self, timeout: float = 30.0) -> bool:
        """True once everything fed has gone into the FIFO."""
        return self._idle.wait(timeout)

    def reset(self, timeout: float = 5.0) -> None:
        """Forget audio fed but never heard, and empty the FIFO, so a test starts clean."""
        self._reset.set()
        _wait_for(lambda: not self._reset.is_set(), "the feeder to reset", timeout)

    def _empty(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        with contextlib.suppress(BlockingIOError):
            while os.read(self._drain_fd, 65536):
                pass
        self._idle.set()
        self._reset.clear()

    def _next_block(self) -> bytes | None:
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            self._idle.set()
            return None

    def _run(self) -> None:
        block: bytes | None = None
        due = time.monotonic()
        while not self._stop.is_set():
            if self._reset.is_set():
                block = None
                self._empty()
            if block is None:
                block = self._next_block()
            data = block if block is not None else bytes(TICK_BYTES)
            try:
                written = os.write(self._fd, data)
            except BlockingIOError:  # nobody is recording: keep fed audio, drop silence
                written = len(data) if block is None else 0
            if block is not None:
                block = block[written:] or None
            due = max(due + TICK_SECONDS, time.monotonic() - 0.2)
            self._stop.wait(max(0.0, due - time.monotonic()))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        os.close(self._fd)
        os.close(self._drain_fd)


class Monitor:
    """One ``parec`` on the speaker's monitor for the whole session, into a file.

    A null sink that has been idle sleeps in 2-second blocks: the first client
    to connect (a recorder, or a speaker stream) waits up to 2 s for audio to
    move. Keeping one low-latency recorder attached keeps the sink ticking
    every 10 ms, so streams start at once, and ``record`` just notes where in
    this file a test's audio begins and ends.
    """

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.path = root / "speaker.raw"
        with self.path.open("wb") as out:
            self._process = subprocess.Popen(
                [
                    "parec",
                    f"--device={SPEAKER}.monitor",
                    "--format=s16le",
                    f"--rate={RATE}",
                    "--channels=1",
                    "--latency-msec=10",
                    "--raw",
                ],
                stdout=out,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        try:
            _wait_for(lambda: self.position() > 0 or self._process.poll() is not None, "parec")
        except RuntimeError:
            self.close()
            raise
        if self._process.poll() is not None:
            raise RuntimeError(f"parec exited with status {self._process.returncode}")

    def position(self) -> int:
        """Bytes captured so far (whole samples)."""
        return self.path.stat().st_size & ~1

    def read(self, begin: int, end: int) -> bytes:
        with self.path.open("rb") as f:
            f.seek(begin)
            return f.read(end - begin)

    def close(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


@dataclass
class Recording:
    """What the speaker's monitor captured, as 16 kHz mono s16le."""

    pcm: bytes = b""

    @property
    def samples(self) -> np.ndarray:
        return np.frombuffer(self.pcm, "<i2")

    @property
    def duration(self) -> float:
        return len(self.pcm) / 2 / RATE


@dataclass
class PulseServer:
    root: Path
    env: dict[str, str]
    process: subprocess.Popen
    feeder: Feeder
    fifo: Path
    log: Path
    monitor: Monitor

    def child_env(self) -> dict[str, str]:
        """The environment for a child process that should use this server."""
        return {**os.environ, **self.env}

    def feed(self, pcm: bytes, *, wait: bool = False) -> None:
        """Send 16 kHz mono s16le into the microphone, in real time."""
        self.feeder.feed(pcm)
        if wait:
            self.feeder.wait()

    def pactl(self, *args: str) -> str:
        done = subprocess.run(
            ["pactl", *args], env=self.child_env(), capture_output=True, text=True, timeout=10
        )
        if done.returncode:
            raise RuntimeError(f"pactl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    @contextlib.contextmanager
    def record(self, tail: float = 0.1) -> Iterator[Recording]:
        """Capture the speaker (its monitor) from now until ``tail`` s after the block ends."""
        recording = Recording()
        begin = self.monitor.position()
        yield recording
        time.sleep(tail)
        recording.pcm = self.monitor.read(begin, self.monitor.position())

    def close(self) -> None:
        self.monitor.close()
        self.feeder.close()
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _wait_for(ready, what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.01)


def _environments(root: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(the server's environment, what clients need added to theirs)."""
    home, config, runtime, state = (root / n for n in ("home", "config", "runtime", "state"))
    for folder in (home, config / "pulse", config / "alsa", runtime, state):
        folder.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)
    (config / "pulse" / "client.conf").write_text(CLIENT_CONF)
    (config / "alsa" / "asoundrc").write_text(ASOUNDRC)
    client = {
        "PULSE_SERVER": f"unix:{runtime / 'native'}",
        "PULSE_RUNTIME_PATH": str(runtime),
        "PULSE_STATE_PATH": str(state),
        "PULSE_CLIENTCONFIG": str(config / "pulse" / "client.conf"),
        "PULSE_COOKIE": str(config / "pulse" / "cookie"),
        "XDG_CONFIG_HOME": str(config),
    }
    quiet = {"DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "PULSE_SERVER"}
    server = {k: v for k, v in os.environ.items() if k not in quiet}
    server.update(client, HOME=str(home), XDG_RUNTIME_DIR=str(runtime))
    del server["PULSE_SERVER"]
    return server, client


def start_server(root: Path) -> PulseServer:
    """Start a private pulseaudio in ``root``; raises with its log if it won't come up."""
    server_env, client_env = _environments(root)
    runtime = Path(client_env["PULSE_RUNTIME_PATH"])
    fifo = root / "mic.fifo"
    script = root / "server.pa"
    script.write_text(_script(runtime / "native", fifo))
    log = root / "pulseaudio.log"
    command = [
        "pulseaudio",
        "-n",
        "--daemonize=no",
        "--exit-idle-time=-1",
        "--system=false",
        "--use-pid-file=no",
        "--disable-shm=yes",
        "--realtime=no",
        "--high-priority=no",
        "--log-target=stderr",
        "-F",
        str(script),
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, env=server_env, stdout=log_file, stderr=subprocess.STDOUT, cwd=root
        )
    ready = lambda: process.poll() is not None or _answers(client_env)  # noqa: E731
    try:
        _wait_for(ready, "pulseaudio to start")
    except RuntimeError:
        process.kill()
        process.wait()
        raise RuntimeError(f"pulseaudio didn't start:\n{log.read_text()}") from None
    if process.poll() is not None:
        raise RuntimeError(f"pulseaudio exited at start:\n{log.read_text()}")
    try:
        monitor = Monitor(root, {**os.environ, **client_env})
    except RuntimeError:
        process.kill()
        process.wait()
        raise
    return PulseServer(root, client_env, process, Feeder(fifo), fifo, log, monitor)


def _answers(client_env: dict[str, str]) -> bool:
    done = subprocess.run(
        ["pactl", "info"], env={**os.environ, **client_env}, capture_output=True, timeout=10
    )
    return done.returncode == 0


def reinitialise_portaudio() -> None:
    """Make PortAudio re-read ALSA's configuration and the device list."""
    import sounddevice

    sounddevice._terminate()
    sounddevice._initialize()


@pytest.fixture(scope="session")
def pulse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    if shutil.which("pulseaudio") is None:
        pytest.skip("pulseaudio is not installed (scripts/setup installs it)")
    for tool in ("pactl", "parec"):
        if shutil.which(tool) is None:
            pytest.fail(f"pulseaudio is installed but {tool} is missing (pulseaudio-utils)")
    root = tmp_path_factory.mktemp("pulse")
    server = start_server(root)
    try:
        yield server
    finally:
        server.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pulse(pulse_server: PulseServer) -> Iterator[PulseServer]:
    with pytest.MonkeyPatch.context() as env:
        for key, value in pulse_server.env.items():
            env.setenv(key, value)
        reinitialise_portaudio()
        pulse_server.feeder.reset()
        yield pulse_server
    reinitialise_portaudio()
