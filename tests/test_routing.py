"""Which plugin and intent answer what a person says, and with which slots."""

from __future__ import annotations

import pytest

from voiceglimmer.dialog.assistant import Assistant
from voiceglimmer.dialog.understanding import clean_utterance

LOG, SAVOR, RECALL = "log", "savor-guide", "recall"

# (utterance, plugin, intent, expected slots)
CASES = [
    # log: the many ways a glimmer arrives
    ("I noticed a glimmer: the warm sunlight on my face", LOG, "log_glimmer",
     {"glimmer": "the warm sunlight on my face"}),
    ("i noticed a glimmer the warm sunlight on my face", LOG, "log_glimmer",
     {"glimmer": "the warm sunlight on my face"}),
    ("Glimmer: the first sip of tea.", LOG, "log_glimmer", {"glimmer": "the first sip of tea"}),
    ("glimmer, steam rising from my cup", LOG, "log_glimmer",
     {"glimmer": "steam rising from my cup"}),
    ("Log a glimmer: my neighbour waved at me", LOG, "log_glimmer",
     {"glimmer": "my neighbour waved at me"}),
    ("save a glimmer about the smell of rain", LOG, "log_glimmer",
     {"glimmer": "the smell of rain"}),
    ("Save a glimmer - birdsong at dawn!", LOG, "log_glimmer", {"glimmer": "birdsong at dawn!"}),
    ("Today's glimmer was a friend's kind message", LOG, "log_glimmer",
     {"glimmer": "a friend's kind message"}),
    ("todays glimmer is the cat asleep on my lap", LOG, "log_glimmer",
     {"glimmer": "the cat asleep on my lap"}),
    ("I just had a glimmer, the bus driver smiled at me", LOG, "log_glimmer",
     {"glimmer": "the bus driver smiled at me"}),
    ("I've had a glimmer: laughter from the kitchen", LOG, "log_glimmer",
     {"glimmer": "laughter from the kitchen"}),
    ("Um, so I noticed a glimmer, Mum's laugh in Paris, it's lovely!", LOG, "log_glimmer",
     {"glimmer": "Mum's laugh in Paris, it's lovely!"}),
    ("I NOTICED A GLIMMER: FRESH SNOW", LOG, "log_glimmer", {"glimmer": "FRESH SNOW"}),
    ("I found a glimmer — café au lait 😊", LOG, "log_glimmer", {"glimmer": "café au lait 😊"}),
    ("record a glimmer that the radio played my favourite song", LOG, "log_glimmer",
     {"glimmer": "the radio played my favourite song"}),
    ("note the scent of lilacs as a glimmer", LOG, "log_glimmer",
     {"glimmer": "the scent of lilacs"}),
    ("my glimmer today was a warm blanket", LOG, "log_glimmer", {"glimmer": "a warm blanket"}),
    ("here's a glimmer: the sunset over the river", LOG, "log_glimmer",
     {"glimmer": "the sunset over the river"}),
    ("a glimmer this morning was quiet streets", LOG, "log_glimmer",
     {"glimmer": "quiet streets"}),
    ("I spotted another glimmer, a robin on the fence", LOG, "log_glimmer",
     {"glimmer": "a robin on the fence"}),
    ("I noticed a glimmer: my sister's voice on the phone, please", LOG, "log_glimmer",
     {"glimmer": "my sister's voice on the phone"}),
    # log: the bare announcement, which asks "What was it?"
    ("I have a glimmer", LOG, "ask_for_glimmer", {}),
    ("I noticed a glimmer", LOG, "ask_for_glimmer", {}),
    ("I noticed a glimmer today", LOG, "ask_for_glimmer", {}),
    ("log a glimmer", LOG, "ask_for_glimmer", {}),
    ("I'd like to save a glimmer", LOG, "ask_for_glimmer", {}),
    ("Glimmer!", LOG, "ask_for_glimmer", {}),
    ("can I tell you a glimmer?", LOG, "ask_for_glimmer", {}),
    # log: taking one back
    ("undo that", LOG, "undo_last", {}),
    ("Undo.", LOG, "undo_last", {}),
    ("delete the last glimmer", LOG, "undo_last", {}),
    ("remove my latest glimmer", LOG, "undo_last", {}),
    ("scratch that", LOG, "undo_last", {}),
    ("take that back", LOG, "undo_last", {}),
    # savor-guide
    ("savor it", SAVOR, "savor", {}),
    ("Savor that.", SAVOR, "savor", {}),
    ("let's savor it", SAVOR, "savor", {}),
    ("guide me to savor that", SAVOR, "savor", {}),
    ("guide me through savoring it", SAVOR, "savor", {}),
    ("help me savor the sunlight", SAVOR, "savor", {"glimmer": "the sunlight"}),
    ("help me savor it", SAVOR, "savor", {}),
    ("savor my last glimmer", SAVOR, "savor", {}),
    ("guide me to savor my most recent glimmer", SAVOR, "savor", {}),
    ("a quick savor", SAVOR, "savor", {"length": "quick"}),
    ("give me a short savoring", SAVOR, "savor", {"length": "quick"}),
    ("a long savor", SAVOR, "savor", {"length": "standard"}),
    ("let's do a longer savor of that", SAVOR, "savor", {"length": "standard"}),
    ("a quick savor of the rain on the window", SAVOR, "savor",
     {"length": "quick", "glimmer": "the rain on the window"}),
    ("I'd like to savor", SAVOR, "savor", {}),
    ("let's savor the smell of bread", SAVOR, "savor", {"glimmer": "the smell of bread"}),
    # recall: by day and span
    ("what were yesterday's glimmers?", RECALL, "recall_span", {"when": "yesterday's"}),
    ("What were yesterdays glimmers", RECALL, "recall_span", {"when": "yesterdays"}),
    ("read me my glimmers from last week", RECALL, "recall_span", {"when": "last week"}),
    ("glimmers from Monday", RECALL, "recall_span", {"when": "Monday"}),
    ("what did I notice on November 3rd?", RECALL, "recall_span", {"when": "on November 3rd"}),
    ("what did i notice on november third", RECALL, "recall_span",
     {"when": "on november third"}),
    ("what glimmers did I have today", RECALL, "recall_span", {"when": "today"}),
    ("tell me my glimmers for this month", RECALL, "recall_span", {"when": "this month"}),
    ("what were my glimmers on Sunday", RECALL, "recall_span", {"when": "Sunday"}),
    ("show me last week's glimmers", RECALL, "recall_span", {"when": "last week's"}),
    # recall: counting
    ("how many glimmers this week", RECALL, "count_glimmers", {"when": "this week"}),
    ("How many glimmers have I noted this month?", RECALL, "count_glimmers",
     {"when": "this month"}),
    ("how many glimmers did I have yesterday", RECALL, "count_glimmers", {"when": "yesterday"}),
    ("how many glimmers do I have in total", RECALL, "count_glimmers", {}),
    ("how many glimmers", RECALL, "count_glimmers", {}),
    # recall: by word
    ("any glimmers about tea?", RECALL, "search_glimmers", {"topic": "tea"}),
    ("are there any glimmers about my grandmother", RECALL, "search_glimmers",
     {"topic": "my grandmother"}),
    ("find glimmers mentioning the sea", RECALL, "search_glimmers", {"topic": "the sea"}),
    ("glimmers about music", RECALL, "search_glimmers", {"topic": "music"}),
    # recall: at random and the latest
    ("remind me of a glimmer", RECALL, "random_glimmer", {}),
    ("Remind me of a good moment", RECALL, "random_glimmer", {}),
    ("tell me a random glimmer", RECALL, "random_glimmer", {}),
    ("surprise me", RECALL, "random_glimmer", {}),
    ("what was my last glimmer?", RECALL, "latest_glimmer", {}),
]  # fmt: skip


def test_there_are_at_least_sixty_distinct_utterances() -> None:
    assert len({c[0] for c in CASES}) >= 60


@pytest.mark.parametrize(("text", "plugin", "intent", "slots"), CASES, ids=[c[0] for c in CASES])
def test_routes(assistant: Assistant, text: str, plugin: str, intent: str, slots: dict) -> None:
    match = assistant.registry.match(text)
    assert match is not None, f"nothing understood {text!r}"
    assert (match.intent.plugin, match.intent.name) == (plugin, intent)
    assert match.slots == slots


@pytest.mark.parametrize(
    "text",
    ["blah blah", "play some jazz", "glimmering", "savory pancakes"],
)
def test_unrelated_words_are_not_claimed(assistant: Assistant, text: str) -> None:
    assert assistant.registry.match(text) is None


def test_no_match_suggests_what_to_say(assistant: Assistant) -> None:
    reply = assistant.handle("blorp zint quaffle").reply.text
    assert "not sure" in reply
    # one suggestion from each built-in plugin
    assert "I noticed a glimmer" in reply and "Savor it" in reply and "yesterday" in reply


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  um, uh, I noticed   a glimmer  ", "I noticed a glimmer"),
        ("Okay so, savor it please", "savor it"),
        ("savor it, thank you!", "savor it"),
        ("I\u2019ve had a glimmer", "I've had a glimmer"),
        ("", ""),
    ],
)
def test_fillers_and_politeness_are_ignored(raw: str, clean: str) -> None:
    assert clean_utterance(raw) == clean


def test_routing_is_deterministic_across_runs(assistant: Assistant, home) -> None:
    from voiceglimmer.app import open_assistant

    again = open_assistant(home=home, seed=1)
    for text, *_ in CASES:
        a, b = assistant.registry.match(text), again.registry.match(text)
        assert (a.intent.name, a.slots) == (b.intent.name, b.slots)


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("glimmer: -5 degrees and the sky so clear", "-5 degrees and the sky so clear"),
        ("I noticed a glimmer: ...and then the sun came out", "...and then the sun came out"),
        ("glimmer: .5 miles of quiet road", ".5 miles of quiet road"),
        ("glimmer - the sun on the wall", "the sun on the wall"),
        ("glimmer: -- a warm towel", "a warm towel"),
    ],
)
def test_a_sign_or_ellipsis_written_against_the_first_word_is_kept(
    assistant: Assistant, said: str, kept: str
) -> None:
    handled = assistant.handle(said)
    assert assistant.journal.get(handled.reply.glimmer_id).text == kept
