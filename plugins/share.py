"""The share plugin: a glimmer as a small Markdown card, ready to pass on.

Sharing glimmers strengthens connection, but the journal is private and
voiceglimmer never uses the network. So "share my last glimmer" only writes
a card into the person's own data folder (``shared/`` beside the journal,
owner-only) and says where it is; sending it, to whom and how, stays their
choice. Nothing is printed or sent anywhere else.
"""

from __future__ import annotations

import os
import re
import unicodedata
from datetime import date
from pathlib import Path

from voiceglimmer import (
    MONTHS,
    Glimmer,
    Intent,
    Reply,
    Turn,
    hookimpl,
    local_time,
    ordinal,
    write_private,
)

FOLDER = "shared"
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>#|~!])")


def date_in_words(day: date) -> str:
    """'Tuesday the 24th of November 2026'."""
    return f"{day:%A} the {ordinal(day.day)} of {MONTHS[day.month - 1]} {day.year}"


def slug(text: str, words: int = 6) -> str:
    """A short, safe file-name part from the glimmer's first words."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    plain = plain.replace("'", "")  # "mum's" -> "mums", not "mum-s"
    parts = re.findall(r"[a-z0-9]+", plain)[:words]
    return "-".join(parts) or "glimmer"


def _escaped(text: str) -> str:
    """The person's words exactly as they read, whatever Markdown would make of them."""
    return _MARKDOWN.sub(r"\\\1", text)


def _savoring_line(glimmer: Glimmer) -> str:
    if not glimmer.savor_count:
        return ""
    minutes = round(glimmer.savored_seconds / 60)
    times = {1: "once", 2: "twice"}.get(glimmer.savor_count, f"{glimmer.savor_count} times")
    if minutes >= 1:
        amount = "a minute" if minutes == 1 else f"{minutes} minutes"
        return f"Savored {times}, for about {amount} in all."
    return f"Savored {times}."


def card(glimmer: Glimmer, day: date) -> str:
    """The card's Markdown: a title, the glimmer in the person's words, the date."""
    quoted = "\n".join(f"> {_escaped(line)}" if line else ">" for line in glimmer.text.splitlines())
    lines = ["# A glimmer", "", quoted, "", f"Noticed on {date_in_words(day)}."]
    if savored := _savoring_line(glimmer):
        lines += ["", savored]
    lines += ["", "*A small moment of calm, kept with voiceglimmer.*", ""]
    return "\n".join(lines)


def write_card(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` as ``name`` (or ``name-2`` ... when another card has it),
    owner-only, atomically. The same card written twice is one file."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    stem, number = name, 1
    while True:
        path = folder / f"{stem}.md"
        if not path.is_file() or path.read_text(encoding="utf-8") == text:
            break
        number += 1
        stem = f"{name}-{number}"
    write_private(path, text)  # 0600, atomic, and never over a link, pipe or device
    return path


def share(turn: Turn) -> Reply:
    glimmer = turn.last_glimmer
    if glimmer is None:
        return Reply.say("There's no glimmer to share yet. Tell me one first.")
    turn.use(glimmer)
    glimmer = turn.journal.get(glimmer.id) or glimmer  # with its savorings counted
    day = local_time(glimmer.created_at, turn.now.tzinfo).date()
    folder = Path(turn.journal.path).parent / FOLDER
    path = write_card(folder, f"{day.isoformat()}-{slug(glimmer.text)}", card(glimmer, day))
    return Reply.say(
        # The path is for the screen (data, and `voiceglimmer list`), never read aloud.
        "I made a card of it, in the shared folder beside your journal.",
        "It's only on this computer. Pass it on however you like.",
        glimmer_id=glimmer.id,
        data={"path": str(path)},
    )


@hookimpl
def register_intents(register):
    # The sentences are data, in share.yaml beside this file; what answers them is here.
    for intent in Intent.from_data(__name__, {"share": share}, priority=10):
        register(intent)
