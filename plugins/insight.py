"""The insight plugin: "what's my streak?" and "what are my glimmers usually about?".

Answers come from ``voiceglimmer.store.progress`` and the themes plugin, the same
figures as ``stats`` and the report, so what is heard and what is read never disagree. Replies are
short and plain: a streak is a fact to hear, not a score to be praised or
scolded for, and a lapsed streak is met with an easy way back in.

``progress`` and ``when`` are imported by the handlers that use them: every
start of ``voiceglimmer`` imports this plugin, and ``progress`` alone would
add a noticeable share to that start for questions most sessions never ask.
"""

from __future__ import annotations

from voiceglimmer import Intent, Reply, Turn, hookimpl, plural, spoken_list

#: Above recall's 0 and 1, so these exact questions are never read as a recall.
PRIORITY = 2
TOP = 3


def _on(day: str) -> str:
    return day if day in ("today", "yesterday") else f"on {day}"


def streak(turn: Turn) -> Reply:
    from voiceglimmer import daily_counts, say_day, streaks  # deferred: see the docstring

    now = turn.now
    today = now.date()
    s = streaks(daily_counts(turn.journal, now), today)
    data = {
        "current": s.current,
        "longest": s.longest,
        "today_done": s.today_done,
        "last_day": s.last_day.isoformat() if s.last_day else None,
    }
    if not s.longest:
        return Reply.say(
            "There's no streak yet: your journal has no glimmers so far.",
            "Tell me one whenever you notice it, and that's day one.",
            data=data,
        )
    if not s.current:
        last = _on(say_day(s.last_day, today)) if s.last_day else "a while ago"
        return Reply.say(
            f"No streak is running just now; your last glimmer was {last}.",
            f"Your longest run so far is {plural(s.longest, 'day')}.",
            "One small glimmer today starts a new one.",
            data=data,
        )
    days = plural(s.current, "day")
    if s.current == 1:
        first = (
            "You've noted a glimmer today: that's day one of a new streak."
            if s.today_done
            else "You noted a glimmer yesterday; one today makes it two days in a row."
        )
    elif s.today_done:
        first = f"You've noted a glimmer {days} in a row, counting today."
    else:
        first = (
            f"You've noted a glimmer {days} in a row, up to yesterday. One today keeps it going."
        )
    if s.longest == s.current and s.current > 1:
        second = "That's your longest streak so far."
    else:
        second = f"Your longest streak is {plural(s.longest, 'day')}."
    return Reply.say(first, second, data=data)


def themes(turn: Turn) -> Reply:
    # The themes are the themes plugin's to keep and count (the figures stats shows).
    try:
        from voiceglimmer_plugins.themes import theme_counts  # deferred: see the docstring
    except ImportError:
        counts: list[tuple[str, int]] = []
    else:
        counts = theme_counts(turn.journal, turn.now)
    data = {"themes": [{"tag": tag, "count": n} for tag, n in counts]}
    if not counts:
        if not turn.journal.count():
            return Reply.say(
                "Your journal is empty so far, so there's nothing to sort into themes yet.",
                data=data,
            )
        return Reply.say(
            "Your glimmers don't have any themes yet, so I can't say what they're usually "
            "about. Once some are tagged, I can tell you which kinds come up most.",
            data=data,
        )
    (tag, n), *others = counts[:TOP]
    if not others:
        first = f"Your glimmers are mostly about {tag}: {plural(n, 'glimmer')} so far."
    else:
        then = spoken_list([f"{t} with {m}" for t, m in others])
        first = f"Your glimmers are most often about {tag}: {n} of them. Then come {then}."
    rest = len(counts) - TOP
    more = (
        f"There {'is' if rest == 1 else 'are'} {plural(rest, 'other theme')} too."
        if rest > 0
        else ""
    )
    return Reply.say(first, more, data=data)


@hookimpl
def register_intents(register):
    # The sentences are data, in insight.yaml beside this file; what answers them is here.
    handlers = {"streak": streak, "top_themes": themes}
    for intent in Intent.from_data(__name__, handlers, priority=PRIORITY):
        register(intent)
