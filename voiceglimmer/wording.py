"""Small helpers for words: replies that read well aloud, and words as people type them."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

# The person's words come back in the assistant's voice: "my face" is read
# back as "your face". Only unambiguous swaps; "you" is left alone because
# "you" to "me"/"I" depends on grammar we can't see.
_SWAPS = {
    "i am": "you are",
    "i'm": "you're",
    "i was": "you were",
    "i've": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "we": "you",
    "we're": "you're",
    "our": "your",
    "ours": "yours",
    "ourselves": "yourselves",
    "us": "you",
}
_SWAP_RE = re.compile(
    r"(?<![\w'])(" + "|".join(re.escape(k) for k in sorted(_SWAPS, key=len, reverse=True)) + r")"
    r"(?![\w'])",
    re.IGNORECASE,
)


def reflect(text: str) -> str:
    """Turn a glimmer from the person's voice into the assistant's (my -> your)."""
    return _SWAP_RE.sub(lambda m: _SWAPS[m.group(1).lower().replace("\u2019", "'")], text)


#: Month names, January first: ``MONTHS[day.month - 1]``. Written out rather than taken
#: from ``strftime("%B")``, which follows the locale, so replies always say them in English.
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)  # fmt: skip

#: Contractions and their long forms, as the sentence templates match them ("i'm" also
#: matches "im" and "i am"). The crisis check keeps its own reviewed list, which spells
#: out slang and dialect too.
CONTRACTIONS = {
    "what's": "what is",
    "that's": "that is",
    "it's": "it is",
    "i'm": "i am",
    "i've": "i have",
    "i'd": "i would",
    "i'll": "i will",
    "let's": "let us",
    "don't": "do not",
    "didn't": "did not",
    "can't": "cannot",
    "how's": "how is",
    "there's": "there is",
}


#: A letter three times running or more: stretched for feeling ("yesss", "sooo good",
#: "dieeee"). No English word holds one letter three times running.
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")
_STRETCHED_WORD = re.compile(r"(?<![^\W\d_])[^\W\d_]*?(?:([^\W\d_])\1{2,}[^\W\d_]*?)+(?![^\W\d_])")


def unstretched(text: str, known: Callable[[str], bool]) -> str:
    """``text`` with each stretched letter said twice or once, whichever first makes a
    word ``known`` recognises ("goood" -> "good", "yesss" -> "yes", "tooo muchhh" ->
    "too much"); once when none does ("heyyy" -> "hey"). For matching only: the
    person's words are kept as they said them."""
    if not _STRETCHED.search(text):
        return text

    def word(match: re.Match[str]) -> str:
        stretched = match.group(0)
        runs = list(_STRETCHED.finditer(stretched))[:4]
        options = []
        for counts in itertools.product((2, 1), repeat=len(runs)):
            parts, at = [], 0
            for run, count in zip(runs, counts, strict=True):
                parts += [stretched[at : run.start()], run.group(1) * count]
                at = run.end()
            options.append("".join(parts) + stretched[at:])
        return next((o for o in options if known(o.lower())), options[-1])

    return _STRETCHED_WORD.sub(word, text)


def ordinal(n: int) -> str:
    """An ordinal in digits ("1st", "12th", "23rd"): speech engines read these naturally."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def capitalised(text: str) -> str:
    """``text`` with its first letter in capitals, the rest as it was: a glimmer quoted at
    the start of a sentence ("Your mum's laugh ..."); ``str.capitalize`` would lower the rest."""
    return text[:1].upper() + text[1:]


def ended(text: str) -> str:
    """``text`` closing a sentence: with a full stop, unless it already ends as a sentence
    does ("First time!" is not read back as "First time!.")."""
    text = text.rstrip()
    return text if re.search(r"[.!?\u2026][\"'\u2019\u201d)]*$", text) else f"{text}."


def plural(count: int, word: str, many: str | None = None) -> str:
    if count == 1:
        return f"one {word}"
    return f"{count} {many or word + 's'}"


def spoken_list(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c': how a list sounds when said."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def quote(text: str, limit: int = 80) -> str:
    """A glimmer short enough to echo inside a sentence."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _terminal_table() -> dict[int, str]:
    # ESC shows as ␛; tabs and line breaks are harmless and stay; \r would overwrite the line.
    table = {code: chr(0x2400 + code) for code in range(0x20) if chr(code) not in "\t\n"}
    table.update(dict.fromkeys(map(ord, "\v\f\r\x1c\x1d\x1e\x1f"), " "))
    table[0x7F] = "\u2421"  # ␡
    table.update({code: f"\\x{code:02x}" for code in range(0x80, 0xA0)})  # C1, e.g. CSI
    # Bidi overrides and isolates would reorder the rest of the printed line.
    table.update(
        {code: f"\\u{code:04x}" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
    )
    return table


_TERMINAL = _terminal_table()


def for_terminal(text: str) -> str:
    """``text`` made safe to print: control characters are shown, never obeyed.

    The journal keeps what the person gave, escape sequences and all; only what
    reaches a terminal is changed, so ``\\x1b[31m`` is printed as ``␛[31m``
    instead of turning the rest of the screen red.
    """
    return text.translate(_TERMINAL)
