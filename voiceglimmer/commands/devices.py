"""The devices command: the microphones and speakers voiceglimmer can use."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from voiceglimmer.errors import UserError
from voiceglimmer.hookspecs import Subparsers
from voiceglimmer.store.diagnostics import get_logger
from voiceglimmer.voice import mic
from voiceglimmer.voice.audio import AudioError
from voiceglimmer.voice.mic import FILE_HINT, Device

if TYPE_CHECKING:
    from voiceglimmer.app import App

log = get_logger(__name__)


def add_commands(sub: Subparsers) -> None:
    p = sub.add_parser("devices", help="list microphones and speakers")
    p.set_defaults(func=devices_command)


def format_devices(devices: list[Device]) -> str:
    width = max([len(d.name) for d in devices] + [4])
    lines = [f"  {'#':>3}  {'NAME':<{width}}  {'IN':>3}  {'OUT':>3}  {'RATE':>6}  DEFAULT"]
    for d in devices:
        marks = [
            m for m, on in (("input", d.is_default_input), ("output", d.is_default_output)) if on
        ]
        star = "*" if marks else " "
        lines.append(
            f"{star} {d.index:>3}  {d.name:<{width}}  {d.inputs:>3}  {d.outputs:>3}  "
            f"{d.default_rate:>6}  {', '.join(marks)}".rstrip()
        )
    lines.append("Pick a device by its number or by part of its name; * marks the defaults.")
    return "\n".join(lines)


def devices_command(args: argparse.Namespace, app: App | None) -> int:
    try:
        devices = mic.list_devices()
    except AudioError as exc:
        raise UserError(str(exc)) from None
    if not devices:
        log.error(
            "No audio devices found. Check that a sound card is connected and that PulseAudio "
            "or PipeWire is running; you can still %s.",
            FILE_HINT,
        )
        return 1
    print(format_devices(devices))
    return 0
