"""What is kept on the person's machine, and where.

``home`` (the folders), ``config`` (config.toml), ``clock`` (the time zone and
a pinned clock), ``journal`` (the SQLite journal), ``plugin_store`` (each
plugin's own tables in it), ``backup`` (copies, restore and forgetting),
``progress`` (figures worked out from the journal) and ``safefile`` (writing a
private file safely). Nothing here imports the dialog, the voice or the commands.
"""
