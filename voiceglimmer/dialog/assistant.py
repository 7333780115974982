"""Handling: one utterance in, one reply out, with memory between turns.

The conversation state lives here, not in plugins: which question is pending,
and which glimmer "it" and "that" refer to. Plugin handlers get a ``Turn``
that lets them save, look up and ask, and every call into a plugin is fenced
so a failing plugin costs one apologetic reply, never the session.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from voiceglimmer import crisis
from voiceglimmer.dialog.deadline import HandlerTimeout, deadline
from voiceglimmer.dialog.plugin_manager import PLUGIN_FAILURES, Plugins, contained_output
from voiceglimmer.dialog.understanding import (
    Intent,
    IntentRegistry,
    Match,
    TemplateCache,
    clean_utterance,
)
from voiceglimmer.events import (
    FollowUp,
    Glimmer,
    Handled,
    Reply,
    Savoring,
    Segment,
    Source,
    Utterance,
)
from voiceglimmer.store import clock
from voiceglimmer.store.journal import Journal, JournalWriteError

#: An intent at least this high is answered even while a question is pending.
URGENT_PRIORITY = 1000

#: How many of the newest entries are looked through for one that may be read back.
LOOK_BACK = 50

#: Characters of one utterance that the matcher reads. Matching costs grow
#: faster than the text, so a pasted page would hold it for minutes; a free-text
#: slot that runs to the end of this much keeps the rest too, so a long glimmer
#: is still saved whole. The crisis check always reads everything.
UNDERSTOOD_CHARS = 2000
#: The longest utterance taken at all: past this it is answered with a request
#: to say it shorter, and nothing is matched or saved.
MAX_UTTERANCE_CHARS = 200_000

CANCEL_WORDS = frozenset(
    {"cancel", "never mind", "nevermind", "stop", "forget it", "stop it", "cancel that", "quit"}
)
_YES = frozenset(
    {"yes", "yeah", "yep", "yup", "sure", "ok", "okay", "please", "go ahead", "alright",
     "all right", "of course", "definitely", "sounds good", "why not", "yes please", "do it",
     "let's do it", "let's", "i would", "i'd like that", "that would be nice", "absolutely",
     "yes i would", "sure thing", "go on", "more", "continue", "keep going", "mm hmm", "uh huh"}
)  # fmt: skip
_NO = frozenset(
    {"no", "nope", "nah", "not now", "no thanks", "no thank you", "maybe later", "later",
     "not really", "not today", "i'm good", "i am good", "no i'm fine", "that's all",
     "that's enough", "enough", "skip", "pass", "don't", "no need", "not right now"}
)  # fmt: skip


def _answer_words(text: str) -> str:
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[^\w' ]+", " ", text)
    text = (
        re.sub(r"\b(please|thanks|thank you|then)\b", " ", text)
        if text.strip() != "please"
        else text
    )
    return " ".join(text.split())


def yes_or_no(text: str) -> bool | None:
    """True for a yes, False for a no, None for anything else."""
    words = _answer_words(text)
    if words in _YES or (words.split()[:1] == ["yes"] and len(words.split()) <= 3):
        return True
    if words in _NO or (words.split()[:1] == ["no"] and len(words.split()) <= 3):
        return False
    return None


def is_cancel(text: str) -> bool:
    return _answer_words(text) in CANCEL_WORDS


@dataclass
class Turn:
    """What a handler gets: the words, its slots, and the means to act."""

    utterance: Utterance
    slots: dict[str, str]
    plugin: str
    assistant: Assistant
    #: Set by ``route``: the turn that really answered, for reporting.
    routed: Handled | None = None

    @property
    def journal(self) -> Journal:
        return self.assistant.journal

    @property
    def now(self) -> datetime:
        return self.assistant.clock()

    @property
    def rng(self) -> random.Random:
        return self.assistant.rng

    @property
    def last_glimmer(self) -> Glimmer | None:
        """The glimmer "it" and "that" mean: the one last saved or used this session.

        An entry holding words of harm is never "it": nothing offers to savor one.
        """
        if self.assistant.last_glimmer_id is not None:
            found = self.journal.get(self.assistant.last_glimmer_id)
            if found and not crisis.needs_care(found):
                return found
        return next(iter(crisis.readable(self.journal.latest(LOOK_BACK))), None)

    def use(self, glimmer: Glimmer) -> Glimmer:
        """Make ``glimmer`` the one a later "it" refers to."""
        self.assistant.last_glimmer_id = glimmer.id
        return glimmer

    def save_glimmer(self, text: str, *, when: datetime | None = None) -> Glimmer:
        """Commit a glimmer to disk, then tell plugins; returns once it is durable."""
        source: Source = "voice" if self.utterance.source == "voice" else "typed"
        return self.use(self.assistant.save(text, source=source, when=when))

    def record_savoring(
        self, glimmer: Glimmer, *, seconds: float, length: str, completed: bool = True
    ) -> Savoring:
        savoring = self.journal.record_savoring(
            glimmer.id, started_at=self.now, seconds=seconds, length=length, completed=completed
        )
        self.assistant.tell("glimmer_savored", glimmer=glimmer, savoring=savoring)
        return savoring

    def can_route(self, text: str) -> bool:
        """Whether some loaded plugin understands ``text``."""
        return self.assistant.registry.match(text) is not None

    def route(self, text: str) -> Reply:
        """Answer ``text`` as if the person had said it: hands over to whichever
        plugin claims it, without this plugin knowing that plugin's name."""
        self.routed = self.assistant.handle(Utterance(text, source=self.utterance.source))
        return self.routed.reply

    def state(self, key: str, default: Any = None) -> Any:
        """Plugin-private values that persist in the journal between sessions."""
        return self.journal.state_get(self.plugin, key, default)

    def set_state(self, key: str, value: Any) -> None:
        self.journal.state_set(self.plugin, key, value)


@dataclass(frozen=True)
class _Unsaved:
    text: str
    when: datetime
    source: Source


class UnsavedGlimmer(JournalWriteError):
    """A glimmer the journal refused; the words travel with the error."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(f"{reason} So your words aren't lost, here they are: \u201c{text}\u201d.")
        self.reason = reason
        self.text = text


@dataclass
class _Pending:
    follow_up: FollowUp
    plugin: str
    intent: str


@dataclass
class Assistant:
    """The dialog: routes each utterance to a plugin and keeps the thread."""

    plugins: Plugins
    journal: Journal
    clock: Callable[[], datetime] = clock.now
    rng: random.Random = field(default_factory=random.Random)
    #: Seconds a plugin may take for one turn or one event before it is stopped.
    handler_timeout: float = 5.0
    #: Where parsed templates are kept between runs (None: parse at every start).
    template_cache: Path | None = None
    registry: IntentRegistry = field(init=False)
    last_glimmer_id: int | None = field(default=None, init=False)
    #: Glimmers the disk refused, kept in memory and retried every turn.
    unsaved: list[_Unsaved] = field(default_factory=list, init=False)
    _pending: _Pending | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.registry = IntentRegistry(TemplateCache(self.template_cache))
        order = {name: n for n, name in enumerate(self.plugins.names())}
        # Called plugin by plugin (not as one hook call) so each intent knows
        # which plugin it came from and one broken plugin can't hide the rest.
        for impl in self.plugins.hook.register_intents.get_hookimpls():
            name = impl.plugin_name

            def register(intent: Intent, plugin: str = name) -> None:
                self._add_intent(intent, plugin, order.get(plugin, len(order)))

            try:
                impl.function(register=register)
            except Exception as exc:
                self.plugins.report(name, "failed in register_intents", exc)
        self.registry.cache.save()

    def _add_intent(self, intent: Intent, plugin: str, order: int) -> None:
        if not isinstance(intent, Intent):
            self.plugins.report(plugin, "registered something that is not an Intent", repr(intent))
            return
        try:
            self.registry.add(intent, plugin, order)
        except ValueError as exc:
            self.plugins.report(plugin, f"has a broken intent {intent.name!r}", exc)

    # -- services for handlers ---------------------------------------------

    def save(self, text: str, *, source: Source = "typed", when: datetime | None = None) -> Glimmer:
        """Commit a glimmer, or keep it in memory (and say so) if the disk refuses.

        Words of harm raise :class:`crisis.NotAGlimmer` and are never kept.
        """
        crisis.check_glimmer(text)
        when = when or self.clock()
        try:
            glimmer = self.journal.add(text, created_at=when, source=source)
        except JournalWriteError as exc:
            self.unsaved.append(_Unsaved(text.strip(), when, source))
            raise UnsavedGlimmer(str(exc), text.strip()) from exc
        self.tell("glimmer_saved", glimmer=glimmer)
        return glimmer

    def _retry_unsaved(self) -> list[Glimmer]:
        saved = []
        while self.unsaved:
            item = self.unsaved[0]
            try:
                glimmer = self.journal.add(item.text, created_at=item.when, source=item.source)
            except JournalWriteError:
                break
            self.unsaved.pop(0)
            saved.append(glimmer)
            self.tell("glimmer_saved", glimmer=glimmer)
        return saved

    def announcements(self) -> list[str]:
        """What plugins want said unprompted right now (due reminders and the like)."""
        said: list[str] = []
        for plugin, texts in self.plugins.call_each(
            "announcements", timeout=self.handler_timeout, now=self.clock(), journal=self.journal
        ):
            if texts is None:
                continue
            if isinstance(texts, list) and all(isinstance(t, str) for t in texts):
                # never say words of harm unprompted (a reminder's own words, say)
                said.extend(t for t in texts if t.strip() and not crisis.is_crisis(t))
            else:
                self.plugins.report(
                    plugin, "returned something odd from announcements", repr(texts)
                )
        return said

    def tell(self, hook: str, **kwargs: Any) -> None:
        """Fire an event hook; a plugin that raises or hangs is reported, not fatal."""
        for _ in self.plugins.call_each(
            hook, timeout=self.handler_timeout, journal=self.journal, **kwargs
        ):
            pass

    @property
    def awaiting(self) -> FollowUp | None:
        return self._pending.follow_up if self._pending else None

    # -- the turn ------------------------------------------------------------

    def handle(self, utterance: Utterance | str) -> Handled:
        if isinstance(utterance, str):
            utterance = Utterance(utterance)
        # First, before any plugin or pending question: no setting, plugin priority
        # or plugin time limit stands between words of harm and the pointer to help.
        if crisis.is_crisis(utterance.text):
            self._pending = None
            return Handled(utterance, crisis.crisis_reply(), plugin="crisis", intent="crisis")
        recovered = self._retry_unsaved() if self.unsaved else []
        handled = self._handle(utterance)
        if handled.plugin != "crisis" and crisis.is_crisis(handled.reply.text):
            # A reply that would say words of harm back (an old entry, a plugin's
            # own text): the pointer instead, and no question left open.
            self._pending = None
            return Handled(utterance, crisis.crisis_reply(), plugin="crisis", intent="crisis")
        for glimmer in recovered:
            handled.reply.segments.append(
                Segment(f"Good news: I could save \u201c{glimmer.text}\u201d after all.")
            )
        return handled

    def _handle(self, utterance: Utterance) -> Handled:
        if len(utterance.text) > MAX_UTTERANCE_CHARS:
            return Handled(utterance, Reply.say(
                f"That was more than I can take in at once ({len(utterance.text):,} "
                f"characters; the most is {MAX_UTTERANCE_CHARS:,}). Nothing was saved. "
                "Could you say it in a few sentences?"
            ), intent="too_long")  # fmt: skip
        text = clean_utterance(utterance.text)
        if not text:
            return Handled(utterance, Reply.say(
                "I didn't catch any words. Try saying, for example: "
                "I noticed a glimmer, the smell of fresh bread."
            ))  # fmt: skip

        if is_cancel(text):
            had_pending, self._pending = self._pending is not None, None
            reply = "Okay, let's leave that there." if had_pending else "Okay."
            return Handled(utterance, Reply.say(reply), intent="cancel")

        pending, self._pending = self._pending, None
        if pending:
            urgent = self._match(text)
            if urgent is not None and urgent.intent.priority >= URGENT_PRIORITY:
                pending = None
        if pending:
            if pending.follow_up.kind == "text":
                return self._run(
                    pending.follow_up.on_answer, utterance, pending.plugin, pending.intent,
                    {"answer": text},
                )  # fmt: skip
            answer = yes_or_no(utterance.text)
            if answer is not None:
                return self._run(
                    pending.follow_up.on_answer, utterance, pending.plugin, pending.intent,
                    {"answer": "yes" if answer else "no"},
                )  # fmt: skip
            # Neither yes nor no: the person moved on; treat it as a fresh request.

        match = self._match(text)
        if match is None:
            return Handled(utterance, self._help())
        return self._run(
            match.intent.handler, utterance, match.intent.plugin, match.intent.name, match.slots
        )

    def _match(self, text: str) -> Match | None:
        """The intent for ``text``, reading at most :data:`UNDERSTOOD_CHARS` of it."""
        if len(text) <= UNDERSTOOD_CHARS:
            return self.registry.match(text)
        cut = text.rfind(" ", 0, UNDERSTOOD_CHARS)
        head = text[: cut if cut > 0 else UNDERSTOOD_CHARS]
        match = self.registry.match(head)
        if match is None:
            return None
        rest = text[len(head) :]
        slots = {
            name: value + rest if value and head.endswith(value) else value
            for name, value in match.slots.items()
        }
        return replace(match, slots=slots)

    def _run(
        self,
        handler: Callable[[Turn], Reply | str | None],
        utterance: Utterance,
        plugin: str,
        intent: str,
        slots: dict[str, str],
    ) -> Handled:
        turn = Turn(utterance=utterance, slots=slots, plugin=plugin, assistant=self)
        try:
            with deadline(self.handler_timeout), contained_output():
                result = handler(turn)
        except crisis.NotAGlimmer:
            result = crisis.crisis_reply()
            plugin, intent = "crisis", "crisis"
        except UnsavedGlimmer as exc:
            result = Reply.say(
                str(exc), "I'll keep trying to save it while we talk.", data={"unsaved": exc.text}
            )
        except HandlerTimeout as exc:
            self.plugins.report(plugin, f"took too long handling {intent!r}", str(exc))
            result = Reply.say(
                f"Sorry, the {plugin} plugin took too long with that, so I stopped it. "
                "Anything you already saved is safe."
            )
        except PLUGIN_FAILURES as exc:
            # SystemExit and KeyboardInterrupt too: a plugin's sys.exit() must not end the
            # session (the person's Ctrl-C is read by the front end, outside plugin code).
            self.plugins.report(plugin, f"failed handling {intent!r}", exc)
            result = Reply.say(
                f"Sorry, the {plugin} plugin ran into a problem with that. "
                "Anything you already saved is safe."
            )
        if isinstance(result, str) and result.strip():
            result = Reply.say(result)
        if not isinstance(result, Reply):
            self.plugins.report(plugin, f"returned no reply for {intent!r}", repr(result)[:200])
            result = Reply.say(f"Sorry, the {plugin} plugin had no answer for that.")
        if turn.routed is not None and result is turn.routed.reply:
            return replace(turn.routed, utterance=utterance)
        if result.follow_up is not None:
            self._pending = _Pending(result.follow_up, plugin, intent)
        return Handled(utterance, result, plugin=plugin, intent=intent, slots=slots)

    def examples(self, limit: int = 4) -> list[str]:
        """A few things to say: the intents plugins marked ``suggest``, else each
        plugin's first example, in load order."""
        suggested = [i.examples[0] for i in self.registry.intents if i.suggest and i.examples]
        if suggested:
            return suggested[:limit]
        first: dict[str, str] = {}
        for intent in self.registry.intents:
            if intent.examples:
                first.setdefault(intent.plugin, intent.examples[0])
        return list(first.values())[:limit]

    def _help(self) -> Reply:
        examples = self.examples()
        if not examples:
            return Reply.say("I'm not sure what you meant, and no plugins are loaded to help.")
        said = "; ".join(f"\u201c{e}\u201d" for e in examples)
        return Reply.say(f"I'm not sure what you meant. You could say: {said}.")
