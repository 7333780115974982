"""The built-in voiceglimmer plugins: log, savor-guide and recall.

Installed as ``voiceglimmer_plugins`` and registered through the
``voiceglimmer`` entry-point group exactly like a third-party plugin; the core
never imports them by name.
"""
