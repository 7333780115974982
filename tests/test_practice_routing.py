"""Which plugin answers the deeper practice's sentences (tests/test_routing.py keeps the core's)."""

from __future__ import annotations

import pytest

from voiceglimmer.dialog.assistant import Assistant

REFLECT, STEADY, THEMES, SCHEDULE, SHARE, SAVOR, CRISIS = (
    "reflect", "resourcing", "themes", "rituals", "share", "savor-guide", "crisis",
)  # fmt: skip

# (utterance, plugin, intent, expected slots or None to skip the slot check)
CASES = [
    # reflection
    ("let's reflect", REFLECT, "reflect", {}),
    ("Let's reflect on today", REFLECT, "reflect", {}),
    ("evening reflection", REFLECT, "reflect", {}),
    ("let's do the evening reflection", REFLECT, "reflect", {}),
    ("time for my end of day reflection", REFLECT, "reflect", {}),
    ("how was my day?", REFLECT, "reflect", {}),
    ("can we look back on today", REFLECT, "reflect", {}),
    ("add a note to today: slow start, kind evening", REFLECT, "add_note",
     {"note": "slow start, kind evening"}),
    ("write a note about my day: rain, then sun", REFLECT, "add_note",
     {"note": "rain, then sun"}),
    ("add a note", REFLECT, "add_note", {}),
    # resourcing
    ("I'm stressed", STEADY, "steady", {"feeling": "stressed"}),
    ("I'm so stressed out right now", STEADY, "steady", {"feeling": "stressed"}),
    ("I feel overwhelmed", STEADY, "steady", {"feeling": "overwhelmed"}),
    ("I'm triggered", STEADY, "steady", {"feeling": "triggered"}),
    ("I'm anxious", STEADY, "steady", {"feeling": "anxious"}),
    ("I am feeling really anxious about tomorrow", STEADY, "steady",
     {"feeling": "anxious", "why": "tomorrow"}),
    ("feeling a bit on edge", STEADY, "steady", {"feeling": "on edge"}),
    ("I'm having a rough day", STEADY, "steady", {}),
    ("I'm having a panic attack", STEADY, "steady", {}),
    ("help me calm down", STEADY, "steady", {}),
    ("I need a glimmer", STEADY, "need_glimmer", {}),
    ("I need a glimmer right now", STEADY, "need_glimmer", {}),
    # senses and themes
    ("tag that as connection", THEMES, "tag_as", {"tag": "connection"}),
    ("Tag it with nature", THEMES, "tag_as", {"tag": "nature"}),
    ("that one was about nature", THEMES, "tag_as", {"tag": "nature"}),
    ("it was all about family", THEMES, "tag_as", {"tag": "connection"}),
    ("that was a comfort glimmer", THEMES, "tag_as", {"tag": "comfort"}),
    ("tag that as gratitude", THEMES, "tag_as", {"custom": "gratitude"}),
    ("also tag it as comfort", THEMES, "also_tag", {"tag": "comfort"}),
    ("that wasn't about nature", THEMES, "untag", {"tag": "nature"}),
    ("remove the tag sound", THEMES, "untag", {"tag": "sound"}),
    ("what is that tagged?", THEMES, "what_tags", {}),
    ("what's that tagged as", THEMES, "what_tags", {}),
    ("what tags does it have", THEMES, "what_tags", {}),
    ("why is that tagged nature", THEMES, "what_tags", {"tag": "nature"}),
    # rituals and reminders
    ("remind me to look for glimmers at 8am", SCHEDULE, "add_reminder", None),
    ("every evening at 9 ask me to reflect", SCHEDULE, "add_reminder", None),
    ("Every evening at 9, ask me to reflect.", SCHEDULE, "add_reminder", None),
    ("remind me to take a minute in the sun every morning at 7:30", SCHEDULE,
     "add_reminder", None),
    ("ask me to reflect every night at nine", SCHEDULE, "add_reminder", None),
    ("set a reminder for 7am to savor a glimmer", SCHEDULE, "add_reminder", None),
    ("remind me to look for glimmers", SCHEDULE, "add_reminder", None),
    ("what reminders do I have?", SCHEDULE, "list_reminders", {}),
    ("list my reminders", SCHEDULE, "list_reminders", {}),
    ("do I have any reminders", SCHEDULE, "list_reminders", {}),
    ("cancel the 8am reminder", SCHEDULE, "cancel_reminder", {"which": "8am"}),
    ("delete the reflection reminder", SCHEDULE, "cancel_reminder", {"which": "reflection"}),
    ("cancel reminder number 2", SCHEDULE, "cancel_reminder", None),
    ("cancel all my reminders", SCHEDULE, "cancel_reminder", {}),
    ("turn on the morning ritual", SCHEDULE, "morning_on", {}),
    ("start the morning ritual at 7", SCHEDULE, "morning_on", {"time": "7"}),
    ("turn off the morning ritual", SCHEDULE, "morning_off", {}),
    # sharing
    ("share my last glimmer", SHARE, "share", {}),
    ("share that", SHARE, "share", {}),
    ("make a card of it", SHARE, "share", {}),
    # the calm check
    ("turn on the calm check", SAVOR, "calm_check", {"switch": "on"}),
    ("turn the calm check off", SAVOR, "calm_check", {"switch": "off"}),
    ("stop asking me how settled I feel", SAVOR, "calm_check", {"switch": "off"}),
    # crisis words win over everything, wherever they are
    ("I want to die", CRISIS, "crisis", None),
    ("I noticed a glimmer: I want to kill myself", CRISIS, "crisis", None),
    ("I'm stressed and I want to hurt myself", CRISIS, "crisis", None),
    ("remind me to end it all at 8am", CRISIS, "crisis", None),
]  # fmt: skip

#: Sentences the core plugins own that look a little like the new ones.
CORE_KEEPS = [
    ("remind me of a glimmer", "recall", "random_glimmer"),
    ("Remind me of a good moment", "recall", "random_glimmer"),
    ("I'd like to share a glimmer", "log", "ask_for_glimmer"),
    ("can I share a glimmer?", "log", "ask_for_glimmer"),
    ("glimmer: the sunset killed me, it was so beautiful", "log", "log_glimmer"),
    ("glimmer: my friend asked me to dinner at 8", "log", "log_glimmer"),
    ("I noticed a glimmer: I felt less stressed after the walk", "log", "log_glimmer"),
    ("any glimmers about nature?", "recall", "search_glimmers"),
    ("what did I notice today", "recall", "recall_span"),
    ("savor it", "savor-guide", "savor"),
    ("a quick savor of it", "savor-guide", "savor"),
    ("delete that", "log", "undo_last"),
]


@pytest.mark.parametrize(("text", "plugin", "intent", "slots"), CASES, ids=[c[0] for c in CASES])
def test_routes(assistant: Assistant, text: str, plugin: str, intent: str, slots) -> None:
    if plugin == CRISIS:  # answered by the dialog itself, before any plugin's templates
        handled = assistant.handle(text)
        assert (handled.plugin, handled.intent) == (CRISIS, "crisis")
        return
    match = assistant.registry.match(text)
    assert match is not None, f"nothing understood {text!r}"
    assert (match.intent.plugin, match.intent.name) == (plugin, intent)
    if slots is not None:
        assert match.slots == slots


@pytest.mark.parametrize(("text", "plugin", "intent"), CORE_KEEPS, ids=[c[0] for c in CORE_KEEPS])
def test_the_core_keeps_its_sentences(assistant: Assistant, text: str, plugin, intent) -> None:
    match = assistant.registry.match(text)
    assert match is not None and (match.intent.plugin, match.intent.name) == (plugin, intent)


def test_the_core_comes_first_in_suggestions(assistant: Assistant) -> None:
    reply = assistant.handle("blorp zint quaffle").reply.text
    assert "I noticed a glimmer" in reply and "Savor it" in reply and "yesterday" in reply
    assert "die" not in reply


def test_an_off_topic_request_gets_an_honest_no_and_one_thing_to_try(
    assistant: Assistant,
) -> None:
    handled = assistant.handle("what's the weather like in Leeds tomorrow")
    assert handled.intent == "out_of_scope"
    assert "can't" in handled.reply.text and "glimmer" in handled.reply.text
