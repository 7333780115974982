"""Designs for the robust stage and for finding a glimmer's words, compared on the
corpus's dev split.

Both learn from the same sentences: each intent's templates sampled with
hassil (free-text slots filled with everyday words), its examples and
paraphrases, and glimmers as people tell them (``boundary.told``).

- **classifier** (kept): TF-IDF over word 1-2-grams and character 3-5-grams,
  multinomial logistic regression (``voiceglimmer.dialog.robust``).
- **fuzzy**: the sampled sentence nearest to what was said, by rapidfuzz's
  ``token_set_ratio`` (Home Assistant's fuzzy matching works this way).

Scored on intent alone (slots are the same code either way), for the dev
split's requests made with no question pending, typed and as heard.

Then the glimmer's words, for the dev split's glimmers (told with no question
pending, or as the answer to "What was it?"), assuming the intent is right:

- **rules**: lead-in and closing patterns alone (``voiceglimmer.dialog.slots``).
- **learned** (kept): the boundary model (``voiceglimmer.dialog.boundary``),
  with the rules' sure lead-ins and closing politeness on top.

Run with
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
    from voiceglimmer.dialog import boundary, robust
    from voiceglimmer.dialog.pipeline import TOLD

    with tempfile.TemporaryDirectory() as tmp:
        assistant = open_assistant(home=Path(tmp))
        saver = assistant.pipeline.saver()
        told = [(t, saver.label) for t in boundary.told(TOLD)] if saver is not None else []
        samples = robust.training_sentences(assistant.registry, told)
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
    boundaries()


def boundaries() -> None:
    """The glimmer's words found by the rules alone and with the learned boundary."""
    from benchmarks.understanding import _same_words
    from voiceglimmer.dialog import boundary, slots

    began = time.perf_counter()
    model = boundary.train(list(boundary.training_rows()))
    trained = time.perf_counter() - began
    items = [i for i in load("dev") if i.intent == "log_glimmer"]
    print(f"\n{len(items)} dev glimmers; boundary model trained in {trained:.1f} s")
    print(f"{'words by':<12}{'typed':>16}{'as heard':>16}{'ms/utterance':>15}")
    for name, used in (("rules", None), ("learned", model)):
        row = []
        spent = 0.0
        for form in ("typed", "asr"):
            right = 0
            for item in items:
                said = item.text if form == "typed" else asr_form(item.text, item.id)
                wanted = item.slots.get("glimmer", "")
                wanted = wanted if form == "typed" else asr_form(wanted, item.id)
                began = time.perf_counter()
                if item.context == "what_was_it":
                    got = slots.find_answer(said, used)
                else:
                    got = slots.find_glimmer(said, used).words
                spent += time.perf_counter() - began
                right += _same_words(got, wanted)
            row.append(f"{100 * right / len(items):5.1f}% ({right}/{len(items)})")
        print(f"{name:<12}{row[0]:>16}{row[1]:>16}{1000 * spent / (2 * len(items)):>15.2f}")


if __name__ == "__main__":
    main()
