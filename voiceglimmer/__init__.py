"""voiceglimmer: an offline voice companion for noticing, savoring and recalling glimmers.

This package is the one front door for plugin authors: everything a plugin
needs is imported from here (``from voiceglimmer import hookimpl, Intent,
Turn, Reply``), never from the modules behind it, so the layout can change
without breaking a plugin. The built-in plugins use nothing else, and
``tests/test_layers.py`` holds them to it.

The names load lazily (PEP 562): ``import voiceglimmer`` costs nothing, and a
name's module is imported the first time the name is used. Every start of
the command line imports this package, and ``voiceglimmer --version`` must
not pay for the template engine, the journal or the date parser.

To add a public name, add it to :data:`_API` and to the ``TYPE_CHECKING``
imports below (a test checks that the two agree), and to the table in the
README's "Writing a plugin" section.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

#: The one place the version is written (pyproject.toml reads it from here).
__version__ = "0.1.0"

#: Public name -> the module it lives in ("module:attribute" when the
#: attribute there has another name: a crisis module constant needs its
#: context back once it stands alone).
_API: dict[str, str] = {
    # -- hooks --------------------------------------------------------------------
    "hookimpl": "voiceglimmer.hookspecs",
    "Subparsers": "voiceglimmer.hookspecs",
    # -- intents and turns ----------------------------------------------------
    "Intent": "voiceglimmer.dialog.understanding",
    "Handler": "voiceglimmer.dialog.understanding",
    "SlotSpec": "voiceglimmer.dialog.understanding",
    "IntentFile": "voiceglimmer.dialog.understanding",
    "Turn": "voiceglimmer.dialog.assistant",
    "Assistant": "voiceglimmer.dialog.assistant",
    "yes_or_no": "voiceglimmer.dialog.assistant",
    "LOOK_BACK": "voiceglimmer.dialog.assistant",
    "Reply": "voiceglimmer.events",
    "FollowUp": "voiceglimmer.events",
    "Segment": "voiceglimmer.events",
    "Utterance": "voiceglimmer.events",
    "Handled": "voiceglimmer.events",
    # -- glimmers and the journal ---------------------------------------------
    "Glimmer": "voiceglimmer.events",
    "Savoring": "voiceglimmer.events",
    "GlimmerSource": "voiceglimmer.events",
    "Journal": "voiceglimmer.store.journal",
    "JournalError": "voiceglimmer.store.journal",
    "local_time": "voiceglimmer.store.journal",
    "moment_problem": "voiceglimmer.store.journal",
    "RANGE_WORDS": "voiceglimmer.store.journal",
    "forget_glimmer": "voiceglimmer.store.backup",
    "Forgotten": "voiceglimmer.store.backup",
    "EARLIEST": "voiceglimmer.store.journal",
    # -- a plugin's own tables and settings -----------------------------------
    "PluginSchema": "voiceglimmer.store.plugin_store",
    "PluginTable": "voiceglimmer.store.plugin_store",
    "PluginStore": "voiceglimmer.store.plugin_store",
    "PluginSchemaError": "voiceglimmer.store.plugin_store",
    "PluginStoreError": "voiceglimmer.store.plugin_store",
    "OldRow": "voiceglimmer.store.plugin_store",
    "ExportRefs": "voiceglimmer.store.plugin_store",
    "ImportRefused": "voiceglimmer.store.plugin_store",
    "Setting": "voiceglimmer.store.config",
    "SettingError": "voiceglimmer.store.config",
    # -- the practice's figures (streaks; themes and calm as plugins report them)
    "daily_counts": "voiceglimmer.store.progress",
    "streaks": "voiceglimmer.store.progress",
    "month_labels": "voiceglimmer.store.progress",
    "MonthThemes": "voiceglimmer.store.progress",
    "ThemeFigures": "voiceglimmer.store.progress",
    "Calm": "voiceglimmer.store.progress",
    "CalmPair": "voiceglimmer.store.progress",
    # -- spoken dates and times -----------------------------------------------
    "Span": "voiceglimmer.dialog.when",
    "Clock": "voiceglimmer.dialog.when",
    "WhenError": "voiceglimmer.dialog.when",
    "parse_span": "voiceglimmer.dialog.when",
    "find_span": "voiceglimmer.dialog.when",
    "parse_moment": "voiceglimmer.dialog.when",
    "parse_clock": "voiceglimmer.dialog.when",
    "find_clock": "voiceglimmer.dialog.when",
    "say_day": "voiceglimmer.dialog.when",
    "speaks_of_time": "voiceglimmer.dialog.when",
    # -- wording --------------------------------------------------------------
    "plural": "voiceglimmer.wording",
    "spoken_list": "voiceglimmer.wording",
    "quote": "voiceglimmer.wording",
    "ended": "voiceglimmer.wording",
    "reflect": "voiceglimmer.wording",
    "for_terminal": "voiceglimmer.wording",
    "capitalised": "voiceglimmer.wording",
    "ordinal": "voiceglimmer.wording",
    "MONTHS": "voiceglimmer.wording",
    # -- understanding people's own words ---------------------------------------
    "find_glimmer": "voiceglimmer.dialog.slots",
    "find_answer": "voiceglimmer.dialog.slots",
    "read_answer": "voiceglimmer.dialog.answers",
    # -- the crisis check (read-backs and replies must never say words of harm)
    "is_crisis": "voiceglimmer.crisis",
    "needs_care": "voiceglimmer.crisis",
    "readable": "voiceglimmer.crisis",
    "withheld": "voiceglimmer.crisis",
    "crisis_reply": "voiceglimmer.crisis",
    "NotAGlimmer": "voiceglimmer.crisis",
    "CRISIS_REPLY_LINES": "voiceglimmer.crisis:REPLY_LINES",
    "CRISIS_NOT_SAVED": "voiceglimmer.crisis:NOT_SAVED",
    # -- files ----------------------------------------------------------------
    "write_private": "voiceglimmer.store.safefile",
    "OutputError": "voiceglimmer.store.safefile",
    # -- the app, for commands and tests --------------------------------------
    "App": "voiceglimmer.app",
    "open_assistant": "voiceglimmer.app",
    "UserError": "voiceglimmer.errors",
    "UsageError": "voiceglimmer.errors",
}

__all__ = ["__version__", *_API]

if TYPE_CHECKING:
    # The same names for type checkers and editors (a test keeps this list and _API equal).
    from voiceglimmer.app import App as App
    from voiceglimmer.app import open_assistant as open_assistant

    # (noqa: renamed here, so ruff can't find them in the computed __all__)
    from voiceglimmer.crisis import NOT_SAVED as CRISIS_NOT_SAVED  # noqa: F401
    from voiceglimmer.crisis import REPLY_LINES as CRISIS_REPLY_LINES  # noqa: F401
    from voiceglimmer.crisis import NotAGlimmer as NotAGlimmer
    from voiceglimmer.crisis import crisis_reply as crisis_reply
    from voiceglimmer.crisis import is_crisis as is_crisis
    from voiceglimmer.crisis import needs_care as needs_care
    from voiceglimmer.crisis import readable as readable
    from voiceglimmer.crisis import withheld as withheld
    from voiceglimmer.dialog.answers import read_answer as read_answer
    from voiceglimmer.dialog.assistant import LOOK_BACK as LOOK_BACK
    from voiceglimmer.dialog.assistant import Assistant as Assistant
    from voiceglimmer.dialog.assistant import Turn as Turn
    from voiceglimmer.dialog.assistant import yes_or_no as yes_or_no
    from voiceglimmer.dialog.slots import find_answer as find_answer
    from voiceglimmer.dialog.slots import find_glimmer as find_glimmer
    from voiceglimmer.dialog.understanding import Handler as Handler
    from voiceglimmer.dialog.understanding import Intent as Intent
    from voiceglimmer.dialog.understanding import IntentFile as IntentFile
    from voiceglimmer.dialog.understanding import SlotSpec as SlotSpec
    from voiceglimmer.dialog.when import Clock as Clock
    from voiceglimmer.dialog.when import Span as Span
    from voiceglimmer.dialog.when import WhenError as WhenError
    from voiceglimmer.dialog.when import find_clock as find_clock
    from voiceglimmer.dialog.when import find_span as find_span
    from voiceglimmer.dialog.when import parse_clock as parse_clock
    from voiceglimmer.dialog.when import parse_moment as parse_moment
    from voiceglimmer.dialog.when import parse_span as parse_span
    from voiceglimmer.dialog.when import say_day as say_day
    from voiceglimmer.dialog.when import speaks_of_time as speaks_of_time
    from voiceglimmer.errors import UsageError as UsageError
    from voiceglimmer.errors import UserError as UserError
    from voiceglimmer.events import FollowUp as FollowUp
    from voiceglimmer.events import Glimmer as Glimmer
    from voiceglimmer.events import GlimmerSource as GlimmerSource
    from voiceglimmer.events import Handled as Handled
    from voiceglimmer.events import Reply as Reply
    from voiceglimmer.events import Savoring as Savoring
    from voiceglimmer.events import Segment as Segment
    from voiceglimmer.events import Utterance as Utterance
    from voiceglimmer.hookspecs import Subparsers as Subparsers
    from voiceglimmer.hookspecs import hookimpl as hookimpl
    from voiceglimmer.store.backup import Forgotten as Forgotten
    from voiceglimmer.store.backup import forget_glimmer as forget_glimmer
    from voiceglimmer.store.config import Setting as Setting
    from voiceglimmer.store.config import SettingError as SettingError
    from voiceglimmer.store.journal import EARLIEST as EARLIEST
    from voiceglimmer.store.journal import RANGE_WORDS as RANGE_WORDS
    from voiceglimmer.store.journal import Journal as Journal
    from voiceglimmer.store.journal import JournalError as JournalError
    from voiceglimmer.store.journal import local_time as local_time
    from voiceglimmer.store.journal import moment_problem as moment_problem
    from voiceglimmer.store.plugin_store import ExportRefs as ExportRefs
    from voiceglimmer.store.plugin_store import ImportRefused as ImportRefused
    from voiceglimmer.store.plugin_store import OldRow as OldRow
    from voiceglimmer.store.plugin_store import PluginSchema as PluginSchema
    from voiceglimmer.store.plugin_store import PluginSchemaError as PluginSchemaError
    from voiceglimmer.store.plugin_store import PluginStore as PluginStore
    from voiceglimmer.store.plugin_store import PluginStoreError as PluginStoreError
    from voiceglimmer.store.plugin_store import PluginTable as PluginTable
    from voiceglimmer.store.progress import Calm as Calm
    from voiceglimmer.store.progress import CalmPair as CalmPair
    from voiceglimmer.store.progress import MonthThemes as MonthThemes
    from voiceglimmer.store.progress import ThemeFigures as ThemeFigures
    from voiceglimmer.store.progress import daily_counts as daily_counts
    from voiceglimmer.store.progress import month_labels as month_labels
    from voiceglimmer.store.progress import streaks as streaks
    from voiceglimmer.store.safefile import OutputError as OutputError
    from voiceglimmer.store.safefile import write_private as write_private
    from voiceglimmer.wording import MONTHS as MONTHS
    from voiceglimmer.wording import capitalised as capitalised
    from voiceglimmer.wording import ended as ended
    from voiceglimmer.wording import for_terminal as for_terminal
    from voiceglimmer.wording import ordinal as ordinal
    from voiceglimmer.wording import plural as plural
    from voiceglimmer.wording import quote as quote
    from voiceglimmer.wording import reflect as reflect
    from voiceglimmer.wording import spoken_list as spoken_list


def __getattr__(name: str) -> Any:
    """Import a public name's module the first time the name is asked for, then keep
    the name here so later uses are plain attribute lookups."""
    where = _API.get(name)
    if where is None:
        raise AttributeError(f"module 'voiceglimmer' has no attribute {name!r}")
    module, _, attribute = where.partition(":")
    value = getattr(import_module(module), attribute or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names too, though most are not loaded yet (for completion in editors)."""
    return sorted({*globals(), *__all__})
