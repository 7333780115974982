"""The guided savoring script: its shape, its timing and its variety."""

from __future__ import annotations

import itertools
import random
import re

import pytest
from voiceglimmer_plugins.savor_script import (
    STEPS,
    VARIANT_COUNTS,
    build_script,
    build_steps,
    senses_for,
)

from voiceglimmer.events import Reply

GLIMMER = "the warm sunlight on your face"
ONE_WORD = "sunshine"
TWENTY_WORDS = (
    "the long slow walk home along the river with your sister while the "
    "geese flew low over the grey water"
)
RANGES = {"quick": (40.0, 55.0), "standard": (105.0, 135.0)}


def duration(segments) -> float:
    return Reply(segments=list(segments)).duration_estimate


def test_twenty_word_fixture_is_twenty_words():
    assert len(TWENTY_WORDS.split()) == 20


@pytest.mark.parametrize("length", ["quick", "standard"])
def test_steps_come_in_order_and_make_up_the_script(length):
    steps = build_steps(GLIMMER, length, random.Random(1))
    assert [s.name for s in steps] == list(STEPS)
    assert all(s.segments for s in steps)

    segments, chosen = build_script(GLIMMER, length, random.Random(1))
    assert segments == [seg for s in steps for seg in s.segments]
    assert chosen == {s.name: s.variant for s in steps}
    assert list(chosen) == list(STEPS)


@pytest.mark.parametrize("length", ["quick", "standard"])
def test_every_segment_is_slow_and_followed_by_real_silence(length):
    for seed in range(30):
        segments, _ = build_script(GLIMMER, length, random.Random(seed))
        assert all(s.pace == "slow" for s in segments)
        assert all(s.pause >= 2.0 for s in segments)
        assert all(s.text.strip() for s in segments)


@pytest.mark.parametrize(
    "glimmer",
    [
        GLIMMER,
        "the {glimmer} sign on the café door",
        'a note that said "{0} {senses} you\'re {again} loved"',
        "curly {braces} and } stray { ones, 100% and $x",
    ],
)
@pytest.mark.parametrize("length", ["quick", "standard"])
def test_glimmer_is_named_back_verbatim_in_arrive(glimmer, length):
    for seed in range(10):
        arrive = build_steps(glimmer, length, random.Random(seed))[0]
        assert arrive.name == "arrive"
        assert glimmer in " ".join(s.text for s in arrive.segments)


def test_short_glimmer_recurs_later_and_long_one_becomes_this_moment():
    def later_text(glimmer):
        steps = build_steps(
            glimmer, "standard", random.Random(0), variants={"amplify": 0, "absorb": 0}
        )
        return " ".join(seg.text for s in steps[3:] for seg in s.segments)

    assert "the birdsong" in later_text("the birdsong")
    assert TWENTY_WORDS not in later_text(TWENTY_WORDS)
    assert "this moment" in later_text(TWENTY_WORDS)


@pytest.mark.parametrize("length", ["quick", "standard"])
@pytest.mark.parametrize("glimmer", [ONE_WORD, GLIMMER, TWENTY_WORDS])
def test_duration_in_range_over_many_seeds(length, glimmer):
    low, high = RANGES[length]
    avoid = None
    for seed in range(200):
        rng = random.Random(seed)
        segments, avoid = build_script(glimmer, length, rng, avoid=avoid)
        assert low <= duration(segments) <= high, (seed, avoid)


@pytest.mark.parametrize("length", ["quick", "standard"])
def test_duration_in_range_for_every_glimmer_length(length):
    low, high = RANGES[length]
    words = TWENTY_WORDS.split()
    for count in range(1, 21):
        glimmer = " ".join(words[:count])
        for seed in range(10):
            segments, _ = build_script(glimmer, length, random.Random(seed))
            assert low <= duration(segments) <= high, (count, seed)


@pytest.mark.parametrize("length", ["quick", "standard"])
def test_duration_in_range_for_every_combination_of_variants(length):
    # The extremes: the shortest and longest glimmer with every variant mix,
    # and with no sense, one sense and two senses to invite.
    low, high = RANGES[length]
    combos = itertools.product(*(range(VARIANT_COUNTS[s]) for s in STEPS))
    for combo in combos:
        variants = dict(zip(STEPS, combo, strict=True))
        for glimmer, senses in [(ONE_WORD, []), (TWENTY_WORDS, ["sight", "touch"])]:
            steps = build_steps(glimmer, length, random.Random(0), senses=senses, variants=variants)
            total = duration(seg for s in steps for seg in s.segments)
            assert low <= total <= high, (variants, glimmer)


def test_each_step_has_at_least_four_genuinely_different_variants():
    for step in STEPS:
        assert VARIANT_COUNTS[step] >= 4
        texts = []
        for index in range(VARIANT_COUNTS[step]):
            steps = build_steps(GLIMMER, "quick", random.Random(0), variants={step: index})
            texts.append(" ".join(seg.text for seg in steps[STEPS.index(step)].segments))
        for a, b in itertools.combinations(texts, 2):
            words_a, words_b = a.lower().split(), b.lower().split()
            differing = len(set(words_a) ^ set(words_b))
            assert differing >= 3, (step, a, b)


@pytest.mark.parametrize("length", ["quick", "standard"])
def test_avoid_makes_consecutive_sessions_differ_in_every_step(length):
    rng = random.Random(7)
    avoid = None
    previous = None
    seen = {step: set() for step in STEPS}
    for _ in range(50):
        steps = build_steps(GLIMMER, length, rng, avoid=avoid)
        current = {s.name: (s.variant, tuple(seg.text for seg in s.segments)) for s in steps}
        if previous is not None:
            for step in STEPS:
                assert current[step][0] != previous[step][0], step
                assert current[step][1] != previous[step][1], step
        for step in STEPS:
            seen[step].add(current[step][0])
        previous = current
        avoid = {s.name: s.variant for s in steps}
    # Avoiding one variant still leaves the others in use.
    assert all(len(seen[step]) == VARIANT_COUNTS[step] for step in STEPS)


def test_build_script_avoid_round_trip():
    rng = random.Random(3)
    _, chosen = build_script(GLIMMER, "quick", rng)
    for _ in range(50):
        _, again = build_script(GLIMMER, "quick", rng, avoid=chosen)
        assert all(again[s] != chosen[s] for s in STEPS)
        chosen = again


def test_same_seed_gives_the_same_script():
    one = build_script(GLIMMER, "standard", random.Random(42))
    two = build_script(GLIMMER, "standard", random.Random(42))
    assert one == two


@pytest.mark.parametrize(("length", "counts"), [("quick", {2}), ("standard", {3, 4})])
def test_breaths_are_slow_with_a_longer_out_breath(length, counts):
    seen = set()
    for seed in range(40):
        for glimmer in (ONE_WORD, TWENTY_WORDS):
            breathe = build_steps(glimmer, length, random.Random(seed))[1]
            assert breathe.name == "breathe"
            segments = breathe.segments
            assert len(segments) % 2 == 0
            pairs = list(zip(segments[::2], segments[1::2], strict=True))
            seen.add(len(pairs))
            for breath_in, breath_out in pairs:
                assert re.search(r"\bin\b", breath_in.text.lower()), breath_in.text
                assert re.search(r"\bout\b", breath_out.text.lower()), breath_out.text
                assert breath_in.pause >= 3.0
                assert breath_out.pause > breath_in.pause
    assert seen == counts


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("the smell of fresh coffee", "smell"),
        ("birdsong outside my window", "sound"),
        ("a warm blanket", "touch"),
        ("sunset colours", "sight"),
        ("first sip of tea", "taste"),
        ("my cat purring on my lap", "sound"),
        ("Hugging my daughter", "touch"),
    ],
)
def test_senses_for_puts_the_likeliest_sense_first(text, first):
    senses = senses_for(text)
    assert senses[0] == first
    assert len(senses) == len(set(senses))


def test_senses_for_lists_secondary_senses_and_nothing_for_plain_words():
    assert senses_for("the smell of fresh coffee") == ["smell", "taste"]
    assert senses_for("a nice moment") == []
    assert senses_for("") == []
    # "heart" is not "hear": only whole words and plain endings count.
    assert senses_for("a full heart") == []


def test_sense_step_invites_the_glimmers_sense_then_the_body():
    for seed in range(20):
        sense = build_steps("the smell of fresh coffee", "quick", random.Random(seed))[2]
        assert sense.name == "sense"
        text = " ".join(seg.text for seg in sense.segments).lower()
        assert "smell" in text
        assert re.search(r"\b(body|chest|lands)\b", text), text


def test_sense_step_uses_given_senses_and_falls_back_to_a_general_invitation():
    nouns = ("look", "sound", "smell", "touch", "taste")

    def sense_text(senses):
        steps = build_steps("a nice moment", "standard", random.Random(0), senses=senses)
        return " ".join(seg.text for seg in steps[2].segments).lower()

    assert "sound" in sense_text(["sound"])
    both = sense_text(["taste", "touch"])
    assert "taste" in both and "touch" in both
    for general in (sense_text(None), sense_text([])):
        assert "every detail" in general
        assert not any(re.search(rf"\bits {n}\b", general) for n in nouns)


@pytest.mark.parametrize("length", ["quick", "standard"])
def test_script_reads_as_plain_sentences(length):
    for seed in range(40):
        segments, _ = build_script(GLIMMER, length, random.Random(seed))
        for seg in segments:
            assert seg.text[0].isupper(), seg.text
            assert seg.text.rstrip()[-1] in ".?!", seg.text
            assert "{" not in seg.text and "  " not in seg.text
        assert GLIMMER in Reply(segments=segments).text


def test_trailing_punctuation_of_the_glimmer_is_not_doubled():
    segments, _ = build_script("a kind message from a friend.", "quick", random.Random(0))
    text = Reply(segments=segments).text
    assert "a kind message from a friend" in text
    assert ".." not in text and ". ." not in text


def test_no_clinical_or_medical_claims_in_any_variant():
    banned = re.compile(
        r"\b(heal\w*|cure\w*|therap\w*|treat\w*|diagnos\w*|anxiety|trauma|nervous system|"
        r"vagus|symptom\w*|disorder|amazing|deserve)\b"
    )
    for length in ("quick", "standard"):
        for index in range(4):
            steps = build_steps(
                GLIMMER, length, random.Random(0), variants=dict.fromkeys(STEPS, index)
            )
            text = " ".join(seg.text for s in steps for seg in s.segments).lower()
            assert not banned.search(text), banned.search(text)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        build_script(GLIMMER, "long", random.Random(0))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        build_steps(GLIMMER, "quick", random.Random(0), variants={"close": 9})
