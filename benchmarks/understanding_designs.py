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
- **gaps**: the boundary model's start and end scores alone
  (``voiceglimmer.dialog.boundary``), with the rules' sure lead-ins and closing
  politeness on top.
- **learned** (kept): the same, with the best few starts and ends weighed
  again by a classifier of the left-out pieces, read whole.

Run with
``python -m benchmarks.understanding_designs``; it prints the table the
closing note of the understanding issue quotes. Not part of ``python -m
benchmarks``: it compares designs, it doesn't hold a budget.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
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
        samples = robust.training_sentences(assistant.registry, assistant.pipeline.told())
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

    def fuzzy(said: str) -> str:
        found = process.extractOne(robust.prepare(said), texts, scorer=fuzz.token_set_ratio)
        return labels[found[2]] if found else ""

    designs: dict[str, Callable[[Item, str], str]] = {
        "classifier": lambda item, said: model.predict(said).label,
        "fuzzy": lambda item, said: fuzzy(said),
    }
    for name, design in designs.items():
        _row(name, items, design, lambda item, form, label: _right(item, label))
    boundaries()


def boundaries() -> None:
    """The glimmer's words found by the rules alone and with the learned boundary."""
    from benchmarks.understanding import _same_words
    from voiceglimmer.dialog import boundary, slots

    began = time.perf_counter()
    model = boundary.train(list(boundary.training_rows()), boundary.piece_sentences())
    trained = time.perf_counter() - began
    gaps = boundary.Model(model.vocabulary, model.starts, model.ends)
    items = [i for i in load("dev") if i.intent == "log_glimmer"]
    print(f"\n{len(items)} dev glimmers; boundary model trained in {trained:.1f} s")
    print(f"{'words by':<12}{'typed':>16}{'as heard':>16}{'ms/utterance':>15}")

    def right(item: Item, form: str, got: str) -> bool:
        wanted = item.slots.get("glimmer", "")
        return _same_words(got, wanted if form == "typed" else asr_form(wanted, item.id))

    for name, used in (("rules", None), ("gaps", gaps), ("learned", model)):

        def words(item: Item, said: str, used: boundary.Model | None = used) -> str:
            if item.context == "what_was_it":
                return slots.find_answer(said, used)
            return slots.find_glimmer(said, used).words

        _row(name, items, words, right)


def _row(
    name: str,
    items: list[Item],
    design: Callable[[Item, str], str],
    right: Callable[[Item, str, str], bool],
) -> None:
    """One design's line of the table: right, typed and as heard, and the time it took
    (only ``design`` is timed)."""
    cells = []
    spent = 0.0
    for form in ("typed", "asr"):
        correct = 0
        for item in items:
            said = item.text if form == "typed" else asr_form(item.text, item.id)
            began = time.perf_counter()
            got = design(item, said)
            spent += time.perf_counter() - began
            correct += right(item, form, got)
        cells.append(f"{100 * correct / len(items):5.1f}% ({correct}/{len(items)})")
    print(f"{name:<12}{cells[0]:>16}{cells[1]:>16}{1000 * spent / (2 * len(items)):>15.2f}")


if __name__ == "__main__":
    main()
