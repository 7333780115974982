"""Hooks are called through pluggy: tryfirst, trylast and wrappers work as pluggy documents,
and one plugin's failure, hang or sys.exit() still costs only that plugin."""

from __future__ import annotations

import contextlib
import textwrap
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import NOW
from voiceglimmer import hookimpl
from voiceglimmer.dialog.assistant import Assistant
from voiceglimmer.dialog.plugin_manager import Plugins, load, running_plugin
from voiceglimmer.store.journal import Journal

#: Single-file plugins, named so that load order (file names, sorted) is the opposite
#: of the order their tryfirst/trylast flags ask for.
ORDERED = {
    "a_last.py": """
        from voiceglimmer import hookimpl

        @hookimpl(trylast=True)
        def glimmer_saved(glimmer, journal):
            print("heard by a_last")
            return "a_last"
    """,
    "b_plain.py": """
        from voiceglimmer import hookimpl

        @hookimpl
        def glimmer_saved(glimmer, journal):
            print("heard by b_plain")
            return "b_plain"
    """,
    "c_broken.py": """
        from voiceglimmer import hookimpl

        @hookimpl
        def glimmer_saved(glimmer, journal):
            raise RuntimeError("no ears today")
    """,
    "d_plain.py": """
        from voiceglimmer import hookimpl

        @hookimpl
        def glimmer_saved(glimmer, journal):
            print("heard by d_plain")
            return "d_plain"
    """,
    "e_wrapper.py": """
        from voiceglimmer import hookimpl

        @hookimpl(wrapper=True)
        def glimmer_saved(glimmer, journal):
            print(f"wrapper before: {glimmer.text}")
            result = yield
            print(f"wrapper after: {result}")
            return result
    """,
    "z_first.py": """
        import sys
        from voiceglimmer import hookimpl

        @hookimpl(tryfirst=True)
        def glimmer_saved(glimmer, journal):
            print("heard by z_first")
            sys.exit("z_first leaves")
    """,
}


def _write(folder: Path, plugins: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, code in plugins.items():
        (folder / name).write_text(textwrap.dedent(code))
    return folder


def _warnings(stderr: str) -> list[str]:
    return [w for w in stderr.splitlines() if w.startswith("voiceglimmer: warning:")]


def test_tryfirst_trylast_and_a_wrapper_order_the_calls_and_a_failure_stays_contained(
    tmp_path: Path, cli: Callable
) -> None:
    folder = _write(tmp_path / "plugins", ORDERED)
    said = "glimmer: warm bread\nglimmer: a robin\nwhat's my streak\n"
    run = cli("--plugins-dir", str(folder), "chat", "--json", input=said)

    assert run.returncode == 0, run.stderr
    events = run.json_lines()  # every stdout line is JSON: the plugins' prints went to stderr
    assert [e["reply"].split(".")[0] for e in events[:2]] == ["Saved: warm bread", "Saved: a robin"]
    assert len(events) == 3, "the session went on after sys.exit() and an exception"
    heard = [line for line in run.stderr.splitlines() if not line.startswith("voiceglimmer:")]
    one_save = [
        "wrapper before: warm bread",
        "heard by z_first",  # tryfirst, though loaded last
        "heard by b_plain",  # then load order
        "heard by d_plain",
        "heard by a_last",  # trylast, though loaded first
        # it wrapped all of them and saw their results in call order; failures gave none
        "wrapper after: ['b_plain', 'd_plain', 'a_last']",
    ]
    assert heard[:6] == one_save
    assert heard[6:] == [line.replace("warm bread", "a robin") for line in one_save]
    assert _warnings(run.stderr) == [
        "voiceglimmer: warning: plugin 'z_first' failed in glimmer_saved: "
        "SystemExit: it called sys.exit('z_first leaves')",
        "voiceglimmer: warning: plugin 'c_broken' failed in glimmer_saved: "
        "RuntimeError: no ears today",
    ], "each failing plugin reported once, by name, though two glimmers were saved"


def announcer(said: object) -> object:
    """A plugin whose ``announcements`` returns ``said``."""

    class Announcer:
        @hookimpl
        def announcements(self, now, journal):
            return said

    return Announcer()


class QuietHours:
    """A wrapper a person might install: nothing is said unprompted after 10 pm."""

    @hookimpl(wrapper=True)
    def announcements(self, now, journal):
        results = yield
        return [] if now.hour >= 22 else results


def _assistant(
    tmp_path: Path, extra: list[tuple[str, object]], *, at: datetime = NOW, timeout: float = 5
) -> tuple[Assistant, Plugins]:
    plugins = load(entry_points=False, extra=extra)
    journal = Journal(tmp_path / "journal.sqlite3")
    return Assistant(
        plugins=plugins, journal=journal, clock=lambda: at, handler_timeout=timeout
    ), plugins


def test_a_wrapper_sees_every_announcement_and_a_broken_announcer_is_reported_once(
    tmp_path: Path,
) -> None:
    extra = [
        ("nudger", announcer(["Time to look for a glimmer."])),
        ("odd", announcer("not a list")),
        ("quiet-hours", QuietHours()),
        ("stretcher", announcer(["A good moment to stretch."])),
    ]
    day, _ = _assistant(tmp_path, extra, at=NOW.replace(hour=15))
    assert day.announcements() == ["Time to look for a glimmer.", "A good moment to stretch."]
    assert day.announcements() == ["Time to look for a glimmer.", "A good moment to stretch."]
    assert [str(p) for p in day.plugins.problems] == [
        "plugin 'odd' returned something odd from announcements: 'not a list'"
    ]
    night, _ = _assistant(tmp_path, extra, at=NOW.replace(hour=23))
    assert night.announcements() == []


def test_an_old_style_hookwrapper_can_change_the_result(tmp_path: Path) -> None:
    class Polite:
        @hookimpl(hookwrapper=True)
        def announcements(self, now, journal):
            outcome = yield
            outcome.force_result(
                [[f"Gently: {t}" for t in texts] for texts in outcome.get_result()]
            )

    assistant, _ = _assistant(tmp_path, [("nudger", announcer(["look up."])), ("polite", Polite())])
    assert assistant.announcements() == ["Gently: look up."]


BROKEN_WRAPPERS = {
    "before its yield": """
        @hookimpl(wrapper=True)
        def announcements(now, journal):
            raise ValueError("wrapper broke early")
            yield
    """,
    "after its yield": """
        @hookimpl(wrapper=True)
        def announcements(now, journal):
            yield
            raise ValueError("wrapper broke late")
    """,
    "with no yield": """
        @hookimpl(wrapper=True)
        def announcements(now, journal):
            return
            yield
    """,
    "with a second yield": """
        @hookimpl(wrapper=True)
        def announcements(now, journal):
            yield
            yield
    """,
    "returning nonsense": """
        @hookimpl(wrapper=True)
        def announcements(now, journal):
            yield
            return 42
    """,
}


@pytest.mark.parametrize("code", BROKEN_WRAPPERS.values(), ids=BROKEN_WRAPPERS.keys())
def test_a_failing_wrapper_is_stepped_over_and_reported_by_name(tmp_path: Path, code: str) -> None:
    source = "from voiceglimmer import hookimpl\n" + textwrap.dedent(code)
    folder = _write(tmp_path / "plugins", {"clumsy.py": source})
    problems = []
    plugins = load(
        [folder],
        entry_points=False,
        extra=[("nudger", announcer(["Time for a glimmer."]))],
        on_problem=problems.append,
    )
    journal = Journal(tmp_path / "journal.sqlite3")
    assistant = Assistant(plugins=plugins, journal=journal, clock=lambda: NOW)
    for _ in range(2):
        assert assistant.announcements() == ["Time for a glimmer."]
    assert len(problems) == 1 and problems[0].plugin == "clumsy", problems
    assert "announcements" in problems[0].what


def test_a_hung_listener_is_stopped_by_the_time_limit_and_the_wrapper_still_finishes(
    tmp_path: Path,
) -> None:
    seen: list[str] = []

    class Stuck:
        @hookimpl
        def glimmer_saved(self, glimmer, journal):
            while True:
                with contextlib.suppress(Exception):  # swallowing them can't keep it going
                    time.sleep(60)

    class Watcher:
        @hookimpl(wrapper=True)
        def glimmer_saved(self, glimmer, journal):
            result = yield
            seen.append(f"saved {glimmer.text}")
            return result

    assistant, plugins = _assistant(
        tmp_path, [("stuck", Stuck()), ("watcher", Watcher())], timeout=0.5
    )
    assistant.safety.assess("warm")  # its model trains on first use: not what is timed here
    began = time.monotonic()
    glimmer = assistant.save("the kettle's click")
    assert time.monotonic() - began < 5
    assert assistant.journal.get(glimmer.id) is not None
    assert seen == ["saved the kettle's click"]
    assert [(p.plugin, p.what) for p in plugins.problems] == [("stuck", "failed in glimmer_saved")]
    assert "took longer than 0.5 s" in plugins.problems[0].error


def test_intents_belong_to_the_plugin_that_registered_them_whatever_the_call_order(
    tmp_path: Path,
) -> None:
    from voiceglimmer.dialog.understanding import Intent

    running: list[str | None] = []

    class Eager:
        """Registers first (tryfirst) but was loaded second."""

        @hookimpl(tryfirst=True)
        def register_intents(self, register):
            register(Intent(name="eager", templates=["hello there"], handler=lambda t: "eager"))

    class Steady:
        @hookimpl
        def register_intents(self, register):
            register(Intent(name="steady", templates=["hello there"], handler=lambda t: "steady"))

    class Wrapping:
        """A wrapper can register intents too, before and after the others."""

        @hookimpl(wrapper=True)
        def register_intents(self, register):
            register(Intent(name="before", templates=["wrap up"], handler=lambda t: "before"))
            result = yield
            running.append(running_plugin())
            return result

    assistant, _ = _assistant(
        tmp_path, [("steady", Steady()), ("eager", Eager()), ("wrapping", Wrapping())]
    )
    handled = assistant.handle("hello there")
    # a tie between equal intents goes to load order, not to the order of the calls
    assert (handled.plugin, handled.reply.text) == ("steady", "steady")
    assert assistant.handle("wrap up").plugin == "wrapping"
    assert [(i.plugin, i.name) for i in assistant.registry.intents] == [
        ("steady", "steady"),
        ("eager", "eager"),
        ("wrapping", "before"),
    ]
    assert running == ["wrapping"]  # what a register() callback uses to know who calls
    assert running_plugin() is None
