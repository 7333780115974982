"""Soak: thousands of utterances through the file loop, watching resident memory.

Two soaks, each in a fresh child process, each with the real journal (a
real SQLite file), plugins, assistant, ``Loop``, WAV input through
``open_wav`` and the pyttsx3 voice writing through ``WavSink`` (to
/dev/null, so hours of output need no disk):

* **double, 2,000 utterances, ~8 hours of audio**: English speech, with the
  recogniser test double from ``tests/replay.py`` (energy endpointing, known
  words) standing in for Vosk, because no English model exists here. Logging,
  follow-up answers, recall, search, counts, and a quick savoring script every
  19th utterance, with the quiet between them a person would leave.
* **real Vosk, 2,000 utterances, ~4.8 hours of audio**: Korean speech and the
  real recogniser with the Korean model, answered as English requests (see
  ``benchmarks.speech``); shorter replies and gaps, because decoding is the
  slow part (about 17 minutes on this machine when idle; ``--quick`` runs 3).

Resident memory (VmRSS) is read after every utterance and sampled every 100
utterances (every 50 for the real soak), each sample also keeping the highest
RSS since the one before and glibc's count of heap bytes in use and freed but
held. The figure is the growth of the *highest* RSS: the highest after
warm-up minus the highest up to it. Not the RSS at the end minus the RSS at
warm-up, because a warm Vosk recogniser's memory is a sawtooth, not a line:
Vosk keeps the features of up to 10 minutes of decoded audio (20,000 frames)
and then starts its front end afresh, so live memory climbs ~40 MB and drops
back every ~150 utterances here, and two single readings would land on
arbitrary points of that cycle. A leak or a ratchet raises the peaks, which
this figure catches; the cycle itself does not.

Warm-up: 200 utterances for the double (its RSS rises ~2 MB over those as
the journal, caches and interpreter settle, then only wobbles). 300 for
Vosk: it grows by ~220 MB over the first ~100 utterances, mostly as it
caches the parts of its decoding graph it has used (that cache is what makes
it several times faster once warm; see ``benchmarks.recognition``), and 300
utterances are two whole front-end cycles, so the reference peak includes a
full 10-minute feature buffer. The details show the highest RSS in each
fifth of the soak, which is flat once memory has stopped growing.

What was found (2,000 Vosk utterances, warm-up 300) and changed in
``voiceglimmer.voice.asr``:

* With glibc left to itself, freed Kaldi blocks kept their pages, so RSS only
  ever went up, in steps at front-end restarts: 798.7 MB at 200 utterances,
  823.2 MB at 2,000 (+9.5 MB by 400, the figure this soak first reported),
  while glibc's own count of heap in use was the same sawtooth throughout.
  Freed pages are now handed back after each answered utterance
  (``malloc_trim``, ~1 ms): RSS follows live memory.
* The peak still crept up, 806 to 820 MB by fifths of the run (+16 MB), as
  the recogniser's own cache of the decoding graph (Vosk composes it lazily,
  per recogniser) met new paths. The recogniser is now replaced after every
  5 minutes of decoded audio (27 times in this soak): peaks by fifth
  770.7, 770.2, 747.9, 766.9, 750.9 MB, -0.5 MB after warm-up. How high
  each recogniser gets before its renewal depends on what it heard, so this
  figure moves by several MB from run to run; the peaks by fifth show
  whether memory is bounded.

The input is a few distinct WAV segments played one after another on one
continuous stream clock, so the files stay small.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks.context import NOW, Context
from benchmarks.core import Budget, Figure, rss_mb
from benchmarks.speech import KOREAN, Line, SpeechCache, SpokenRequests, Track

STAGE = "soak"
BUDGET = Budget(5.0)
SEGMENT = 50
SEGMENT_FILES = 4

#: (said, quiet after it in seconds): one round of a day's conversation, English.
DOUBLE_ROUND = (
    ("glimmer the warm sunlight on my face", 9.0),
    ("no", 6.0),
    ("how many glimmers this week", 6.0),
    ("any glimmers about tea", 20.0),
    ("remind me of a glimmer", 13.0),
    ("what was my last glimmer", 8.0),
    ("i noticed a glimmer the first sip of tea", 9.0),
    ("no thanks", 6.0),
    ("what were yesterday's glimmers", 8.0),
)
QUICK_SAVOR = ("a quick savor", 62.0)
#: Every other round ends with a quick savoring script (after a question, never
#: before an answer, which would then be taken for a new request).
DOUBLE_ROUNDS = DOUBLE_ROUND + DOUBLE_ROUND + (QUICK_SAVOR,)
#: (English request, quiet after it) for the real-recogniser soak: short replies only.
VOSK_ROUND = (
    ("glimmer the warm sunlight on my face", 7.0),
    ("no", 5.5),
    ("how many glimmers this week", 5.0),
    ("what was my last glimmer", 6.5),
)


#: Why each soak's warm-up is as long as it is (also in the figure's details).
WARM_UP_REASON = {
    "double": "RSS rises ~2 MB over the first 200 utterances as the journal, caches and "
    "interpreter settle, then only wobbles",
    "vosk": "a recogniser caches most of the decoding graph it uses in its first ~100 "
    "utterances and keeps the features of up to 10 minutes of decoded audio; it is renewed "
    "after 5 minutes (~75 utterances here): 300 utterances are four renewals, so the "
    "reference peak includes full caches",
}


@dataclass
class Plan:
    kind: str  # "double" | "vosk"
    utterances: int
    every: int
    warm_up: int


def plans(quick: bool) -> dict[str, Plan]:
    if quick:
        return {"double": Plan("double", 12, 4, 4), "vosk": Plan("vosk", 3, 1, 1)}
    return {"double": Plan("double", 2000, 100, 200), "vosk": Plan("vosk", 2000, 50, 300)}


# -- the input: a few segments, played end to end on one clock -------------------------------


def _segment_requests(kind: str, first: int, count: int) -> list[tuple[str, float]]:
    rounds = DOUBLE_ROUNDS if kind == "double" else VOSK_ROUND
    return [rounds[n % len(rounds)] for n in range(first, first + count)]


def make_segments(
    kind: str, folder: Path, voice: SpeechCache, size: int, files: int
) -> list[tuple[Path, list[Line]]]:
    """``files`` WAVs of ``size`` utterances each (lines in segment-local time)."""
    segments = []
    for s in range(files):
        with Track(folder / f"{kind}-{s}.wav", voice) as track:
            track.quiet(0.5)
            for i, (request, gap) in enumerate(_segment_requests(kind, s * size, size)):
                said = request if kind == "double" else KOREAN[(s * size + i) % len(KOREAN)]
                track.say(said, means=request).quiet(gap)
        segments.append((track.path, track.lines))
    return segments


class Segments:
    """Segment files read one after another as one stream; told when each begins."""

    def __init__(
        self,
        files: list[tuple[Path, list[Line]]],
        count: int,
        on_segment: Callable[[list[Line]], None],
    ) -> None:
        from voiceglimmer.voice.audio import RATE

        self.rate = RATE
        self.files = files
        self.count = count
        self.on_segment = on_segment
        self._index = 0
        self._emitted = 0
        self._current: Any = None

    def read(self, frames: int) -> Any:
        from voiceglimmer.voice.audio import AudioChunk
        from voiceglimmer.voice.mic import open_wav

        while True:
            if self._current is None:
                if self._index >= self.count:
                    return None
                path, lines = self.files[self._index % len(self.files)]
                offset = self._emitted / self.rate
                self.on_segment(
                    [replace(ln, start=ln.start + offset, end=ln.end + offset) for ln in lines]
                )
                self._current = open_wav(path)
            chunk = self._current.read(frames)
            if chunk is None:
                self._current.close()
                self._current = None
                self._index += 1
                continue
            out = AudioChunk(chunk.pcm, chunk.rate, self._emitted / self.rate)
            self._emitted += chunk.frames
            return out

    def close(self) -> None:
        if self._current is not None:
            self._current.close()


# -- the soak itself (in a child process) -------------------------------------------------------


MALLINFO2_FIELDS = (
    *("arena", "ordblks", "smblks", "hblks", "hblkhd"),
    *("usmblks", "fsmblks", "uordblks", "fordblks", "keepcost"),
)


def heap_mb() -> dict[str, float]:
    """glibc's heap: bytes in live blocks, and bytes freed but still held (MB).

    Tells a leak (in use grows) from memory freed and kept by malloc (held
    grows); empty where the C library isn't glibc 2.33 or later.
    """
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in MALLINFO2_FIELDS]

    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
    except AttributeError:
        return {}
    mallinfo2.restype = MallInfo2
    info = mallinfo2()
    mb = 1024 * 1024
    return {
        "heap_in_use_mb": round((info.uordblks + info.hblkhd) / mb, 2),
        "heap_free_held_mb": round(info.fordblks / mb, 2),
    }


def soak(plan: Plan, work: Path) -> dict[str, Any]:
    """Run the loop over ``plan.utterances`` utterances; RSS samples and counts."""
    from voiceglimmer.app import open_assistant
    from voiceglimmer.events import Final, LoopEvent, Spoken
    from voiceglimmer.voice.loop import Loop, Settings
    from voiceglimmer.voice.speaker import WavSink
    from voiceglimmer.voice.tts import Pyttsx3Engine

    engine = Pyttsx3Engine()
    voice = SpeechCache(engine if plan.kind == "double" else Pyttsx3Engine("ko"))
    size = min(SEGMENT, plan.every)
    segments = -(-plan.utterances // size)
    files = make_segments(plan.kind, work, voice, size, min(SEGMENT_FILES, segments))
    assistant = open_assistant(home=work / "home", clock=lambda: NOW, seed=1)
    if plan.kind == "double":
        from tests.replay import Line as ReplayLine
        from tests.replay import ReplayRecognizer, Script

        script = Script([])

        def on_segment(lines: list[Line]) -> None:
            script.lines[:] = [ReplayLine(ln.means, ln.start, ln.end) for ln in lines]

        recognizer: Any = ReplayRecognizer(script)
        answerer: Any = assistant
        observe: Callable[[LoopEvent], None] = lambda event: None  # noqa: E731
        label = "recogniser test double (tests/replay.py), English speech"
    else:
        from benchmarks.context import korean_model_path
        from voiceglimmer.voice.asr import VoskRecognizer, load_model

        answerer = SpokenRequests(assistant, [])

        def on_segment(lines: list[Line]) -> None:
            answerer.lines = lines

        recognizer = VoskRecognizer(load_model(korean_model_path()))
        observe = answerer.observe
        label = "real Vosk recogniser, Korean model, Korean speech"

    source = Segments(files, segments, on_segment)
    samples: list[dict[str, float]] = []
    counts = {"finals": 0, "spoken": 0}
    began = time.perf_counter()
    #: The highest RSS seen at any utterance since the last sample.
    peak = {"rss_mb": 0.0}

    def sample() -> None:
        now = rss_mb()
        # audio the recogniser has decoded (it is renewed every 5 minutes of it;
        # see the module docstring); the double doesn't count it
        fed = getattr(recognizer, "audio_seconds", None)
        samples.append(
            {
                "utterances": counts["finals"],
                "rss_mb": now,
                "peak_rss_mb": max(peak["rss_mb"], now),
                **({} if fed is None else {"fed_audio_seconds": round(fed, 1)}),
                **heap_mb(),
                "wall_seconds": time.perf_counter() - began,
            }
        )
        peak["rss_mb"] = 0.0

    def emit(event: LoopEvent) -> None:
        observe(event)
        if isinstance(event, Final):
            counts["finals"] += 1
            peak["rss_mb"] = max(peak["rss_mb"], rss_mb())
            if counts["finals"] % plan.every == 0:
                sample()
        elif isinstance(event, Spoken):
            counts["spoken"] += 1

    sample()
    with WavSink(os.devnull, engine.rate) as sink:
        ended = Loop(
            source=source,
            sink=sink,
            assistant=answerer,
            recognizer=recognizer,
            engine=engine,
            emit=emit,
            settings=Settings(wake_phrase=None),
        ).run()
    source.close()
    glimmers = assistant.journal.count()
    assistant.journal.close()
    return {
        "label": label,
        "utterances_in_input": segments * size,
        "finals": counts["finals"],
        "spoken": counts["spoken"],
        "audio_hours": ended.audio_seconds / 3600,
        "wall_seconds": time.perf_counter() - began,
        "glimmers_saved": glimmers,
        # how often the real recogniser was replaced (voice.asr.VoskRecognizer.reset)
        **({"recogniser_renewals": recognizer.renewals} if hasattr(recognizer, "renewals") else {}),
        "decoding_cpu_seconds": round(getattr(recognizer, "cpu_seconds", 0.0), 1),
        "samples": samples,
    }


@dataclass(frozen=True)
class Growth:
    """How resident memory moved after warm-up (MB)."""

    #: The figure: the highest RSS after warm-up minus the highest up to it.
    peak_growth: float
    peak_at_warm_up: float
    peak_after: float
    #: RSS at the end minus RSS at warm-up: depends on where in Vosk's front-end
    #: cycle the two samples fall, so it is shown, not judged.
    end_minus_warm_up: float
    #: The highest RSS in each fifth of the soak: flat once warm, if memory is bounded.
    peak_by_fifth: list[float]


def growth(samples: list[dict[str, float]], warm_up: int) -> Growth:
    """The growth figure for a soak's samples (see the module docstring)."""
    warm = [s for s in samples if s["utterances"] <= warm_up] or samples[:1]
    after = [s for s in samples if s["utterances"] > warm_up] or samples[-1:]

    def peak(rows: list[dict[str, float]]) -> float:
        return max(r.get("peak_rss_mb", r["rss_mb"]) for r in rows)

    total = samples[-1]["utterances"] or 1
    fifths = [
        [s for s in samples[1:] if (i * total) / 5 < s["utterances"] <= ((i + 1) * total) / 5]
        for i in range(5)
    ]
    return Growth(
        peak_growth=peak(after) - peak(warm),
        peak_at_warm_up=peak(warm),
        peak_after=peak(after),
        end_minus_warm_up=after[-1]["rss_mb"] - warm[-1]["rss_mb"],
        peak_by_fifth=[round(peak(rows), 1) for rows in fifths if rows],
    )


def run(ctx: Context) -> list[Figure]:
    figures = []
    titles = {
        "double": ("soak.double_2000.growth", "RSS growth after warm-up, test-double recogniser"),
        "vosk": ("soak.vosk_ko_2000.growth", "RSS growth after warm-up, real Vosk (Korean)"),
    }
    for kind, plan in plans(ctx.quick).items():
        key, title = titles[kind]
        ctx.log(f"  soak: {plan.utterances} utterances, {kind} recogniser (child process) ...")
        work = ctx.folder(f"soak-{kind}")
        output = ctx.python(
            "-m", "benchmarks.soak", "--worker", kind, "--work", str(work),
            *(["--quick"] if ctx.quick else []),
            env=ctx.child_env(home=work / "home"),
            timeout=3 * 3600,
        )  # fmt: skip
        result = json.loads(output.strip().splitlines()[-1])
        moved = growth(result["samples"], plan.warm_up)
        figures.append(
            Figure(
                key,
                STAGE,
                f"{title}: {plan.utterances} utterances",
                "MB",
                [moved.peak_growth],
                BUDGET,
                label=result["label"],
                details={
                    "measure": "highest RSS after warm-up minus highest RSS up to it "
                    "(RSS read after every utterance)",
                    "warm_up_utterances": plan.warm_up,
                    "warm_up_reason": WARM_UP_REASON[kind],
                    "peak_rss_at_warm_up_mb": round(moved.peak_at_warm_up, 2),
                    "peak_rss_after_warm_up_mb": round(moved.peak_after, 2),
                    "rss_end_minus_rss_at_warm_up_mb": round(moved.end_minus_warm_up, 2),
                    "peak_rss_by_fifth_mb": moved.peak_by_fifth,
                    "rss_steps_mb": [
                        round(b["rss_mb"] - a["rss_mb"], 2)
                        for a, b in itertools.pairwise(result["samples"])
                    ],
                    **{k: v for k, v in result.items() if k != "label"},
                },
            )
        )
    return figures


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak")
    parser.add_argument("--worker", choices=["double", "vosk"], required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(json.dumps(soak(plans(args.quick)[args.worker], args.work)))


if __name__ == "__main__":
    main(sys.argv[1:])
