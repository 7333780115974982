"""The ``voiceglimmer`` command line: one module per group of commands.

``main`` builds the parser (plugins add commands through the
``register_commands`` hook) and maps errors to exit codes; ``chat`` and
``run`` are the typed and spoken front ends. Only this package prints for a
person; everything below it returns values or raises.
"""
