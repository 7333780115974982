"""Routing, handling and the journal write for one utterance, through the real assistant.

Many different utterances (logging in several phrasings, follow-up answers,
savoring, recall by day, count, word search, undo, cancel, and something no
plugin understands) go through ``Assistant.handle`` with the real plugins and
a real SQLite journal on this disk (WAL, synchronous=FULL: every glimmer is
on disk before the confirmation is produced). Each turn is timed on its own.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import timedelta

from benchmarks.context import NOW, Context
from benchmarks.core import Budget, Figure

STAGE = "routing"
BUDGET = Budget(0.010)

#: One sitting's worth of things people say; answers follow their questions.
UTTERANCES = (
    "I noticed a glimmer: the warm sunlight on my face",
    "no",
    "glimmer: the first sip of tea",
    "no thanks",
    "today's glimmer was a friend's kind message",
    "savor it",
    "log a glimmer about the smell of rain on the pavement",
    "not now",
    "I just had a glimmer",
    "it was my cat purring on my lap",
    "maybe later",
    "what were yesterday's glimmers",
    "no",
    "read me my glimmers from last week",
    "no",
    "how many glimmers this week",
    "how many glimmers in total",
    "any glimmers about tea",
    "no",
    "what did I notice on Monday",
    "no",
    "remind me of a glimmer",
    "what was my last glimmer",
    "a quick savor",
    "help me savor the sunlight",
    "um okay so glimmer the kettle singing please",
    "no",
    "undo that",
    "no",
    "cancel",
    "what's the weather like",
    "my glimmer today was a stranger's smile",
    "yes",
)
LOG_INTENTS = {"log_glimmer"}
ANSWERS_THAT_SAVE = {"it was my cat purring on my lap"}


def _seed(journal: object, rng: random.Random) -> None:
    """A month of earlier glimmers, so recall has something to read."""
    texts = ["the first sip of tea", "birdsong at dawn", "a warm bath", "rain on the window"]
    add = journal.add  # type: ignore[attr-defined]
    for day in range(1, 31):
        for _ in range(rng.randint(2, 5)):
            when = NOW - timedelta(days=day, minutes=rng.randint(0, 600))
            add(rng.choice(texts), created_at=when, source="typed")


def run(ctx: Context) -> list[Figure]:
    from voiceglimmer.app import open_assistant

    ctx.log("  routing + handling + journal ...")
    rounds = 1 if ctx.quick else ctx.repeat
    turns: list[float] = []
    writes: list[float] = []
    by_intent: dict[str, list[float]] = {}
    for n in range(rounds + 1):  # the first round warms caches and is not counted
        assistant = open_assistant(home=ctx.folder(f"routing-{n}"), clock=lambda: NOW, seed=n)
        _seed(assistant.journal, random.Random(n))
        for text in UTTERANCES:
            began = time.perf_counter()
            handled = assistant.handle(text)
            took = time.perf_counter() - began
            if handled.reply.on_finished is not None:  # as the voice loop does after speaking
                handled.reply.on_finished(handled.reply.duration_estimate, True)
            if n == 0:
                continue
            turns.append(took)
            key = handled.intent or "no match"
            by_intent.setdefault(key, []).append(took)
            if handled.intent in LOG_INTENTS or text in ANSWERS_THAT_SAVE:
                writes.append(took)
        assistant.journal.close()
    ordered = sorted(turns)
    details = {
        "utterances": len(UTTERANCES),
        "rounds": rounds,
        "p95_seconds": ordered[int(0.95 * (len(ordered) - 1))],
        "max_seconds": ordered[-1],
        "median_by_intent_seconds": {k: statistics.median(v) for k, v in sorted(by_intent.items())},
        "journal": "real SQLite file, WAL, synchronous=FULL, on the benchmark's temp folder",
    }
    return [
        Figure(
            "routing.turn",
            STAGE,
            "route + handle + journal, per utterance (all kinds)",
            "s",
            turns,
            BUDGET,
            details=details,
        ),
        Figure(
            "routing.turn_with_log_write",
            STAGE,
            "a turn that saves a glimmer (SQLite commit, synchronous=FULL)",
            "s",
            writes,
            BUDGET,
        ),
    ]
