"""Errors a person can act on, shared by every layer.

This module imports nothing else of voiceglimmer, so any module may raise
these without pulling in the rest (as hassil keeps its errors apart).
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the person can fix; the CLI prints it without a traceback (exit code 1)."""


class UsageError(UserError):
    """The command line itself is wrong (a missing or malformed option): exit code 2."""
