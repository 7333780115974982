"""Time limits for plugin code, so a hung plugin can't hang the assistant.

A plugin runs in the same thread as the conversation (handlers share the
journal's connection), so the limit is a SIGALRM timer that raises inside
the plugin's Python code. ``HandlerTimeout`` derives from BaseException so a
plugin's own ``except Exception`` cannot swallow it. Outside the main thread
(or on a platform without timers) code runs without a limit.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Longer limits than this are no limit at all (and past ~1e8 s setitimer overflows).
MAX_SECONDS = 86_400.0


class HandlerTimeout(BaseException):
    """Plugin code ran past its time limit."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    usable = (
        0 < seconds <= MAX_SECONDS
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        # an outer deadline is already running (a handler routing to another)
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
    if not usable:
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise HandlerTimeout(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
