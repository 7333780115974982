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
from voiceglimmer.dialog.answers import Answer, is_bare_answer, read_answer
from voiceglimmer.dialog.deadline import HandlerTimeout, deadline
from voiceglimmer.dialog.pipeline import ASK, GLIMMER_SLOT, SMALL_TALK, Pipeline, Understood
from voiceglimmer.dialog.plugin_manager import (
    PLUGIN_FAILURES,
    Plugins,
    contained_output,
    running_plugin,
)
from voiceglimmer.dialog.safety import SafetyNet
from voiceglimmer.dialog.slots import ADDRESS, find_answer
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
    GlimmerSource,
    Handled,
    Reply,
    Savoring,
    Segment,
    Utterance,
)
from voiceglimmer.store import clock
from voiceglimmer.store.config import PluginSettings
from voiceglimmer.store.journal import Journal, JournalWriteError
from voiceglimmer.store.plugin_store import PluginStore
from voiceglimmer.wording import quote

#: An intent at least this high is answered even while a question is pending.
URGENT_PRIORITY = 1000
#: The intent that answers distress with a short grounding offer (the resourcing
#: plugin's); without it the dialog says GROUNDING itself.
DISTRESS_INTENT = "resourcing/steady"
GROUNDING = (
    "That sounds really hard. Let's take one slow breath together: in, and a longer breath out.",
    "If you can, feel your feet on the floor, and look for one thing that is steady near you.",
)

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

#: A short refusal or change of mind before a new request.
_TURNED_DOWN = re.compile(
    r"^\s*(?:no|nope|nah|naw|nay|no thanks|no thank you|not now|not yet|actually|wait|"
    r"hang on|before that|oh|um|hmm|instead)(?:[\s,.!;:\u2014\u2013-]+(?:dear|love|then|"
    r"thanks|thank you|actually|wait|no|first|instead))*[\s,.!;:\u2014\u2013-]+",
    re.IGNORECASE,
)
#: An answer that starts with a number, after a filler or two ("maybe a two, ...").
_LEADING_NUMBER = re.compile(
    r"^\W*(?:(?:um+|uh+|er+m*|ach|och|oh|well|maybe|probably|about|around|like|lowkey|"
    r"honestly|i'?d say|i think|a|an)\W+){0,3}(?:[1-5]|one|two|three|four|five)\b",
    re.IGNORECASE,
)
#: How sure the robust stage must be of a request that comes after an answer.
SURE_REQUEST = 0.7

#: The most words a calling-off has, with all that is said around it ("oh sorry, never
#: mind, cancel that, I didn't mean to start anything").
CANCEL_MOST_WORDS = 14
CANCEL_WORDS = frozenset(
    {"cancel", "never mind", "nevermind", "nvm", "stop", "forget it", "stop it", "cancel that",
     "quit", "skip it", "leave it"}
)  # fmt: skip
#: Said inside a short answer, these mean "let's drop the question" ("oh dear, I've
#: forgotten what it was, never mind").
_LETTING_GO = re.compile(
    r"\b(?:never ?mind|nvm|forget it|skip it|lost the thought|forgotten what it was|"
    r"can'?t remember what it was|cancel that|not anymore|doesn'?t matter)\b",
    re.IGNORECASE,
)


def _answer_words(text: str) -> str:
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[^\w' ]+", " ", text)
    return " ".join(text.split())


def yes_or_no(text: str) -> bool | None:
    """True for a yes, False for a no, None for anything else (see dialog.answers)."""
    return read_answer(text).yes


#: Ways of calling something off, and the words said around them ("ugh nvm cancel
#: cancel", "Sorry, I pressed wrong. Cancel please.", "aw never mind, forget I said anything").
_CALLING_OFF = re.compile(
    r"\b(?:never ?mind|nvm|cancel(?: (?:it|that|this|please))?|stop(?: it| that)?|quit|"
    r"forget (?:it|that|i said anything|i asked|about it)|skip it|leave it|scratch that|"
    r"ignore (?:that|me)|disregard (?:that|it|this|me)|let'?s not|"
    r"i'?ve changed my mind(?: about (?:that|it|this))?|i changed my mind)\b"
)
_AROUND_CALLING_OFF = re.compile(
    r"\b(?:ugh|aw+|oh|um+|uh+|er+m*|ach|och|argh|gah|meh|bah|whoops|oops|eh|gosh|jeez|"
    r"sorry|please|pls|now|then|ok|okay|actually|just|wait|no|nah|ah|hmm+|so|that|this|all|"
    r"right|thanks|not (?:right )?now|"
    # who they're talking to: "forget it, mate", "never mind, love"
    rf"{'|'.join(ADDRESS)}|honey|son|dude|man|lad|lass|darlin[g']?|babe|sweetheart|"
    r"(?:it )?doesn'?t matter|(?:it'?s|is) nothing|not important|"
    r"i (?:pressed|press|hit|clicked|tapped|touched) (?:the )?wrong(?: button| thing| one)?|"
    r"my (?:mistake|bad|fault)|wrong button|by (?:mistake|accident)|accidentally|"
    r"i didn'?t mean (?:it|that|to(?: (?:call|wake|ask|talk to|say that to) you| (?:start|do|"
    r"say|press) (?:anything|that|this|it))?)|"
    r"i'?d rather not(?: say)?)\b"
)


#: "don't stop", "can't stop smiling": a stop that asks for more, or isn't a request.
_NOT_STOPPING = re.compile(r"\b(?:don'?t|do not|never|can'?t|cannot|won'?t) stop\b")


def calls_off(text: str) -> bool:
    """Whether ``text`` calls something off anywhere in it ("wait, cancel, I'll do it
    later"), "don't stop" aside."""
    return _CALLING_OFF.search(_NOT_STOPPING.sub(" ", _answer_words(text))) is not None


def is_cancel(text: str) -> bool:
    """Whether ``text`` only calls things off ("cancel", "never mind that now, cancel it")."""
    words = _answer_words(text)
    if words in CANCEL_WORDS:
        return True
    if len(words.split()) > CANCEL_MOST_WORDS or not _CALLING_OFF.search(words):
        return False
    rest = _AROUND_CALLING_OFF.sub(" ", _CALLING_OFF.sub(" ", words))
    return not rest.split()


#: Where a short answer may end and a request begin: a sentence's end, or a comma
#: ("Not just now, but could you ...").
_CLAUSE_END = re.compile(r"[.!?;\u2026]+\s+|,\s*(?:but\s+|and\s+)?|\s+[\u2014\u2013-]+\s+")
#: The most words an answer before a request has ("Not just now love, I've a pie in").
ANSWER_WORDS = 8


def _after_the_answer(text: str) -> str | None:
    """The words after a short answer that opens ``text`` ("No. Read me Monday's
    instead.", "Skip the rest. What's my streak at?", "Not right now son. Tell me how
    many ..."), or None when it doesn't open with one."""
    match = _TURNED_DOWN.match(text)
    if match is not None:
        return text[match.end() :].strip()
    for end in _CLAUSE_END.finditer(text):
        head = text[: end.start()]
        if len(head.split()) > ANSWER_WORDS:
            break
        if read_answer(head).yes is not None or lets_go(head):
            return text[end.end() :].strip()
    if not re.search(r"[.,!?;:\u2014\u2013]", text):
        # as a recogniser writes it, with no marks to end the answer: the longest
        # answer that a request follows ("not just now love i've a pie in how many ...")
        words = text.split()
        for n in range(min(ANSWER_WORDS, len(words) - 1), 0, -1):
            head, rest = " ".join(words[:n]), " ".join(words[n:])
            if _REQUEST_OPENS.match(rest) and (read_answer(head).yes is not None or lets_go(head)):
                return rest
    return None


def _opening_answer(text: str) -> Answer:
    """The answer a reply opens with, when the reply as a whole reads as none: the answer,
    then why ("Okay yeah, could we do the longer one? My counsellor said I rush them.",
    "Oh gosh no, don't delete that one, that's the one from the tournament!"). Only a
    mark ends the answer: as a recogniser writes it, nothing says where it stops."""
    for end in _CLAUSE_END.finditer(text):
        head = text[: end.start()]
        if len(head.split()) > ANSWER_WORDS:
            break
        answer = read_answer(head)
        if answer.yes is not None:
            return answer
    return Answer(None)


#: A request said not to be made: "don't delete that one", "no need to read them".
_NOT_ASKED = re.compile(r"^(?:don'?t|do not|never|no need to|please don'?t)\b", re.IGNORECASE)


#: How a request after an answer begins, when nothing marks where the answer ends.
_REQUEST_OPENS = re.compile(
    r"(?:what|what's|whats|how|tell|read|give|show|share|could|can|would|will|play|skip|"
    r"find|make|do|let's|lets|savor|savour|just|count|delete|is|are|any|remind|set|turn|"
    r"put|tag|start)\b",
    re.IGNORECASE,
)
#: Words that ask for something: after a no, a guess at a request is asked about only
#: when the words after it ask ("Nay. Read us back what I put yesterday."), not when they
#: tell why ("Nay, I've cows to see to.", "..., that's the one from the tournament!").
_ASKING = re.compile(
    rf"\?\s*$|^\W*(?:(?:instead|maybe|perhaps|please)\W+)*(?:{_REQUEST_OPENS.pattern}|"
    r"(?:go|search|look)\b)|\b(?:i'?d (?:like|love|rather|prefer)|i would (?:like|love|rather|"
    r"prefer)|i want|i wanna|can you|could you|would you|will you)\b",
    re.IGNORECASE,
)


def lets_go(text: str) -> bool:
    """A short answer that drops the question rather than answering it."""
    return is_cancel(text) or (len(text.split()) <= 14 and _LETTING_GO.search(text) is not None)


@dataclass
class Turn:
    """What a handler gets: the words, its slots, and the means to act.

    Everything a plugin may do to the conversation is a method here; the
    assistant behind it is private, so the dialog's own state (what "it"
    means, the pending question, the plugins' order) can change without
    breaking a plugin.
    """

    utterance: Utterance
    slots: dict[str, str]
    plugin: str
    _assistant: Assistant = field(repr=False, compare=False)
    #: Set by ``route``: the turn that really answered, for reporting.
    routed: Handled | None = None

    @property
    def journal(self) -> Journal:
        return self._assistant.journal

    @property
    def now(self) -> datetime:
        return self._assistant.clock()

    @property
    def rng(self) -> random.Random:
        return self._assistant.rng

    @property
    def last_glimmer(self) -> Glimmer | None:
        """The glimmer "it" and "that" mean: the one last saved or used this session.

        An entry holding words of harm is never "it": nothing offers to savor one.
        """
        if self._assistant.last_glimmer_id is not None:
            found = self.journal.get(self._assistant.last_glimmer_id)
            if found and not crisis.needs_care(found):
                return found
        return next(iter(crisis.readable(self.journal.latest(LOOK_BACK))), None)

    def find_answer(self, text: str) -> str:
        """The moment in an answer to "What was it?", without the words around it
        (:func:`~voiceglimmer.dialog.slots.find_answer` with the learned boundary)."""
        return find_answer(text, self._assistant.pipeline.boundary)

    def use(self, glimmer: Glimmer) -> Glimmer:
        """Make ``glimmer`` the one a later "it" refers to."""
        self._assistant.last_glimmer_id = glimmer.id
        return glimmer

    def stop_using(self, glimmer: Glimmer) -> None:
        """The opposite of :meth:`use`: after ``glimmer`` is deleted or forgotten, "it"
        no longer means it (and falls back to the newest readable glimmer). Nothing
        changes if "it" already means another one."""
        if self._assistant.last_glimmer_id == glimmer.id:
            self._assistant.last_glimmer_id = None

    def save_glimmer(self, text: str, *, when: datetime | None = None) -> Glimmer:
        """Commit a glimmer to disk, then tell plugins; returns once it is durable."""
        source: GlimmerSource = "voice" if self.utterance.source == "voice" else "typed"
        return self.use(self._assistant.save(text, source=source, when=when))

    def record_savoring(
        self, glimmer: Glimmer, *, seconds: float, length: str, completed: bool = True
    ) -> Savoring:
        savoring = self.journal.record_savoring(
            glimmer.id, started_at=self.now, seconds=seconds, length=length, completed=completed
        )
        self._assistant.tell("glimmer_savored", glimmer=glimmer, savoring=savoring)
        return savoring

    def can_route(self, text: str) -> bool:
        """Whether some loaded plugin understands ``text``: one of its templates holds the
        words, or the learned stage is sure enough to act on them ("bro stop asking me
        that every time" while a rating is awaited)."""
        return self._assistant.understands(text)

    def route(self, text: str) -> Reply:
        """Answer ``text`` as if the person had said it: hands over to whichever
        plugin claims it, without this plugin knowing that plugin's name."""
        self.routed = self._assistant.handle(Utterance(text, source=self.utterance.source))
        return self.routed.reply

    @property
    def store(self) -> PluginStore:
        """This plugin's own tables in the journal (declared with ``journal_schema``)."""
        return self.journal.plugin_store(self.plugin)

    def setting(self, name: str, plugin: str | None = None) -> Any:
        """This plugin's setting ``name``: config.toml's ``[plugins.NAME]`` value, else
        the default it declared with ``plugin_settings``. Name the ``plugin`` where the
        code may run in another plugin's turn (an answer to a question it asked for
        another plugin, as the reflection asks the savoring's calm check)."""
        return self._assistant.settings.get(plugin or self.plugin, name)

    def state(self, key: str, default: Any = None) -> Any:
        """Plugin-private values that persist in the journal between sessions."""
        return self.journal.state_get(self.plugin, key, default)

    def set_state(self, key: str, value: Any) -> None:
        self.journal.state_set(self.plugin, key, value)


def _sentences(value: object) -> bool:
    """What an ``announcements`` implementation may return: a list of sentences."""
    return isinstance(value, list) and all(isinstance(t, str) for t in value)


@dataclass(frozen=True)
class _Unsaved:
    text: str
    when: datetime
    source: GlimmerSource


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
    #: The question as asked (said again, once, when an answer is unclear).
    question: str = ""
    reasked: bool = False


@dataclass
class Conversation:
    """One conversation's thread: the question awaiting an answer and the glimmer last
    saved. A home with rooms keeps one per room over one assistant, so a follow-up in
    the kitchen is not taken as an answer in the bedroom."""

    pending: _Pending | None = None
    last_glimmer_id: int | None = None


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
    #: Where the trained understanding model is kept (None: beside the templates).
    model_cache: Path | None = None
    #: Each plugin's settings (config.toml's [plugins.NAME] over its declared defaults).
    settings: PluginSettings = field(default_factory=PluginSettings)
    registry: IntentRegistry = field(init=False)
    #: The conversation being held (swap it to hold another: see ``Conversation``).
    conversation: Conversation = field(default_factory=Conversation, init=False)
    #: Glimmers the disk refused, kept in memory and retried every turn.
    unsaved: list[_Unsaved] = field(default_factory=list, init=False)
    pipeline: Pipeline = field(init=False)
    safety: SafetyNet = field(init=False)

    @property
    def last_glimmer_id(self) -> int | None:
        return self.conversation.last_glimmer_id

    @last_glimmer_id.setter
    def last_glimmer_id(self, value: int | None) -> None:
        self.conversation.last_glimmer_id = value

    @property
    def _pending(self) -> _Pending | None:
        return self.conversation.pending

    @_pending.setter
    def _pending(self, value: _Pending | None) -> None:
        self.conversation.pending = value

    def __post_init__(self) -> None:
        self.registry = IntentRegistry(TemplateCache(self.template_cache))
        order = {name: n for n, name in enumerate(self.plugins.names())}

        def register(intent: Intent) -> None:
            # One hook call through pluggy (tryfirst, wrappers and all); the plugin
            # calling is the one whose hook code is running.
            plugin = running_plugin()
            if plugin is None:
                raise RuntimeError("register() works only while register_intents runs")
            self._add_intent(intent, plugin, order.get(plugin, len(order)))

        # A plugin that raises or hangs here is reported by name and the others
        # still register; the registry keeps intents in load order whatever the
        # order of the calls.
        with self.registry.cache.in_use():  # their sentence files' parse is kept there too
            self.plugins.call("register_intents", timeout=self.handler_timeout, register=register)
        self.registry.cache.save()
        self.safety = SafetyNet(
            self.model_cache or (self.template_cache.parent if self.template_cache else None),
            self.registry,
        )
        self.pipeline = Pipeline(
            self.registry,
            self.model_cache or (self.template_cache.parent if self.template_cache else None),
            self._match,
            self.clock,
        )

    def _add_intent(self, intent: Intent, plugin: str, order: int) -> None:
        if not isinstance(intent, Intent):
            self.plugins.report(plugin, "registered something that is not an Intent", repr(intent))
            return
        try:
            self.registry.add(intent, plugin, order)
        except ValueError as exc:
            self.plugins.report(plugin, f"has a broken intent {intent.name!r}", exc)

    # -- services for handlers ---------------------------------------------

    def save(
        self, text: str, *, source: GlimmerSource = "typed", when: datetime | None = None
    ) -> Glimmer:
        """Commit a glimmer, or keep it in memory (and say so) if the disk refuses.

        Words of harm raise :class:`crisis.NotAGlimmer` and are never kept.
        """
        crisis.check_glimmer(text)
        if self.safety.assess(text).is_crisis:
            raise crisis.NotAGlimmer(text)
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
        for texts in self.plugins.call(
            "announcements",
            timeout=self.handler_timeout,
            accept=_sentences,  # anything else is reported, by plugin, and not said
            now=self.clock(),
            journal=self.journal,
        ):
            # never say words of harm unprompted (a reminder's own words, say)
            said.extend(t for t in texts if t.strip() and not crisis.is_crisis(t))
        return said

    def tell(self, hook: str, **kwargs: Any) -> None:
        """Fire an event hook; a plugin that raises or hangs is reported, not fatal."""
        self.plugins.call(hook, timeout=self.handler_timeout, journal=self.journal, **kwargs)

    @property
    def awaiting(self) -> FollowUp | None:
        return self._pending.follow_up if self._pending else None

    # -- the turn ------------------------------------------------------------

    def understands(self, text: str) -> bool:
        """Whether ``text`` is a request some plugin would act on without asking first
        (a template, or a sure guess of the learned stage that is not a glimmer)."""
        if self.registry.match(text) is not None:
            return True
        guess = self.pipeline.robust(text)
        saver = self.pipeline.saver()
        return guess is not None and guess.stage == "robust" and guess.intent is not saver

    def handle(self, utterance: Utterance | str) -> Handled:
        if isinstance(utterance, str):
            utterance = Utterance(utterance)
        # First, before any plugin or pending question: no setting, plugin priority
        # or plugin time limit stands between words of harm and the pointer to help.
        assessment = self.safety.assess(utterance.text)
        if assessment.is_crisis:
            self._pending = None
            return Handled(utterance, crisis.crisis_reply(), plugin="crisis", intent="crisis",
                           stage="crisis", confidence=max(assessment.crisis, 0.5))  # fmt: skip
        recovered = self._retry_unsaved() if self.unsaved else []
        # "Two, I'm afraid, still a bit jittery": a number first answers the question
        # asked (a calm rating), when only the learned net heard tension in the rest;
        # the grounding is then offered after the answer rather than instead of it
        rated = (
            assessment.is_distress
            and not assessment.listed
            and self._pending is not None
            and _LEADING_NUMBER.match(utterance.text) is not None
        )
        handled = self._handle(utterance, assessment.is_distress and not rated)
        if rated and handled.stage == "answer" and self._pending is None:
            handled = self._offer_grounding(handled)
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

    def _handle(self, utterance: Utterance, distressed: bool = False) -> Handled:
        if len(utterance.text) > MAX_UTTERANCE_CHARS:
            return Handled(utterance, Reply.say(
                f"That was more than I can take in at once ({len(utterance.text):,} "
                f"characters; the most is {MAX_UTTERANCE_CHARS:,}). Nothing was saved. "
                "Could you say it in a few sentences?"
            ), intent="too_long")  # fmt: skip
        text = clean_utterance(utterance.text)
        said = " ".join(utterance.text.split())
        if not text and (self.pipeline.template(said) or self.pipeline.robust(said)):
            text = said  # "hi", "okay", "um hi": fillers, but said to be understood
        if not text:
            return Handled(utterance, Reply.say(
                "I didn't catch any words. Try saying, for example: "
                "I noticed a glimmer, the smell of fresh bread."
            ))  # fmt: skip

        # Distress right after crisis: a hard moment is never an answer or a glimmer.
        if distressed:
            self._pending = None
            return self._distress(utterance)

        if is_cancel(text):
            had_pending, self._pending = self._pending is not None, None
            reply = "Okay, let's leave that there." if had_pending else "Okay."
            return Handled(utterance, Reply.say(reply), intent="cancel", stage="template",
                           confidence=1.0)  # fmt: skip

        pending, self._pending = self._pending, None
        understood = self.pipeline.template(text, said)
        if pending and understood is not None and understood.intent.priority >= URGENT_PRIORITY:
            pending = None
        if pending:
            answered = self._answer(pending, utterance, text, understood)
            if answered is not None:
                return answered
            # Neither an answer nor anything else understood: the person moved on.

        if understood is None:
            understood = self.pipeline.robust(text, said)
        if said != text and (understood is None or self._only_offered(understood, text)):
            understood = self._as_said(said) or understood
        if understood is None:
            return Handled(utterance, self._help(), stage="fallback", confidence=0.0)
        if understood.stage == "clarify":
            return self._clarify(utterance, understood)
        return self._understood(utterance, understood)

    def _as_said(self, said: str) -> Understood | None:
        """A sure reading of the words as said, when the cleaned words meant nothing or
        were only offered for saving: "Nice, thanks." is thanks, though "thanks" is
        cleaned off a glimmer's end."""
        guess = self.pipeline.robust(said, said)
        if guess is None or guess.stage != "robust" or guess.intent is self.pipeline.saver():
            return None
        return guess

    def _only_offered(self, understood: Understood, text: str) -> bool:
        """Whether the cleaned words, a word alone, were only offered for saving, unsure
        ("Brilliant" of "Brilliant, thanks."; "Lovely walk by the river" stays offered)."""
        return (
            understood.stage == "clarify"
            and understood.intent is self.pipeline.saver()
            and len(text.split()) == 1
        )

    def _understood(self, utterance: Utterance, understood: Understood) -> Handled:
        intent = understood.intent
        handled = self._run(intent.handler, utterance, intent.plugin, intent.name, understood.slots)
        if handled.stage is None:
            handled = replace(handled, stage=understood.stage, confidence=understood.confidence)
        return handled

    def _answer(
        self, pending: _Pending, utterance: Utterance, text: str, understood: Understood | None
    ) -> Handled | None:
        """The pending question's answer, or None when the words are a new request."""
        follow_up = pending.follow_up
        if lets_go(text):
            # "Never mind savoring. Share that one.": dropped for a request made sure
            request = self._request_after_answer(text, pending, Answer(False))
            if request is not None and request.stage != "clarify":
                return self._understood(utterance, request)
            return Handled(utterance, Reply.say("Okay, let's leave that there."),
                           intent="cancel", stage="answer", confidence=1.0)  # fmt: skip
        if follow_up.kind == "text":
            if understood is not None:
                return None  # an exact request ("help", "what were yesterday's glimmers")
            # where the words would be saved as a glimmer, a sure request is not one
            saver = self.pipeline.saver()
            asks_for_a_glimmer = saver is not None and pending.plugin == saver.plugin
            guess = self.pipeline.robust(text) if asks_for_a_glimmer else None
            if (
                guess is not None
                and guess.stage == "robust"
                and guess.confidence >= SURE_REQUEST
                and guess.intent.label not in (f"{pending.plugin}/{pending.intent}",
                                               DISTRESS_INTENT)
                and (guess.intent.plugin != SMALL_TALK or guess.intent.name == "help")
                and guess.intent is not saver
            ):  # fmt: skip
                return None  # a sure request ("Ah, I forget. Just show me yesterday's")
            handled = self._run(
                follow_up.on_answer, utterance, pending.plugin, pending.intent, {"answer": text}
            )
            return replace(handled, stage="answer", confidence=1.0)
        answer = read_answer(text)
        if answer.yes and calls_off(text):
            # "wait, cancel, I'll do it later": calling it off in the same breath as
            # something like a yes is never a yes (a delete is not confirmed by it)
            return Handled(utterance, Reply.say("Okay, let's leave that there."),
                           intent="cancel", stage="answer", confidence=1.0)  # fmt: skip
        request = self._request_after_answer(text, pending, answer)
        if request is not None:
            # "No. Read me Monday's instead.": the answer only turns the offer down
            if request.stage == "clarify":
                return self._clarify(utterance, request)
            return self._understood(utterance, request)
        if answer.yes is not None and (understood is None or len(text.split()) <= 12):
            return self._answered(utterance, pending, answer)
        if understood is not None:
            return None
        guess = self.pipeline.robust(text)
        if guess is not None and guess.stage == "robust":
            return None
        opening = _opening_answer(text)
        if opening.yes is not None:
            # the answer, then why ("Okay yeah, the longer one? My counsellor says I rush
            # them."): nothing after it the pipeline is sure of, so it is the answer
            return self._answered(utterance, pending, opening)
        if pending.reasked or len(text.split()) > 6:
            return None  # asked twice already, or a whole new sentence: a new request
        # Unclear: ask again, once, briefly, keeping the question open.
        self._pending = replace(pending, reasked=True)
        again = pending.question or "Was that a yes or a no?"
        return Handled(
            utterance,
            Reply.say(
                f"Sorry, I didn't quite catch that. {again} A yes or a no is fine.",
                follow_up=follow_up,
            ),
            plugin=pending.plugin,
            intent=pending.intent,
            stage="clarify",
            confidence=0.0,
        )

    def _answered(self, utterance: Utterance, pending: _Pending, answer: Answer) -> Handled:
        """The pending question's follow-up, run with a yes or a no (and a length)."""
        slots = {"answer": "yes" if answer.yes else "no"}
        if answer.length:
            slots["length"] = answer.length
        handled = self._run(pending.follow_up.on_answer, utterance, pending.plugin,
                            pending.intent, slots)  # fmt: skip
        return replace(handled, stage="answer", confidence=1.0)

    def _request_after_answer(
        self, text: str, pending: _Pending, answer: Answer
    ) -> Understood | None:
        """A request after a short no or a change of mind ("No. Read me Monday's
        instead.", "Actually, could you find the ones about my sister"): understood
        with confidence, it is what the person wants, and the question is dropped.
        After a no, a likely request is asked about ("Did you mean: ...?") rather
        than lost: the no already said the question is done with."""
        rest = _after_the_answer(text)
        while rest and (further := _after_the_answer(rest)):
            rest = further  # "Nah, not now mate. How many ...": answers one after another
        if rest is None or len(rest.split()) < 3 or read_answer(rest).yes is not None:
            return None  # "No, thank you. Not this evening. Over.": still the answer
        if _NOT_ASKED.match(rest):
            return None  # "Oh gosh no, don't delete that one": the no, said twice
        found = self.pipeline.template(rest) or self.pipeline.robust(rest)
        if found is None:
            return None
        turned_down = answer.yes is not True and found.stage == "clarify"
        if turned_down and (found.confidence < ASK or found.intent is self.pipeline.saver()):
            return None
        if turned_down and not _ASKING.search(rest):
            return None  # "No, don't delete that one, that's the one from the tournament!"
        if not turned_down and (found.stage == "clarify" or found.confidence < SURE_REQUEST):
            return None
        # "Yes. Oh, and I noticed another glimmer: the birds at the feeder": a new moment
        # told, never lost to the answer before it
        told = found.intent is self.pipeline.saver() and bool(found.slots.get(GLIMMER_SLOT))
        if found.intent.plugin == SMALL_TALK or (found.intent.name == pending.intent and not told):
            return None  # "no thank you dear", "no, delete it": still the answer
        if found.intent.label == DISTRESS_INTENT and found.stage != "template":
            return None  # "Long one, I'm on my ten": the safety check hears hard moments
        return found

    def _clarify(self, utterance: Utterance, understood: Understood) -> Handled:
        """Ask before acting on a guess: "Shall I save ... as a glimmer?"."""
        intent, slots = understood.intent, understood.slots

        glimmer = slots.get(GLIMMER_SLOT)

        def save_these(words: str, turn: Turn) -> Reply:
            corrected = replace(understood, slots={**slots, GLIMMER_SLOT: words})
            return self._understood(turn.utterance, replace(corrected, stage="clarify")).reply

        def own_words(turn: Turn) -> Reply:
            said = turn.slots["answer"]
            words = "" if is_bare_answer(said) else find_answer(said, self.pipeline.boundary)
            return save_these(words, turn) if words else Reply.say("Okay, I'll leave it.")

        def answered(turn: Turn) -> Reply:
            if turn.slots.get("answer") == "yes":
                return self._understood(turn.utterance, replace(understood, stage="clarify")).reply
            if not glimmer:
                return Reply.say("Okay, I'll leave it.")
            # Not those words: the moment is never lost to a wrong guess at its edges.
            # "No, just the frost on the window" says which; a bare "no" is asked.
            match = _TURNED_DOWN.match(turn.utterance.text)
            rest = turn.utterance.text[match.end() :] if match else ""
            if len(rest.split()) >= 3 and read_answer(rest).yes is None:
                words = find_answer(rest, self.pipeline.boundary)
                if words:
                    return save_these(words, turn)
            return Reply.say(
                "Okay. What should I save? Say it just as you'd like it kept, or say never mind.",
                follow_up=FollowUp(on_answer=own_words, kind="text", name="own_words"),
            )

        if not glimmer and not set(intent.slot_names()) - intent.optional_slots() <= set(slots):
            # it needs words that weren't found (on or off, which day): show how to say it
            example = _nearest_example(intent, utterance.text)
            return Handled(
                utterance,
                Reply.say(f"I think you mean something like: \u201c{example}\u201d. "
                          "Say it that way and I'll do it.",
                          data={"proposed_intent": intent.label}),
                plugin=intent.plugin,
                intent=intent.name,
                slots=slots,
                stage="clarify",
                confidence=understood.confidence,
            )  # fmt: skip
        if glimmer:
            question = f"Shall I save \u201c{quote(glimmer)}\u201d as a glimmer?"
            data: dict[str, Any] = {"proposed_glimmer": glimmer}
        else:
            meant = self._in_their_words(intent, slots)
            if meant:
                question = f"Did you mean: \u201c{meant}\u201d?"
            else:
                example = intent.examples[0] if intent.examples else intent.name.replace("_", " ")
                question = f"Did you mean something like: \u201c{example}\u201d?"
            data = {"proposed_intent": intent.label}
        follow_up = FollowUp(on_answer=answered, name="clarify")
        self._pending = _Pending(follow_up, intent.plugin, intent.name, question)
        return Handled(
            utterance,
            Reply.say(question, follow_up=follow_up, data=data),
            plugin=intent.plugin,
            intent=intent.name,
            slots=slots,
            stage="clarify",
            confidence=understood.confidence,
        )

    def _in_their_words(self, intent: Intent, slots: dict[str, str]) -> str:
        """One of the intent's examples with the slots found in what the person said
        ("Any glimmers about tea?" -> "Any glimmers about the forest?"), so the question
        asks about their request, not a stranger's; "" when no example fits."""
        if not slots:
            return ""
        # an example that ends with what it is about reads best with other words there
        # ("Read me my glimmers from last week", not "What were yesterday's glimmers?")
        for example in sorted(intent.examples, key=lambda e: not _ends_with_slot(intent, e)):
            match = self.registry.match_intent(intent, example)
            if match is None or set(match.slots) != set(slots):
                continue
            said = example
            for name, value in match.slots.items():
                found = re.search(rf"(?i)(?<!\w){re.escape(value)}(?!\w)", said)
                if found is None:
                    break
                said = said[: found.start()] + slots[name] + said[found.end() :]
            else:
                return said
        return ""

    def _offer_grounding(self, handled: Handled) -> Handled:
        """After an answer that sounded tense: a short grounding, if the person wants it."""

        def grounding(turn: Turn) -> Reply:
            if turn.slots.get("answer") != "yes":
                return Reply.say("Okay. I'm here if you want it later.")
            return self._distress(turn.utterance).reply

        follow_up = FollowUp(on_answer=grounding, name="grounding")
        question = "Would a short grounding exercise help right now?"
        handled.reply.segments.append(Segment(question))
        handled.reply.follow_up = follow_up
        helper = self.registry.intent(DISTRESS_INTENT)
        plugin, intent = (helper.plugin, helper.name) if helper else ("", "distress")
        self._pending = _Pending(follow_up, plugin, intent, question)
        return handled

    def _distress(self, utterance: Utterance) -> Handled:
        """A short grounding offer, through the plugin that offers one (resourcing)."""
        helper = self.registry.intent(DISTRESS_INTENT)
        if helper is not None:
            handled = self._run(helper.handler, utterance, helper.plugin, helper.name, {})
            return replace(handled, stage="distress", confidence=1.0)
        return Handled(
            utterance,
            Reply.say(*GROUNDING),
            plugin=None,
            intent="distress",
            stage="distress",
            confidence=1.0,
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
        turn = Turn(utterance=utterance, slots=slots, plugin=plugin, _assistant=self)
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
            asked = result.segments[-1].text if result.segments else ""
            self._pending = _Pending(result.follow_up, plugin, intent, asked)
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


def _ends_with_slot(intent: Intent, example: str) -> bool:
    """Whether one of the intent's templates ends with a slot ("... from {when}") and
    the example reads like it (its last word is no template word)."""
    last = re.findall(r"[\w']+", example.lower())[-1:]
    return bool(last) and last[0] not in intent.request_words()


def _nearest_example(intent: Intent, said: str) -> str:
    """The intent's example sharing most words with what was said ("stop asking ..." ->
    "Turn off the calm check"), or its name."""
    if not intent.examples:
        return intent.name.replace("_", " ")
    words = set(re.findall(r"[\w']+", said.lower()))
    return max(intent.examples,
               key=lambda e: len(words & set(re.findall(r"[\w']+", e.lower()))))  # fmt: skip
