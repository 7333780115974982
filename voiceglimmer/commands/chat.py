"""Typed conversation: the text front end to the same assistant the voice uses.

At a terminal it paces savoring scripts in real time (Ctrl-C stops a script
and keeps the conversation going); with piped input it reads one utterance a
line and answers at once, so scripts and tests can drive it.

Whatever arrives is read, never trusted: bytes that are not UTF-8 become
U+FFFD and the rest of the line is kept (they once cost the whole glimmer),
and one utterance is at most :data:`MAX_UTTERANCE_CHARS` characters. A pasted
page of several megabytes once held the matcher for a minute and a half and
took 1.5 GB; now the first 200,000 characters are taken (the dialog matches
the first 2,000 and keeps a glimmer that runs on whole), the person is told
the rest was not used, and the rest of the line is read a piece at a time and
dropped, looked through only for words of harm (see :class:`_RestScan`).
``voiceglimmer run`` caps what it heard with the same :func:`cap_utterance`.
"""

from __future__ import annotations

import argparse
import codecs
import json
import re
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from voiceglimmer import crisis
from voiceglimmer.app import App
from voiceglimmer.dialog.assistant import MAX_UTTERANCE_CHARS
from voiceglimmer.events import Handled, Reply, Utterance
from voiceglimmer.hookspecs import Subparsers
from voiceglimmer.wording import for_terminal

#: Bytes read from a piped line before the cap is surely reached (UTF-8 spends at most
#: four on a character, and a bad byte becomes one U+FFFD).
HEAD_BYTES = 4 * MAX_UTTERANCE_CHARS + 4
#: The rest of a long line is read and dropped this many bytes at a time.
PIECE_BYTES = 64 * 1024
#: How far back a cut may move to end at a space rather than mid-word.
WORD_BACKOFF = 100
#: Characters of the unused part looked through for words of harm at a time, and how many
#: are carried into the next look so a phrase that straddles two pieces is still found.
SCAN_WINDOW = 4096
SCAN_OVERLAP = 256

_SPACES = re.compile(r"\s+")

GREETING = (
    "Hello. I'm here to help you notice and savor glimmers: small moments that feel safe, "
    "calm or connected. Tell me one, or ask for a past one. "
    "I'm a practice companion, not therapy or medical advice; if you are in crisis, please "
    "contact your local emergency number or a crisis line."
)
GREETED_KEY = "greeted"


def add_command(sub: Subparsers) -> None:
    p = sub.add_parser("chat", help="talk with the assistant by typing (the default)")
    p.add_argument("--json", action="store_true", help="print one JSON object per utterance")
    p.add_argument(
        "--pace",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show savoring scripts in real time (default: only at a terminal)",
    )
    p.set_defaults(func=run)


class _RestScan:
    """Looks for words of harm in the part of a long line that is not used.

    Words of harm anywhere in what someone typed must still reach the crisis
    pointer, but the whole line must not be held: it is looked at window by
    window (runs of spaces squeezed first, so "kill" and "myself" a megabyte of
    blanks apart stay neighbours): about half a second a megabyte, in the memory
    of one small window, small because the check slows more than linearly with
    the length of what it is given.
    """

    def __init__(self, before: str) -> None:
        self._window = _SPACES.sub(" ", before[-SCAN_OVERLAP:])
        self.found: str | None = None

    def feed(self, text: str) -> None:
        for start in range(0, len(text), SCAN_WINDOW):
            if self.found is not None:
                return
            self._window = _SPACES.sub(" ", self._window + text[start : start + SCAN_WINDOW])
            if len(self._window) >= SCAN_WINDOW:
                self._look()

    def finish(self) -> None:
        if self.found is None and self._window.strip():
            self._look()

    def _look(self) -> None:
        self.found = crisis.crisis_phrase(self._window)
        self._window = self._window[-SCAN_OVERLAP:]


@dataclass(frozen=True)
class Capped:
    """One line or transcript, cut to :data:`MAX_UTTERANCE_CHARS` characters if need be."""

    kept: str  # the person's words that are used
    total: int  # characters in the whole of what they typed or said
    crisis: str | None = None  # words of harm found in the part that is not used

    @property
    def cut(self) -> bool:
        return self.total > len(self.kept)

    @property
    def text(self) -> str:
        """What the assistant is handed: the words kept, and any words of harm after them,
        so the crisis check that runs first on every utterance answers them."""
        if self.crisis is None:
            return self.kept
        tail = f" … {self.crisis}"
        return self.kept[: MAX_UTTERANCE_CHARS - len(tail)].rstrip() + tail

    @property
    def notice(self) -> str | None:
        """What to tell the person when part of what they said was not used."""
        if not self.cut:
            return None
        used = f"only the first {len(self.kept):,} were used"
        if self.crisis is not None:
            used += ", with words further on that worry me"
        return (
            f"That was {self.total:,} characters, more than the {MAX_UTTERANCE_CHARS:,} "
            f"I take in at once: {used}; the rest was not."
        )


def _cut(text: str) -> str:
    """The first :data:`MAX_UTTERANCE_CHARS` characters, ending between words if one ends
    near there (a glimmer saved from a long line shouldn't end in half a word)."""
    kept = text[:MAX_UTTERANCE_CHARS]
    if not text[MAX_UTTERANCE_CHARS].isspace():
        gap = max(kept.rfind(" "), kept.rfind("\n"), kept.rfind("\t"))
        if gap >= MAX_UTTERANCE_CHARS - WORD_BACKOFF:
            kept = kept[:gap]
    return kept.rstrip()


def _cap_pieces(pieces: Iterable[str]) -> Capped:
    """Keep the start of a line given piece by piece; every piece is consumed."""
    head = ""
    total = 0
    scan: _RestScan | None = None
    for piece in pieces:
        total += len(piece)
        if scan is not None:
            scan.feed(piece)
            continue
        head += piece
        if len(head) > MAX_UTTERANCE_CHARS:
            kept = _cut(head)
            scan = _RestScan(kept)
            scan.feed(head[len(kept) :])
            head = kept
    if scan is None:
        return Capped(head, total)
    scan.finish()
    return Capped(head, total, scan.found)


def cap_utterance(text: str) -> Capped:
    """``text`` cut to :data:`MAX_UTTERANCE_CHARS` characters, for what is already in memory
    (a line typed at a terminal, a transcript)."""
    return _cap_pieces([text])


def _line_pieces(first: bytes, stream: BinaryIO) -> Iterator[str]:
    """A line's text without its newline (``\\n`` or ``\\r\\n``, as text mode gave before),
    decoded a piece at a time; bad bytes become U+FFFD."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = first
    while True:
        if pending.endswith(b"\n"):
            yield decoder.decode(pending.removesuffix(b"\n").removesuffix(b"\r"), final=True)
            return
        more = stream.readline(PIECE_BYTES)
        if not more:  # the input ends without a newline
            yield decoder.decode(pending, final=True)
            return
        held = pending.endswith(b"\r")  # maybe half of a "\r\n" split between two reads
        yield decoder.decode(pending[:-1] if held else pending)
        pending = (b"\r" if held else b"") + more


def read_line(stream: BinaryIO) -> Capped | None:
    """The next line of piped input, capped, or None at the end.

    Read as bytes, so invalid UTF-8 costs only the bad bytes; never more than
    :data:`HEAD_BYTES` plus one piece is held, however long the line.
    """
    first = stream.readline(HEAD_BYTES)
    if not first:
        return None
    return _cap_pieces(_line_pieces(first, stream))


def _read_typed() -> Capped | None:
    """The next utterance from stdin, whichever way stdin is; None when it has ended."""
    raw = getattr(sys.stdin, "buffer", None)
    if raw is not None:
        return read_line(raw)
    line = sys.stdin.readline()  # a text stream handed in by an embedding program
    return None if line == "" else cap_utterance(line.removesuffix("\n"))


def _replace_bad_bytes(stream: TextIO) -> None:
    """Typed lines decode with U+FFFD for bad bytes instead of failing or smuggling lone
    surrogates (which the journal can't store) into the words."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="replace")


def show(reply: Reply, out: TextIO, *, paced: bool) -> None:
    """Print a reply; when paced, wait out each pause as the voice would."""
    if not paced:
        print(for_terminal(reply.text), file=out, flush=True)
        return
    try:
        for segment in reply.segments:
            if segment.text.strip():
                print(for_terminal(segment.text.strip()), file=out, flush=True)
            if segment.pause:
                time.sleep(segment.pause)
    except KeyboardInterrupt:
        print("(stopped)", file=out, flush=True)


def run(args: argparse.Namespace, app: App) -> int:
    interactive = sys.stdin.isatty()
    paced = interactive and not args.json if args.pace is None else args.pace
    assistant = app.assistant
    out = sys.stdout
    if interactive:
        _replace_bad_bytes(sys.stdin)
    if interactive and not args.json:
        first_time = not app.journal.state_get("core", GREETED_KEY, False)
        print(GREETING if first_time else "Hello again. Tell me a glimmer, or ask for one.")
        app.journal.state_set("core", GREETED_KEY, True)
        print("(Type 'quit' or press Ctrl-D to leave.)")
    while True:
        try:
            said = cap_utterance(input("you> ")) if interactive else _read_typed()
        except EOFError:
            break
        except KeyboardInterrupt:
            print()
            break
        if said is None:
            break
        if interactive and said.text.strip().lower() in {"quit", "exit", "bye", "goodbye"}:
            print("Take care.")
            break
        handled: Handled = assistant.handle(Utterance(said.text, source="typed"))
        if args.json:
            shown = handled.as_json()
            if said.cut:
                shown.update(notice=said.notice, chars_not_used=said.total - len(said.kept))
            print(json.dumps(shown, ensure_ascii=False), file=out, flush=True)
        else:
            if said.cut:
                print(f"({said.notice})", file=out, flush=True)
            show(handled.reply, out, paced=paced)
    return 0
