"""Typed conversation: the text front end to the same assistant the voice uses.

At a terminal it paces savoring scripts in real time (Ctrl-C stops a script
and keeps the conversation going); with piped input it reads one utterance a
line and answers at once, so scripts and tests can drive it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TextIO

from voiceglimmer.app import App
from voiceglimmer.events import Handled, Reply, Utterance
from voiceglimmer.wording import for_terminal

GREETING = (
    "Hello. I'm here to help you notice and savor glimmers: small moments that feel safe, "
    "calm or connected. Tell me one, or ask for a past one. "
    "I'm a practice companion, not therapy or medical advice; if you are in crisis, please "
    "contact your local emergency number or a crisis line."
)
GREETED_KEY = "greeted"


def add_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="talk with the assistant by typing (the default)")
    p.add_argument("--json", action="store_true", help="print one JSON object per utterance")
    p.add_argument(
        "--pace",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show savoring scripts in real time (default: only at a terminal)",
    )
    p.set_defaults(func=run)


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
    if interactive and not args.json:
        first_time = not app.journal.state_get("core", GREETED_KEY, False)
        print(GREETING if first_time else "Hello again. Tell me a glimmer, or ask for one.")
        app.journal.state_set("core", GREETED_KEY, True)
        print("(Type 'quit' or press Ctrl-D to leave.)")
    while True:
        try:
            line = input("you> ") if interactive else sys.stdin.readline()
        except EOFError:
            break
        except KeyboardInterrupt:
            print()
            break
        if not interactive and line == "":
            break
        line = line.rstrip("\n")
        if interactive and line.strip().lower() in {"quit", "exit", "bye", "goodbye"}:
            print("Take care.")
            break
        handled: Handled = assistant.handle(Utterance(line, source="typed"))
        if args.json:
            print(json.dumps(handled.as_json(), ensure_ascii=False), file=out, flush=True)
        else:
            show(handled.reply, out, paced=paced)
    return 0
