"""A journal spanning several months, as a voiceglimmer JSON export.

Built in code (not a fixture file) so every time in it is relative to the
tests' fixed clock and the story it tells is readable: which glimmers were
savored, how settled the person felt before and after, what they noted.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NOW

#: (days before NOW, local time, words). NOW is Tuesday 24 November 2026, 15:30.
GLIMMERS: list[tuple[int, str, str]] = [
    (113, "07:40", "birdsong at dawn"),
    (110, "18:20", "the smell of rain on warm pavement"),
    (104, "08:05", "steam rising from my cup"),
    (97, "12:30", "a stranger's genuine smile"),
    (90, "21:10", "my cat purring on my lap"),
    (83, "09:45", "a friend's kind message"),
    (76, "16:00", "the sunset over the river"),
    (69, "07:15", "fresh bread from the bakery"),
    (62, "19:30", "laughter from the kitchen"),
    (55, "10:10", "my favourite song on the radio"),
    (48, "14:20", "a warm blanket on the sofa"),
    (41, "08:30", "the first frost on the grass"),
    (34, "17:45", "my sister's voice on the phone"),
    (27, "11:00", "cinnamon in the air at the market"),
    (20, "20:15", "candlelight during dinner"),
    (13, "06:50", "the quiet before everyone woke up"),
    (6, "13:10", "sunlight through the leaves"),
    (1, "09:00", "the smell of pine in the hall"),
    (0, "09:10", "the first sip of tea"),
    (0, "12:40", "a neighbour waved at me"),
]

#: Savorings: glimmer words -> list of (seconds, length, before, after).
SAVORINGS: dict[str, list[tuple[float, str, int | None, int | None]]] = {
    "the smell of rain on warm pavement": [(118.0, "standard", 2, 5)],
    "steam rising from my cup": [(48.0, "quick", 3, 4), (120.0, "standard", None, 4)],
    "a friend's kind message": [(50.0, "quick", 3, 3)],
    "my cat purring on my lap": [(45.0, "quick", None, None)],
}


def _at(days_before: int, clock: str) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return (NOW - timedelta(days=days_before)).replace(hour=hour, minute=minute)


def months_export() -> dict[str, Any]:
    """The export: glimmers, savorings with calm ratings, a reflection, two reminders.

    No tags: like an export from before tagging, so import leaves them to be
    guessed (and ``tags`` round trips are tested separately).
    """
    glimmers = []
    for number, (days, clock, text) in enumerate(GLIMMERS, start=1):
        created = _at(days, clock)
        glimmers.append(
            {
                "id": number,
                "created_at": created.isoformat(),
                "text": text,
                "source": "voice" if number % 3 == 0 else "typed",
                "savorings": [
                    {
                        "started_at": (created + timedelta(minutes=2)).isoformat(),
                        "seconds": seconds,
                        "length": length,
                        "completed": True,
                        "calm_before": before,
                        "calm_after": after,
                    }
                    for seconds, length, before, after in SAVORINGS.get(text, [])
                ],
            }
        )
    return {
        "format": "voiceglimmer-journal",
        "version": 2,
        "glimmers": glimmers,
        "reflections": [
            {
                "id": 1,
                "day": _at(1, "21:30").date().isoformat(),
                "created_at": _at(1, "21:30").isoformat(),
                "note": "A slow day, but the pine smell stayed with me.",
                "glimmer_id": 18,
            }
        ],
        "reminders": [
            {
                "id": 1,
                "kind": "look",
                "at": "08:00",
                "days": "daily",
                "message": "",
                "created_at": _at(30, "10:00").isoformat(),
                "last_fired": _at(1, "08:00").isoformat(),
                "enabled": True,
            },
            {
                "id": 2,
                "kind": "reflect",
                "at": "21:00",
                "days": "weekdays",
                "message": "",
                "created_at": _at(30, "10:00").isoformat(),
                "last_fired": None,
                "enabled": True,
            },
        ],
    }


def write_months_export(folder: Path) -> Path:
    path = folder / "months.json"
    path.write_text(json.dumps(months_export(), indent=2), encoding="utf-8")
    return path


def glimmer_id(text: str) -> int:
    """The id a glimmer keeps when the export is imported into an empty home."""
    return next(n for n, (_, _, t) in enumerate(GLIMMERS, start=1) if t == text)


@pytest.fixture
def months(cli, tmp_path: Path) -> Path:
    """A home holding the months journal, imported through the real CLI."""
    path = write_months_export(tmp_path)
    run = cli("import", str(path))
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"Imported {len(GLIMMERS)} glimmers")
    return path
