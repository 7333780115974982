"""voiceglimmer's benchmark suite: a measured latency budget for every stage.

Run ``python -m benchmarks`` from the project root (``--quick`` for a fast
smoke run, ``--only NAME`` for one area, ``--repeat N``, ``--output PATH``).
Everything measured is the real thing where this machine has it: the real
Vosk recogniser with the one complete model installable here (Korean, always
labelled as such), the real speech engines, a real SQLite journal on this
disk, WAV files in and out, and ``voiceglimmer`` itself as a child process.
Each figure is the median of repeated runs, reported with its spread.

The benchmarks are not part of the test suite: speed depends on the machine
and on what else it is doing. ``tests/test_benchmarks_smoke.py`` only checks
that a ``--quick`` run still produces every figure, so the suite cannot rot.
"""

from __future__ import annotations

#: Every figure the suite reports, by area (the ``--only`` names). The smoke
#: test holds its own copy of this list, so a figure can't silently vanish.
AREAS: dict[str, tuple[str, ...]] = {
    "startup": (
        "startup.run_ready.ko",
        "startup.run_ready.en",
        "startup.model_load.ko",
        "startup.plugins_in_process",
        "startup.cli_version",
        "startup.cli_chat",
    ),
    "routing": (
        "routing.turn",
        "routing.turn_with_log_write",
    ),
    "first_audio": (
        "first_audio.pyttsx3.short",
        "first_audio.pyttsx3.long_savor",
        "first_audio.piper.short",
        "first_audio.piper.long_savor",
    ),
    "recognition": (
        "recognition.rtf.ko",
        "recognition.rtf_first_pass.ko",
        "recognition.rtf.en",
        "recognition.rtf_first_pass.en",
    ),
    "synthesis": (
        "synthesis.rtf.pyttsx3",
        "synthesis.rtf.piper",
    ),
    "recall": (
        "recall.yesterday",
        "recall.last_week",
        "recall.search_tea",
        "recall.count_this_week",
    ),
    "memory": (
        "memory.run_peak.ko",
        "memory.stack_without_model",
        "memory.model_share.ko",
        "memory.run_peak.en",
    ),
    "soak": (
        "soak.double_2000.growth",
        "soak.vosk_ko_2000.growth",
    ),
    "journal_import": (
        "journal_import.new",
        "journal_import.duplicates",
    ),
    "understanding": (
        "understanding.accuracy.typed",
        "understanding.accuracy.asr",
        "understanding.accuracy_either_reading.typed",
        "understanding.accuracy_either_reading.asr",
        "understanding.readers_agree",
        "understanding.distress_recall",
        "understanding.latency_median",
        "understanding.latency_p99",
        "understanding.model_load",
        "understanding.model_memory",
    ),
    "floor": (
        "floor.loop_vs_vosk.ko",
        "floor.understanding_vs_template",
        "floor.recall_vs_sql",
        "floor.first_audio_vs_synthesis.pyttsx3",
        "floor.first_audio_vs_synthesis.piper",
        "floor.memory.model.ko",
        "floor.memory.recognizer.ko",
        "floor.memory.phrase_detector.ko",
    ),
    "satellites": (
        "satellites.first_audio.local",
        "satellites.first_audio.room",
        "satellites.network_path",
        "satellites.rooms_before_doubling",
    ),
    "safety": (
        "safety.crisis.typed",
        "safety.crisis.asr",
        "safety.distress.typed",
        "safety.distress.asr",
        "safety.ordinary.typed",
        "safety.ordinary.asr",
    ),
}

ALL_FIGURES: tuple[str, ...] = tuple(key for keys in AREAS.values() for key in keys)
