"""The person's local time, which every "today" and "last week" is measured in.

A named zone (not just today's UTC offset) keeps week and month spans right
across daylight-saving changes. VOICEGLIMMER_NOW pins the clock to one ISO
moment, for demonstrations and for tests that need a fixed "today".
"""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def local_zone() -> tzinfo:
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    localtime = Path("/etc/localtime")
    if localtime.exists():
        try:
            with localtime.open("rb") as f:
                return ZoneInfo.from_file(f, key="localtime")
        except (OSError, ValueError):
            pass
    return datetime.now().astimezone().tzinfo or ZoneInfo("UTC")


def now() -> datetime:
    """The current moment in the person's zone (or the pinned VOICEGLIMMER_NOW)."""
    zone = local_zone()
    pinned = os.environ.get("VOICEGLIMMER_NOW")
    if pinned:
        moment = datetime.fromisoformat(pinned)
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    return datetime.now(zone)
