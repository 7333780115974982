"""How voiceglimmer tells the person about problems: Python logging, in its own words.

Every module logs through ``get_logger(__name__)``; warnings, errors and (with
``-v``) progress reach stderr as ``voiceglimmer: warning: ...`` and
``voiceglimmer: ...``, the form people, scripts and tests have always seen.
Replies, listings and "Saved #1" are not diagnostics: the commands print them.

The handler is installed on the ``voiceglimmer`` and ``voiceglimmer_plugins``
loggers when this module is first imported, not only by the command line,
because the assistant is also used in-process (by the tests and the
benchmarks) and a warning there must read the same. It writes to whatever
``sys.stderr`` is at that moment, so redirected or captured stderr sees it.
Records still propagate, so an application that configures the root logger
(or pytest's ``caplog``) receives them as well.

``verbosity()`` is the one place the level is chosen (``-q`` hides warnings,
``-v`` shows info, ``-vv`` debug); it restores the previous level afterwards,
so one in-process command doesn't change the next one's output.

This module sits in ``store`` only because that is the lowest layer the
others may import; it imports nothing of the project.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: The loggers whose records are shown: the core and the built-in plugins.
ROOTS = ("voiceglimmer", "voiceglimmer_plugins")
#: -q, the default, -v, -vv.
LEVELS = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG}
_PREFIXES = {logging.WARNING: "warning: ", logging.DEBUG: "debug: "}


class StderrHandler(logging.Handler):
    """``voiceglimmer: warning: MESSAGE`` (or ``voiceglimmer: MESSAGE``) on the current stderr."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = _PREFIXES.get(record.levelno, "")
        return f"voiceglimmer: {prefix}{record.getMessage()}"

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = sys.stderr
            stream.write(self.format(record) + "\n")
            stream.flush()
        except (OSError, ValueError):
            pass  # stderr closed or gone (a pipe reader that left): nowhere left to say it
        except Exception:
            self.handleError(record)


def _install() -> StderrHandler:
    for name in ROOTS:
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, StderrHandler):
                return handler  # a reload of this module: keep the one already there
    handler = StderrHandler()
    for name in ROOTS:
        logging.getLogger(name).addHandler(handler)
    return handler


HANDLER = _install()


def get_logger(name: str) -> logging.Logger:
    """The logger for module ``name``; importing this module is what makes it print."""
    return logging.getLogger(name)


def level_for(verbosity: int) -> int:
    """-1 (``-q``) to 2 (``-vv``) or beyond, as a logging level."""
    return LEVELS[max(-1, min(2, verbosity))]


@contextmanager
def verbosity(count: int) -> Iterator[None]:
    """Show records from ``level_for(count)`` up while the block runs, then restore."""
    loggers = [logging.getLogger(name) for name in ROOTS]
    before = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(level_for(count))
    try:
        yield
    finally:
        for logger, level in zip(loggers, before, strict=True):
            logger.setLevel(level)
