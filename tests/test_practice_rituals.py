"""Rituals and reminders: set by voice, kept in the journal, listed and removed."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from voiceglimmer_plugins.rituals import (
    Reminder,
    all_reminders,
    due_reminders,
    mark_reminder_fired,
    new_reminder,
    parse_request,
    reminder_speech,
    say_time,
)

from tests.conftest import NOW
from tests.practice_data import months  # noqa: F401 (fixture)
from voiceglimmer.dialog.assistant import Assistant


@pytest.mark.parametrize(
    ("said", "kind", "at", "days", "message"),
    [
        ("remind me to look for glimmers at 8am", "look", "08:00", "daily", ""),
        ("every evening at 9 ask me to reflect", "reflect", "21:00", "daily", ""),
        (
            "remind me to take a minute in the sun every morning at 7:30",
            "custom", "07:30", "daily", "take a minute in the sun",
        ),
        ("remind me at 8 to look for glimmers", "look", "08:00", "daily", ""),
        ("remind me to call my sister on Sundays at 6pm", "custom", "18:00", "sun",
         "call my sister"),
        ("remind me to stretch at half past seven", "custom", "07:30", "daily", "stretch"),
        ("remind me to breathe at noon on weekdays", "custom", "12:00", "weekdays", "breathe"),
        ("ask me to reflect every night at nine thirty", "reflect", "21:30", "daily", ""),
        ("set a reminder for 7 am to savor a glimmer", "savor", "07:00", "daily", ""),
        ("remind me to water my plants every Monday and Thursday at 18:00", "custom", "18:00",
         "mon,thu", "water my plants"),
        ("remind me every day at 3 to drink some tea", "custom", "15:00", "daily",
         "drink some tea"),
        ("remind me to look for one glimmer at 9 in the evening", "look", "21:00", "daily", ""),
        ("remind me to notice glimmers at weekends at 10 a.m.", "look", "10:00", "weekends", ""),
        ("remind me to reflect at 9", "reflect", "21:00", "daily", ""),
        ("remind me to text one friend at quarter to eight pm", "custom", "19:45", "daily",
         "text one friend"),
    ],
)  # fmt: skip
def test_reminders_are_read_from_speech(said, kind, at, days, message) -> None:
    request = parse_request(said)
    assert (request.kind, f"{request.at:%H:%M}", request.days, request.message) == (
        kind,
        at,
        days,
        message,
    )


@pytest.mark.parametrize(
    ("said", "at", "message"),
    [
        # any minutes, as voiceglimmer.dialog.when reads them for backfilled glimmers
        ("remind me to stretch at seven twenty", "07:20", "stretch"),
        ("remind me at twenty one fifteen to stretch", "21:15", "stretch"),
        ("remind me to stretch at 7 30 pm", "19:30", "stretch"),
        ("remind me to stretch at 8 o'clock pm", "20:00", "stretch"),
        # a time that can't be anything else needs no "at"
        ("remind me to stretch half past seven", "07:30", "stretch"),
        ("remind me to call mum 9 in the evening", "21:00", "call mum"),
        ("remind me to stretch 8 o'clock", "08:00", "stretch"),
        # "a quarter to", and its "to" isn't what to do
        ("remind me at a quarter to eight to stretch", "07:45", "stretch"),
        ("remind me around quarter to seven to breathe", "18:45", "breathe"),
        # noon, midnight and the small hours
        ("remind me to eat lunch at 12", "12:00", "eat lunch"),
        ("remind me to eat lunch at twelve thirty", "12:30", "eat lunch"),
        ("remind me to stretch at quarter to one", "12:45", "stretch"),
        ("remind me to sleep at 12 at night", "00:00", "sleep"),
        ("remind me to turn over at 2 at night", "02:00", "turn over"),
        ("remind me to meditate at 05:00", "05:00", "meditate"),
        ("remind me to call mum tonight at 5", "17:00", "call mum"),
    ],
)  # fmt: skip
def test_times_read_the_same_as_everywhere_else(said: str, at: str, message: str) -> None:
    request = parse_request(said)
    assert (f"{request.at:%H:%M}", request.message) == (at, message)


def test_no_time_and_impossible_times() -> None:
    assert parse_request("remind me to look for glimmers").at is None
    with pytest.raises(ValueError, match="isn't a time of day"):
        parse_request("remind me to rest at 25:00")


@pytest.mark.parametrize(
    ("at", "said"),
    [(time(8), "8 am"), (time(7, 30), "7:30 am"), (time(21), "9 pm"), (time(12), "noon"),
     (time(0), "midnight"), (time(12, 30), "12:30 pm")],
)  # fmt: skip
def test_times_are_said_with_am_or_pm(at: time, said: str) -> None:
    assert say_time(at) == said


def _reminder(kind: str, message: str = "") -> Reminder:
    return Reminder(1, kind, time(8), "daily", message, NOW)


def test_what_the_loop_says_for_each_kind() -> None:
    spoken = {k: reminder_speech(_reminder(k)) for k in ("look", "reflect", "savor", "morning")}
    assert "glimmer" in spoken["look"]
    assert "let's reflect" in spoken["reflect"]
    assert "savor" in spoken["savor"]
    assert spoken["morning"].startswith("Good morning.") and "light" in spoken["morning"]
    assert len(set(spoken.values())) == 4
    custom = reminder_speech(_reminder("custom", "take my vitamins."))
    assert custom == "A reminder you asked for: take your vitamins."


def test_set_list_and_cancel_by_voice(assistant: Assistant) -> None:
    said = assistant.handle("remind me to look for glimmers at 8am").reply
    assert said.text == "Okay. Every day at 8 am, I'll remind you to look for glimmers."
    assistant.handle("every evening at 9 ask me to reflect")
    assistant.handle("remind me to take a minute in the sun every morning at 7:30")
    again = assistant.handle("remind me to look for glimmers at 8 am").reply
    assert again.text.startswith("You already have that one")
    listed = assistant.handle("what reminders do I have?").reply
    assert listed.text == (
        "You have 3 reminders: at 7:30 am every day, to take a minute in the sun; "
        "at 8 am every day, to look for glimmers; and at 9 pm every day, to reflect on your day."
    )
    gone = assistant.handle("cancel the 8am reminder").reply
    assert gone.text == "Okay, I removed the reminder at 8 am every day, to look for glimmers."
    assistant.handle("cancel the reflection reminder")
    assert [r.message for r in all_reminders(assistant.journal)] == ["take a minute in the sun"]
    assistant.handle("remind me to breathe at noon")
    ask = assistant.handle("cancel all my reminders").reply
    assert ask.text.startswith("Remove both reminders:")
    assert assistant.handle("yes").reply.text == "Okay, I removed 2 reminders."
    assert all_reminders(assistant.journal) == []
    assert "don't have any" in assistant.handle("what reminders do I have").reply.text


def test_a_reminder_without_a_time_asks_for_one(assistant: Assistant) -> None:
    asked = assistant.handle("remind me to look for glimmers").reply
    assert asked.text == "What time should I remind you to look for glimmers?"
    assert assistant.handle("sometime soon").reply.text.startswith("I didn't catch a time")
    assert "8:15 pm" in assistant.handle("8:15 in the evening").reply.text
    [r] = all_reminders(assistant.journal)
    assert (r.kind, r.at) == ("look", time(20, 15))


def test_times_said_as_people_say_them(assistant: Assistant) -> None:
    said = assistant.handle("remind me to eat lunch at 12").reply
    assert said.text == "Okay. Every day at noon, I'll remind you to eat lunch."
    said = assistant.handle("remind me at a quarter to eight to stretch").reply
    assert said.text == "Okay. Every day at 7:45 am, I'll remind you to stretch."
    assistant.handle("remind me to look for glimmers")
    assert "8:45 pm" in assistant.handle("quarter to nine in the evening").reply.text
    assert [f"{r.at:%H:%M}" for r in all_reminders(assistant.journal)] == [
        "07:45",
        "12:00",
        "20:45",
    ]
    assert assistant.handle("cancel the 12 o'clock reminder").reply.text == (
        "Okay, I removed the reminder at noon every day, to eat lunch."
    )


def test_cancelling_what_isnt_there(assistant: Assistant) -> None:
    assert "don't have any" in assistant.handle("cancel the 8am reminder").reply.text
    assistant.handle("remind me to look for glimmers at 8am")
    reply = assistant.handle("cancel the 6pm reminder").reply
    assert reply.text.startswith("I couldn't find that reminder. You have one reminder")
    assert len(all_reminders(assistant.journal)) == 1


def test_the_morning_ritual(assistant: Assistant) -> None:
    on = assistant.handle("turn on the morning ritual").reply
    assert on.text.startswith("The morning ritual is on: every day at 8 am")
    [r] = all_reminders(assistant.journal)
    assert (r.kind, r.at, r.days) == ("morning", time(8), "daily")
    assistant.handle("start the morning ritual at 7")  # moved, not doubled
    [r] = all_reminders(assistant.journal)
    assert r.at == time(7)
    assert assistant.handle("turn off the morning ritual").reply.text == (
        "Okay, the morning ritual is off."
    )
    assert all_reminders(assistant.journal) == []


def test_due_reminders_are_spoken_once_a_day(assistant: Assistant) -> None:
    yesterday = NOW - timedelta(days=1)
    journal = assistant.journal
    new_reminder(journal, "morning", "08:00", created_at=yesterday)
    new_reminder(journal, "reflect", "21:00", created_at=yesterday)
    spoken = []
    for hour in range(24):  # the loop's call, once an hour through the day
        now = NOW.replace(hour=hour, minute=5)
        for reminder in due_reminders(journal, now):
            spoken.append((hour, reminder_speech(reminder)))
            mark_reminder_fired(journal, reminder.id, now)
    assert [h for h, _ in spoken] == [8, 21]
    assert spoken[0][1].startswith("Good morning.")


def test_the_reminders_command(cli, months) -> None:  # noqa: F811
    # the imported journal brings two reminders; voice adds a third
    events = cli(
        "chat", "--json", input="remind me to take a minute in the sun every morning at 7:30\n"
    ).json_lines()
    assert events[0]["data"]["at"] == "07:30"
    listed = cli("reminders")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "#3   07:30  every day             take a minute in the sun",
        "#1   08:00  every day             look for glimmers",
        "#2   21:00  on weekdays           reflect on your day",
    ]
    removed = cli("reminders", "remove", "1")
    assert removed.stdout == "Removed reminder #1: at 8 am every day, to look for glimmers.\n"
    assert [line[:3] for line in cli("reminders", "list").stdout.splitlines()] == ["#3 ", "#2 "]
    missing = cli("reminders", "remove", "1")
    assert missing.returncode == 1 and "no reminder #1" in missing.stderr
    assert "Traceback" not in missing.stderr
    added = cli("reminders", "add", "every", "evening", "at", "9:30", "ask", "me", "to", "reflect")
    assert added.stdout.startswith("Added #4   21:30  every day")
    by_voice = cli("chat", input="what reminders do I have\n").stdout
    assert by_voice.startswith("You have 3 reminders: at 7:30 am every day")


def test_an_empty_reminders_list(cli) -> None:
    assert cli("reminders").stdout.startswith("No reminders.")
    bad = cli("reminders", "add", "look", "for", "glimmers")
    assert bad.returncode == 1 and "No time" in bad.stderr
