"""Each stage against its floor: what it costs next to the bare component doing
the same work in the same run. The ratio is the figure; absolute times are
context (they are in each figure's label and details).

* **loop vs Vosk**: ``voiceglimmer run --no-wake --input IN.wav --output
  OUT.wav`` with the Korean model, as a child process, against a child that
  loads the same model and decodes the same file with one KaldiRecognizer
  (words on, 1600-sample reads): CPU time of each whole process (model load
  included on both sides). The loop does not transcribe while it speaks, so
  the bare recogniser skips the same spans (taken from the loop's own
  ``final``/``spoken`` events) and the two must write the same transcripts;
  the input leaves room for each reply after each line, so no line is lost.
  The loop's child runs once first (not counted): it fills the home's caches.
* **understanding vs template**: the assistant's understanding (the safety
  check, then the template stage or the learned one) against a bare hassil
  match over the same registry (``IntentRegistry.match``), on the routing
  benchmark's utterances: CPU per pass over all of them.
* **recall vs SQL**: the recall benchmark's questions through
  ``Assistant.handle`` on the 100,000-glimmer journal, against the very
  SELECTs that turn ran (caught with SQLite's trace callback, parameters
  bound), run on a plain connection to the same file.
* **first audio vs synthesis**: the loop's first audio after the endpoint
  (the ``spoken`` event), against rendering the reply's first sentence alone
  with the same voice. Under 1 means the loop speaks before a whole first
  sentence could be rendered (piper says its first words alone).
* **memory**: in a fresh child, resident memory added by the Korean model,
  by the main recogniser once it has decoded a minute of speech, and by a
  phrase detector (the wake/stop kind) on the same audio.

Run as ``python -m benchmarks --only floor``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from benchmarks.context import NOW, Context, cache_root, korean_model_path
from benchmarks.core import Budget, Figure
from benchmarks.speech import KOREAN, KOREAN_MORE, SpeechCache, SpokenRequests, Track

STAGE = "floor"
#: The issue's goal for the loop: at most 10% over raw Vosk.
LOOP_BUDGET = Budget(1.10)
#: What the bare recogniser reads at a time (as a plain Vosk program does).
VOSK_READ = 1600
#: Quiet after each line: Vosk's endpoint (~1 s) and the loop's reply to a
#: line it can't understand (~10.6 s with the default voice), with a margin.
LINE_GAP = 12.5
#: A Korean word the model knows, as a phrase detector's phrase.
KOREAN_PHRASE = "안녕"


# -- loop vs Vosk ----------------------------------------------------------------------


def _loop_input(ctx: Context) -> Path:
    """Korean lines (120 s of speech; 8 s with --quick), each followed by LINE_GAP."""
    wanted = 8.0 if ctx.quick else 120.0

    def make() -> Path:
        voice = SpeechCache(ctx.engine("pyttsx3-ko"))
        lines = KOREAN_MORE + KOREAN
        with Track(ctx.folder("floor") / f"loop-{wanted:g}.wav", voice) as track:
            track.quiet(0.5)
            while sum(ln.end - ln.start for ln in track.lines) < wanted:
                track.say(lines[len(track.lines) % len(lines)]).quiet(LINE_GAP)
        return track.path

    return ctx.once(f"floor.loop_input.{wanted}", make)


def _child_cpu(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """(user + system CPU seconds of the child, its stdout)."""
    out = Path(env["VOICEGLIMMER_HOME"]) / "child-stdout.txt"
    with out.open("w") as stdout:
        proc = subprocess.Popen(
            args, cwd=Path(__file__).parents[1], env=env, stdout=stdout, stderr=subprocess.PIPE
        )
        assert proc.stderr is not None
        errors = proc.stderr.read().decode(errors="replace")
        _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(args[:4])} ... failed: {errors[-2000:]}")
    return usage.ru_utime + usage.ru_stime, out.read_text()


def _clean(text: str) -> str:
    return " ".join(w for w in text.split() if w != "[unk]")


def _loop_vs_vosk(ctx: Context) -> Figure:
    wav = _loop_input(ctx)
    model = str(korean_model_path())
    env = ctx.child_env(home=ctx.folder("floor-home"), VOICEGLIMMER_CACHE=str(_models()))
    loop_args = [sys.executable, "-m", "voiceglimmer", "run", "--json", "--no-wake"]
    loop_args += ["--model", model, "--input", str(wav), "--output", str(ctx.work / "out.wav")]
    _child_cpu(loop_args, env)  # fills the home's caches (templates, learned models)
    loops: list[float] = []
    bares: list[float] = []
    same = True
    heard: list[str] = []
    for _ in range(1 if ctx.quick else min(ctx.repeat, 3)):
        loop_cpu, out = _child_cpu(loop_args, env)
        events = [json.loads(line) for line in out.splitlines()]
        finals = [e for e in events if e["event"] == "final"]
        spoken = [e for e in events if e["event"] == "spoken"]
        skips = [[f["at"], s["at"]] for f, s in zip(finals, spoken, strict=False)]
        bare_args = [sys.executable, "-m", "benchmarks.floor", "--vosk", model, str(wav)]
        bare_cpu, bare_out = _child_cpu([*bare_args, json.dumps(skips)], env)
        bare = [_clean(t) for t in json.loads(bare_out)["texts"]]
        heard = [f["text"] for f in finals]
        same = same and heard == [t for t in bare if t]
        loops.append(loop_cpu)
        bares.append(bare_cpu)
    with wave.open(str(wav)) as w:
        seconds = w.getnframes() / w.getframerate()
    loop_s, bare_s = statistics.median(loops), statistics.median(bares)
    return Figure(
        "floor.loop_vs_vosk.ko",
        STAGE,
        "voiceglimmer run CPU / one bare KaldiRecognizer's CPU, same file",
        "x",
        [a / b for a, b in zip(loops, bares, strict=True)],
        LOOP_BUDGET,
        label=(
            f"Korean model; loop {loop_s:.2f} s CPU vs Vosk {bare_s:.2f} s on {seconds:.0f} s of "
            f"audio; {'same' if same else 'DIFFERENT'} transcripts"
        ),
        details={
            "loop_cpu_seconds": loops,
            "vosk_cpu_seconds": bares,
            "audio_seconds": seconds,
            "utterances": len(heard),
            "same_transcripts": same,
            "vosk": f"one KaldiRecognizer, words on, {VOSK_READ}-sample reads, model load included",
        },
    )


def vosk_worker(model_path: str, wav: str, skips: list[list[float]]) -> None:
    """The floor: load the model, decode ``wav`` skipping ``skips`` (stream seconds)."""
    import vosk

    vosk.SetLogLevel(-1)
    rec = vosk.KaldiRecognizer(vosk.Model(model_path), 16_000)
    rec.SetWords(True)
    texts = []
    frames = 0
    with wave.open(wav) as source:
        while data := source.readframes(VOSK_READ):
            start = frames / 16_000
            frames += len(data) // 2
            if any(a <= start < b for a, b in skips):
                continue
            if rec.AcceptWaveform(data):
                texts.append(json.loads(rec.Result())["text"])
    texts.append(json.loads(rec.FinalResult())["text"])
    print(json.dumps({"texts": texts}, ensure_ascii=False))


# -- understanding vs template -----------------------------------------------------------


def _cpu(work: Any) -> float:
    began = time.process_time()
    work()
    return time.process_time() - began


def _understanding_vs_template(ctx: Context) -> Figure:
    from benchmarks.routing import UTTERANCES
    from voiceglimmer.app import open_assistant

    assistant = open_assistant(home=ctx.folder("floor-understanding"), clock=lambda: NOW, seed=5)
    texts = [t for t in UTTERANCES if len(t) > 3] * (1 if ctx.quick else 3)

    def understand() -> None:
        for text in texts:
            assistant.safety.assess(text)
            assistant.pipeline.template(text) or assistant.pipeline.robust(text)

    def bare() -> None:
        for text in texts:
            assistant.registry.match(text)

    try:
        understand()  # loads the learned models, warms the caches
        bare()
        pairs = [(_cpu(understand), _cpu(bare)) for _ in range(3 if ctx.quick else ctx.repeat)]
    finally:
        assistant.journal.close()
    full = statistics.median(p[0] for p in pairs) / len(texts)
    plain = statistics.median(p[1] for p in pairs) / len(texts)
    return Figure(
        "floor.understanding_vs_template",
        STAGE,
        "understanding (safety + template or learned) / a bare hassil template match",
        "x",
        [a / b for a, b in pairs],
        label=f"{full * 1000:.2f} ms vs {plain * 1000:.2f} ms CPU per utterance",
        details={"utterances": len(texts), "understanding_s": full, "template_s": plain},
    )


# -- recall vs SQL ---------------------------------------------------------------------


def _recall_vs_sql(ctx: Context) -> Figure:
    import shutil

    from benchmarks.recall import QUESTIONS, SIZE, cached_journal
    from voiceglimmer.app import open_assistant

    size = 20_000 if ctx.quick else SIZE
    home = ctx.folder("floor-recall")
    shutil.copyfile(cached_journal(size), home / "journal.sqlite3")
    assistant = open_assistant(home=home, clock=lambda: NOW, seed=3)
    statements: list[str] = []
    db: sqlite3.Connection = assistant.journal._db

    def ask(question: str) -> float:
        began = time.perf_counter()
        assistant.handle(question)
        took = time.perf_counter() - began
        assistant.handle("no")  # decline "would you like to hear more?"
        return took

    ratios: list[float] = []
    by_question: dict[str, tuple[float, float]] = {}
    try:
        with closing(sqlite3.connect(home / "journal.sqlite3")) as plain:
            for question in QUESTIONS.values():
                ask(question)  # warm
                db.set_trace_callback(statements.append)
                assistant.handle(question)
                db.set_trace_callback(None)
                assistant.handle("no")
                selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
                statements.clear()

                def bare(selects: list[str] = selects) -> float:
                    began = time.perf_counter()
                    for sql in selects:
                        plain.execute(sql).fetchall()
                    return time.perf_counter() - began

                bare()
                turns = [ask(question) for _ in range(3 if ctx.quick else ctx.repeat)]
                sqls = [bare() for _ in range(3 if ctx.quick else ctx.repeat)]
                turn, sql = statistics.median(turns), statistics.median(sqls)
                by_question[question] = (turn, sql)
                ratios.append(turn / sql)
    finally:
        assistant.journal.close()
    return Figure(
        "floor.recall_vs_sql",
        STAGE,
        "a recall turn through the assistant / its own SELECTs on a plain connection",
        "x",
        ratios,
        label=f"{size:,} glimmers; "
        + "; ".join(f"{t * 1000:.1f} vs {s * 1000:.1f} ms" for t, s in by_question.values()),
        details={
            "seconds_turn_vs_sql": {q: list(v) for q, v in by_question.items()},
            "one_value_per_question": list(QUESTIONS.values()),
        },
    )


# -- first audio vs synthesis ----------------------------------------------------------


REQUESTS = (
    "how many glimmers this week",
    "glimmer the warm sunlight on my face",
    "what was my last glimmer",
    "a long savor",
)


def _first_audio_vs_synthesis(ctx: Context, engine_name: str) -> Figure:
    from benchmarks.first_audio import CutAfterFirstSlice, _assistant, run_first_audio_loop
    from voiceglimmer.events import LoopEvent, Said, Spoken
    from voiceglimmer.voice.tts import split_sentences

    engine = ctx.engine(engine_name)
    voice = ctx.once("voice.ko", lambda: SpeechCache(ctx.engine("pyttsx3-ko")))
    count = len(REQUESTS) * (1 if ctx.quick else 2)
    requests = [REQUESTS[i % len(REQUESTS)] for i in range(count)]
    with Track(ctx.folder("floor") / f"first-{engine_name}.wav", voice) as track:
        track.quiet(0.5)
        for i, request in enumerate(requests):
            track.say(KOREAN[i % len(KOREAN)], means=request).quiet(3.0)
    assistant = _assistant(ctx, f"floor-first-{engine_name}")
    for request in REQUESTS:  # a first turn of each kind loads what it needs (learned models)
        assistant.handle(request)
        assistant.handle("cancel")
    spoken_requests = SpokenRequests(assistant, track.lines)
    said: list[str] = []
    pairs: list[tuple[str, float]] = []

    def emit(event: LoopEvent) -> None:
        spoken_requests.observe(event)
        if isinstance(event, Said):
            said.append(event.text)
        if isinstance(event, Spoken) and event.first_audio is not None and said:
            pairs.append((split_sentences(said[-1])[0], event.first_audio))

    output = ctx.folder("floor") / f"first-{engine_name}-out.wav"
    # every reply's first audio, then on to the next line
    run_first_audio_loop(
        ctx, track.path, output, assistant, spoken_requests, engine, emit, CutAfterFirstSlice()
    )
    ratios, firsts, renders = [], [], []
    for sentence, first in pairs:
        began = time.perf_counter()
        engine.synthesize(sentence)
        alone = time.perf_counter() - began
        ratios.append(first / alone)
        firsts.append(first)
        renders.append(alone)
    return Figure(
        f"floor.first_audio_vs_synthesis.{engine_name}",
        STAGE,
        f"{engine_name}: first audio after the endpoint / rendering the first sentence alone",
        "x",
        ratios,
        label=(
            f"first audio {statistics.median(firsts) * 1000:.0f} ms vs first sentence "
            f"{statistics.median(renders) * 1000:.0f} ms (medians, wall)"
        ),
        details={
            "first_audio_s": firsts,
            "first_sentence_alone_s": renders,
            "first_sentences": [p[0] for p in pairs],
        },
    )


# -- memory -----------------------------------------------------------------------------


def _memory(ctx: Context) -> list[Figure]:
    from benchmarks.recognition import _speech

    first, _ = ctx.once(
        "floor.memory_speech",
        lambda: _speech(ctx, "pyttsx3-ko", KOREAN_MORE + KOREAN, "floor-memory"),
    )
    env = ctx.child_env(home=ctx.folder("floor-memory-home"))
    args = [sys.executable, "-m", "benchmarks.floor", "--memory", str(korean_model_path())]
    shares: dict[str, list[float]] = {"model": [], "recognizer": [], "phrase_detector": []}
    for _ in range(1 if ctx.quick else min(ctx.repeat, 3)):
        _, out = _child_cpu([*args, str(first)], env)
        for key, value in json.loads(out).items():
            shares[key].append(value)
    titles = {
        "model": "resident memory the Korean model adds, loaded once and shared",
        "recognizer": "the main recogniser's share, after decoding the speech",
        "phrase_detector": "a phrase detector's share (wake/stop kind), same speech",
    }
    return [
        Figure(
            f"floor.memory.{key}.ko",
            STAGE,
            titles[key],
            "MB",
            values,
            label="Korean model, fresh child process (VmRSS deltas)",
        )
        for key, values in shares.items()
    ]


def memory_worker(model_path: str, wav: str) -> None:
    """Resident memory added by the model, one recogniser and one phrase detector."""
    import vosk

    from benchmarks.core import rss_mb
    from voiceglimmer.voice.asr import VoskRecognizer, load_model
    from voiceglimmer.voice.mic import open_wav
    from voiceglimmer.voice.wake import PhraseDetector

    vosk.SetLogLevel(-1)
    base = rss_mb()
    model = load_model(Path(model_path))
    loaded = rss_mb()

    def feed(accept: Any) -> None:
        with open_wav(Path(wav)) as source:
            while (chunk := source.read(VOSK_READ)) is not None:
                accept(chunk)

    recognizer = VoskRecognizer(model)
    feed(recognizer.accept)
    decoded = rss_mb()
    detector = PhraseDetector(model, (KOREAN_PHRASE,))
    feed(detector.accept)
    detected = rss_mb()
    print(
        json.dumps(
            {
                "model": loaded - base,
                "recognizer": decoded - loaded,
                "phrase_detector": detected - decoded,
            }
        )
    )


def _models() -> Path:
    """Where the learned understanding models are kept: the cache already named (the
    test suite's, which has trained them), else one kept between benchmark runs."""
    from voiceglimmer.store.home import CACHE_ENV

    named = os.environ.get(CACHE_ENV)
    return Path(named) if named else cache_root() / "models"


@contextmanager
def _shared_models() -> Iterator[None]:
    """The learned understanding models trained once (kept between runs, as the
    tests keep theirs), not once per benchmark home."""
    from voiceglimmer.store.home import CACHE_ENV

    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(_models())
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = before


def run(ctx: Context) -> list[Figure]:
    with _shared_models():
        ctx.log("  loop vs raw Vosk (two child processes, Korean model) ...")
        figures = [_loop_vs_vosk(ctx)]
        ctx.log("  understanding vs a bare template match ...")
        figures.append(_understanding_vs_template(ctx))
        ctx.log("  recall vs its bare SQL ...")
        figures.append(_recall_vs_sql(ctx))
        for name in ("pyttsx3", "piper"):
            ctx.log(f"  first audio vs synthesising the first sentence ({name}) ...")
            figures.append(_first_audio_vs_synthesis(ctx, name))
        ctx.log("  memory shares (fresh child) ...")
        figures += _memory(ctx)
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--vosk":
        vosk_worker(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
    elif len(sys.argv) == 4 and sys.argv[1] == "--memory":
        memory_worker(sys.argv[2], sys.argv[3])
    else:
        sys.exit(
            "usage: python -m benchmarks.floor --vosk|--memory ... (run `python -m benchmarks`)"
        )
