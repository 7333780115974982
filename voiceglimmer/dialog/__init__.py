"""The conversation: words in, a reply out, with memory between turns.

``understanding`` (sentence templates to intents), ``assistant`` (turns,
pending questions and the crisis check), ``plugin_manager`` (loading and
calling plugins, with their faults contained), ``deadline`` (time limits for
plugin code) and ``when`` (dates as people say them). Uses the store; never
the voice or the commands.
"""
