"""voiceglimmer: an offline voice companion for noticing, savoring and recalling glimmers."""

from voiceglimmer.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl"]
