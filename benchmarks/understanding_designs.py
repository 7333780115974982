"""Two designs for the robust stage, compared on the corpus's dev split.

Both learn from the same sentences: each intent's templates sampled with
hassil (free-text slots filled with everyday words) and its examples.

- **classifier** (kept): TF-IDF over word 1-2-grams and character 3-5-grams,
  multinomial logistic regression (``voiceglimmer.dialog.robust``).
- **fuzzy**: the sampled sentence nearest to what was said, by rapidfuzz's
  ``token_set_ratio`` (Home Assistant's fuzzy matching works this way).

Scored on intent alone (slots are the same code either way), for the dev
split's requests made with no question pending, typed and as heard. Run with
``python -m benchmarks.understanding_designs``; it prints the table the
closing note of the understanding issue quotes. Not part of ``python -m
benchmarks``: it compares designs, it doesn't hold a budget.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.understanding import OUTCOMES, Item, asr_form, load


def _right(item: Item, label: str) -> bool:
    plugin, _, name = label.partition("/")
    if item.intent == "log_glimmer":
        return (plugin, name) == ("log", "log_glimmer")
    return (plugin, name) in OUTCOMES.get(item.intent, set())


def main() -> None:
    from rapidfuzz import fuzz, process

    from voiceglimmer.app import open_assistant
    from voiceglimmer.dialog import robust

    with tempfile.TemporaryDirectory() as tmp:
        assistant = open_assistant(home=Path(tmp))
        samples = robust.training_sentences(assistant.registry)
        began = time.perf_counter()
        model = robust.train(samples)
        trained = time.perf_counter() - began
        assistant.journal.close()
    texts = [robust.prepare(t) for t, _ in samples]
    labels = [label for _, label in samples]
    items = [i for i in load("dev") if i.context is None and i.intent not in ("crisis", "answer")]
    print(
        f"{len(samples)} training sentences; {len(items)} dev requests; trained in {trained:.1f} s"
    )
    print(f"{'design':<12}{'typed':>16}{'as heard':>16}{'ms/utterance':>15}")
    for name in ("classifier", "fuzzy"):
        row = []
        spent = 0.0
        for form in ("typed", "asr"):
            right = 0
            for item in items:
                said = item.text if form == "typed" else asr_form(item.text, item.id)
                began = time.perf_counter()
                if name == "classifier":
                    label = model.predict(said).label
                else:
                    found = process.extractOne(
                        robust.prepare(said), texts, scorer=fuzz.token_set_ratio
                    )
                    label = labels[found[2]] if found else ""
                spent += time.perf_counter() - began
                right += _right(item, label)
            row.append(f"{100 * right / len(items):5.1f}% ({right}/{len(items)})")
        print(f"{name:<12}{row[0]:>16}{row[1]:>16}{1000 * spent / (2 * len(items)):>15.2f}")


if __name__ == "__main__":
    main()
