"""The understanding pipeline: stages by confidence, as OpenVoiceOS orders them.

1. **template** (high): the plugins' sentence templates, exactly, as hassil
   matches them; tried on the words as said, then on the words as a
   recogniser's near-misses are corrected ("glamour" -> "glimmer", "seven a m"
   -> "7 am").
2. **robust** (medium): a classifier trained on the same templates and
   examples (:mod:`voiceglimmer.dialog.robust`) names the intent when no
   template matched; its slots are found by matching the templates against
   the sentence with its wrapping trimmed, and a glimmer's words by
   :mod:`voiceglimmer.dialog.slots`. A day said in the words is evidence for
   the intents with a ``when`` slot, which it fills.
3. **clarify** (low): when the classifier is unsure, or a glimmer's start is
   uncertain, the dialog asks ("Shall I save ... as a glimmer?") rather than
   guess.
4. **fallback**: a short, varied reply with one thing to try.

Crisis and distress come before all of these (see ``assistant``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from voiceglimmer.dialog import boundary, robust, slots, when
from voiceglimmer.dialog.answers import is_bare_answer
from voiceglimmer.dialog.robust import Prediction
from voiceglimmer.dialog.understanding import Intent, IntentRegistry, Match, clean_utterance
from voiceglimmer.wording import unstretched

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from voiceglimmer.dialog.robust import Model

#: Found words less likely than this to be a moment, by the boundary's reader of
#: left-out pieces, are the wrapping of a request to save one, not a glimmer.
WRAPPING = 0.25
#: Only this few words are judged whole as wrapping ("one of those glimmers for the book").
WRAPPING_WORDS = 8
#: Words told after a request to be asked and a full stop are offered for saving only
#: when the reader of pieces is this sure they name a moment.
CLEARLY_A_MOMENT = 0.95
#: The robust stage acts on its own above this confidence...
CONFIDENT = 0.55
#: Between ASK and CONFIDENT the dialog asks before acting ("Shall I save ...?",
#: "Did you mean ...?"); below ASK the fallback answers.
ASK = 0.40
#: A guess below ASK is still worth a question when it is at least this sure and
#: this many times as likely as the runner-up: with thirty-odd intents, "wanna save
#: one" can be clearly the saving kind at 0.38.
ASK_LEADING, LEAD = 0.30, 1.8
#: A runner-up at least this fraction as likely as the first guess wins when its own
#: template holds the words and the first guess's slots weren't found for sure.
RUNNER_UP = 0.5
#: The plugin whose intents (help, thanks, goodbye, "I can't do that") are answered
#: without asking first even when the classifier is unsure.
SMALL_TALK = "small-talk"
#: Small talk's guess that a request is for something the assistant can't do.
OUT_OF_SCOPE = f"{SMALL_TALK}/out_of_scope"
#: Small talk's greeting.
GREETING = f"{SMALL_TALK}/greeting"
#: Small talk guessed without confidence is answered only in this few words.
SMALL_TALK_WORDS = 8
#: A slot of this name holds a day or a stretch of days, read by the spoken dates
#: (``dialog.when``): "yesterday", "last week", "Sunday".
DAY_SLOT = "when"
#: How many times likelier a day said in the words makes the intents that take one:
#: "Read me Sunday please, that was my day off" asks for a day's glimmers.
DAY_EVIDENCE = 4.0
#: The free-text slot that holds a glimmer's words (the log plugin's convention,
#: and any plugin's that saves a glimmer from free text).
GLIMMER_SLOT = "glimmer"

#: What a recogniser writes for the product's own words, and what was meant.
NEAR_WORDS: dict[str, str] = {
    "glamour": "glimmer", "glamor": "glimmer", "glimmers": "glimmers", "glammer": "glimmer",
    "glimmer's": "glimmer's", "climber": "glimmer", "dimmer": "glimmer", "shimmer": "glimmer",
    "glimer": "glimmer", "glimma": "glimmer", "glimmah": "glimmer", "glamours": "glimmers",
    "savour": "savor", "saver": "savor", "savior": "savor", "saviour": "savor",
    "savouring": "savoring", "savoring": "savoring", "saving it": "savoring it",
}  # fmt: skip


@dataclass(frozen=True)
class Understood:
    """What an utterance means: the intent, its slots, and how it was found."""

    intent: Intent
    slots: dict[str, str]
    #: "template", "robust" or "clarify".
    stage: str
    confidence: float


@cache
def _near_re() -> re.Pattern[str]:
    words = sorted((w for w, v in NEAR_WORDS.items() if w != v), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)


def heard_as_meant(text: str) -> str:
    """The words with a recogniser's near-misses corrected and numbers said as words
    written as digits ("seven a m" -> "7 am"), for matching only."""
    fixed = _near_re().sub(lambda m: NEAR_WORDS[m.group(1).lower()], text)
    if re.search(r"[a-z]", fixed) and not re.search(r"\d", fixed):
        try:
            from text_to_num import alpha2digit

            fixed = alpha2digit(fixed, "en")
        except (ImportError, ValueError):
            pass
    return re.sub(r"\b(\d{1,2})(?::(\d\d))? ?([ap]) ?m\b", r"\1\3m", fixed.replace(" a m", " am"))


def as_said(value: str, meant: str, said: str) -> str:
    """``value``, found in ``meant`` (``said`` as meant: digits for number words, near
    words corrected), in the words of ``said``: the words are lined up, and a run
    that was rewritten ("seven forty two" -> "7 42") maps whole."""
    start = meant.find(value)
    if start < 0 or re.search(rf"(?<!\w){re.escape(value)}(?!\w)", said):
        return value  # said as it is meant, whole words ("yawn" is not "yawnnn")
    meant_words = [m.span() for m in re.finditer(r"\S+", meant)]
    said_words = [m.span() for m in re.finditer(r"\S+", said)]
    first = next(i for i, (_, e) in enumerate(meant_words) if e > start)
    last = next(i for i, (_, e) in enumerate(meant_words) if e >= start + len(value))
    lined = SequenceMatcher(
        a=[meant[a:b].lower() for a, b in meant_words],
        b=[said[a:b].lower() for a, b in said_words],
        autojunk=False,
    )
    to_said: dict[int, tuple[int, int]] = {}
    for _, a1, a2, b1, b2 in lined.get_opcodes():
        for i in range(a1, a2):
            if b2 > b1:
                to_said[i] = (b1 + (i - a1), b1 + (i - a1)) if a2 - a1 == b2 - b1 else (b1, b2 - 1)
    if first not in to_said or last not in to_said:
        return value
    return said[said_words[to_said[first][0]][0] : said_words[to_said[last][1]][1]]


#: Glimmers as people tell them, put together from the boundary pieces, that the robust
#: stage learns as the saving intent's sentences (its templates alone say "glimmer").
TOLD = 100


class Pipeline:
    """The stages above, over one registry of intents."""

    def __init__(
        self,
        registry: IntentRegistry,
        cache_dir: Path | None,
        match: Callable[[str], Match | None],
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.registry = registry
        self.cache_dir = cache_dir
        self._match = match
        #: Today, for finding a day said inside other words (none: days aren't looked for).
        self.clock = clock
        self._model: Model | None = None
        self._loaded = False
        self._dated_labels: frozenset[str] | None = None
        self._boundary: boundary.Model | None = None
        self._boundary_loaded = False

    @property
    def model(self) -> Model | None:
        """The classifier, loaded (or trained) the first time a sentence needs it."""
        if not self._loaded:
            saver = self.saver()
            key = f"told-{TOLD}-{saver.label}-{boundary.cache_key()}" if saver else ""
            self._model = robust.model_for(self.registry, self.cache_dir, self.told, key)
            self._loaded = True
        return self._model

    def told(self) -> list[tuple[str, str]]:
        """Glimmers as people tell them, as the saving intent's sentences for the
        classifier (its templates alone say "glimmer")."""
        saver = self.saver()
        return [(t, saver.label) for t in boundary.told(TOLD)] if saver is not None else []

    @property
    def boundary(self) -> boundary.Model | None:
        """The learned moment boundary, loaded (or trained) the first time it is needed."""
        if not self._boundary_loaded:
            self._boundary = boundary.model_for(self.cache_dir)
            self._boundary_loaded = True
        return self._boundary

    def template(self, text: str, said: str = "") -> Understood | None:
        """Stage 1: a template matches the words: as said, as meant, then without a
        greeting or apology in front ("Good morning. I'd like to record a glimmer: ...").

        ``text`` is the utterance cleaned of fillers; ``said``, when given, is how it
        was said, which a glimmer's last words are taken from ("... waited for me")."""
        tried: list[str] = []
        for candidate in (text, self._as_meant(text), _unwrapped(text)):
            if candidate in tried or not candidate:
                continue
            tried.append(candidate)
            match = self._match(candidate)
            if match is not None:
                saver = self.saver()
                words = match.slots.get(GLIMMER_SLOT, "")
                saving = match.intent is saver and bool(words)
                told = _as_told(candidate, said)
                if saving:
                    words = _with_cleaned_tail(words, told)
                refined = slots.refine(words, told, self.boundary) if saving else words
                if (
                    match.intent is saver
                    and self.wrapping(words, text)
                    and (not refined or self.wrapping(refined, text))
                ):
                    # "I have a glimmer. Ready when you are." names no moment: the
                    # person wants to be asked (or meant something else entirely); the
                    # template's words, trimmed, may still hold one ("Glimmer for today
                    # is, no rain all day haha")
                    return self._not_a_glimmer(text, saver)
                values = dict(match.slots)
                if saving:
                    # kept in the words as said: "at seven forty two", not "at 7 42"
                    values[GLIMMER_SLOT] = as_said(refined, candidate, text)
                return Understood(match.intent, values, "template", 1.0)
        return None

    def _as_meant(self, text: str) -> str:
        """:func:`heard_as_meant`, and stretched letters said as a word the classifier
        learned ("heyyy bestie", "soooo what did I save yesterdayyy")."""
        return heard_as_meant(unstretched(text, self._known))

    def _known(self, word: str) -> bool:
        model = self.model
        return model is not None and word in model.vocabularies[0]

    def wrapping(self, words: str, text: str = "") -> bool:
        """Whether a would-be glimmer is only the wrapping of a request to save one: words
        that name no moment ("for you", "hold on"), only where or when one was had
        ("I think I had a glimmer at school today?"), or that the boundary's reader of
        left-out pieces hears as a lead-in or closing ("one of those glimmers for the
        book", "for you now, if you'd be so kind as to take it down")."""
        if not_a_moment(words) or only_when_or_where(words, text):
            return True
        model = self.boundary
        if model is None or model.pieces is None or not 2 <= len(words.split()) <= WRAPPING_WORDS:
            # longer words hold a moment after their lead-in, if anything; one word
            # ("sunrise") is a moment unless it is listed above
            return False
        if re.search(rf"[:\u2014\u2013][\W_]*{re.escape(words[:12])}", text):
            return False  # "glimmer: a typo I will undo": the colon said where it starts
        return model.pieces.probabilities(words).get("moment", 1.0) < WRAPPING

    def _not_a_glimmer(self, text: str, saver: Intent) -> Understood | None:
        guess = self.robust(text)
        if guess is not None and guess.intent is not saver and guess.stage == "robust":
            return guess
        return self._ask_instead(0.9)

    def _asker(self) -> Intent | None:
        """The saver's sibling that asks "What was it?"."""
        saver = self.saver()
        return self.registry.intent(f"{saver.plugin}/ask_for_glimmer") if saver else None

    def _ask_instead(self, confidence: float) -> Understood | None:
        """ "What was it?" rather than saving words that name no moment."""
        asker = self._asker()
        return Understood(asker, {}, "robust", round(confidence, 3)) if asker else None

    def saver(self) -> Intent | None:
        """The intent that saves a glimmer from free text (its first example is suggested)."""
        return next(
            (i for i in self.registry.intents if i.suggest and GLIMMER_SLOT in i.slot_names()),
            None,
        )

    def robust(self, text: str, said: str = "") -> Understood | None:
        """Stage 2 (and 3): the classifier's intent, with slots found in the words (a
        glimmer's in the words as ``said``, when given: see :meth:`template`)."""
        if re.search(r"[{}\[\]|<>]", text):
            return None  # template syntax or markup, not words someone said
        if is_bare_answer(text):
            return None  # "yes", "okay" with no question asked: nothing to act on
        model = self.model
        if model is None:
            return None
        rest = _unwrapped(text) or text
        # whether the words after any greeting name a moment: asked once, when needed
        a_moment = cache(lambda: self._clearly_a_moment(rest))
        meant = self._as_meant(rest)
        prediction = model.predict(meant)
        whole = self._as_meant(text)
        if whole != meant:
            # the greeting in front may be all there is: "Good evening to you. God bless."
            greeted = model.predict(whole)
            if greeted.confidence > prediction.confidence and not a_moment():
                # "Morning! Frost on the lawn." greets, and tells a moment to offer
                meant, prediction = whole, greeted
            elif self._greeting_with_news(text, rest, prediction) and not a_moment():
                greeting = self.registry.intent(GREETING)
                if greeting is not None:
                    return Understood(greeting, {}, "robust", round(1 - prediction.confidence, 3))
        day = cache(lambda: self._day(meant))  # looked for once, when first needed
        if prediction.label not in self._dated() and _LAST.search(meant):  # cheap test first
            # "what did I put down last Tuesday": the "last" is the day's, not "my last
            # glimmer"; read without it, a request for a day's glimmers is what it is
            said = day() or ""
            if _LAST.search(said):
                dayless = model.predict(meant.replace(said, _LAST.sub("", said).strip(), 1))
                if dayless.label in self._dated():
                    prediction = dayless
        if not _sounds_like_a_moment(text) and day() is not None:
            # a day said is evidence for the intents that take one ("a lovely walk on
            # Sunday" is a told moment, no request); when it doesn't make one of them
            # the likeliest, the first reading stands with its own confidence ("I think
            # I had a glimmer at work today?")
            weighed = model.predict(meant, dict.fromkeys(self._dated(), DAY_EVIDENCE))
            if weighed.label in self._dated():
                prediction = weighed
        intent = self.registry.intent(prediction.label)
        told = _as_told(text, said)  # a glimmer's words are found in these
        found = self._slots(intent, told, meant, day) if intent is not None else None
        if found is not None and prediction.label not in self._dated() and day() is not None:
            dated = self._day_not_topic(model, meant, prediction, found[0], day() or "")
            if dated is not None:
                prediction, intent = dated, self.registry.intent(dated.label)
                found = self._slots(intent, told, meant, day) if intent is not None else None
        runner_up = self._runner_up(prediction, text, meant, found, day)
        if runner_up is not None:
            return runner_up
        after_asking = self._told_after_asking(intent, prediction, told)
        if after_asking is not None:
            return after_asking
        torn = self._has_one(prediction, told)
        if torn is not None:
            return torn
        if intent is not None and intent.label == OUT_OF_SCOPE and _statement(text) and a_moment():
            # "Snow on the hills.": weather told as a moment, not asked for
            intent, found = None, None
        confident = intent is not None and prediction.confidence >= CONFIDENT
        saver = self.saver()
        if confident and found is not None and found[1]:
            said = found[0].get(GLIMMER_SLOT, "")
            if saver is not None and intent is saver and said and self.wrapping(said, text):
                # "Aye, got a wee glimmer the day": told one is coming, not what it was
                asked = self._ask_instead(prediction.confidence)
                if asked is not None:
                    return asked
            return Understood(intent, found[0], "robust", round(prediction.confidence, 3))  # type: ignore[arg-type]
        # an unsure guess of thanks or a greeting in a long sentence ("Evening! One for the
        # book if you would. The kettle ..., cheers love") is only its wrapping
        chatter = (
            intent is not None
            and intent.plugin == SMALL_TALK
            and intent.name != "help"  # "Could you tell me, please, what you are able to do? ..."
            and not confident
            and len(text.split()) > SMALL_TALK_WORDS
        )
        if (
            intent is not None
            and intent is not saver
            and found is not None
            and _worth_asking(prediction)
            and not chatter
        ):
            # another request, its slot unsure ("ones with my sister"): ask, or for
            # thanks, goodbye, help and "I can't do that", harmless to just answer
            stage = "robust" if intent.plugin == SMALL_TALK else "clarify"
            return Understood(intent, found[0], stage, round(prediction.confidence, 3))
        if intent is not None and intent is not saver and confident:
            # a request the classifier is sure of, said without what it needs ("stop
            # asking me the one-to-five question. The numbers are too imprecise"): say
            # how to ask for it, never offer the words as a glimmer
            return Understood(intent, {}, "clarify", round(prediction.confidence, 3))
        # Unsure: a statement that sounds like a moment is offered for saving, unless
        # another request is the likelier reading ("I'd love to savor the one about ...")
        elsewhere = (
            intent is not saver
            and prediction.confidence >= ASK_LEADING
            and not chatter
            # "Frost on the heather.": no other request when it asks nothing and the guess
            # is that it asks for what the assistant can't do, or for a request whose
            # words it lacks ("Frost on the lawn." names no day to read)
            and not (
                _statement(text)
                and (intent is None or intent.label == OUT_OF_SCOPE or found is None)
            )
        )
        if saver is not None and (
            # the likeliest reading is a save: asked about when unsure, or when a
            # lead-in said where the moment starts ("noting one. the blanket's weight")
            (intent is saver and found is not None and (_worth_asking(prediction) or found[1]))
            # or unsure, in a statement of words it knows ("Neighbour said cheers mate.")
            or (intent is saver and _statement(text) and model.known_words(text) >= 2)
            or (_sounds_like_a_moment(text) and not elsewhere)
            # "Clean sheets.", "toast in bed": a moment named in words the classifier knows
            or (_a_few_words(text) and not elsewhere and model.known_words(text) > 0)
        ):
            glimmer = slots.find_glimmer(told, self.boundary)
            if glimmer.words and self.wrapping(glimmer.words, told):
                asked = self._ask_instead(prediction.confidence)
                if asked is not None:
                    return asked
            if glimmer.words:
                stage = "robust" if intent is saver and glimmer.certain and confident else "clarify"
                return Understood(saver, {GLIMMER_SLOT: glimmer.words}, stage,
                                  round(prediction.confidence, 3))  # fmt: skip
        return None  # the fallback: one clear thing to try beats a wild guess

    def _told_after_asking(
        self, intent: Intent | None, prediction: Prediction, text: str
    ) -> Understood | None:
        """A request to be asked for a glimmer that goes on to tell it, after a colon or
        dash the rules are sure of ("I should like to record a glimmer, if I may: the
        frost on the window"): the moment is saved, not asked for; after a full stop it
        is offered for saving. Words after it that name no moment: asked what it was."""
        saver = self.saver()
        if saver is None or intent is None or prediction.confidence < ASK_LEADING:
            return None
        if intent is not self._asker() and intent is not saver:
            return None  # the saver, unsure, is as sure as the rules after a colon
        glimmer = slots.find_glimmer(text, self.boundary)
        if not glimmer.certain or not glimmer.words:
            return None
        if self.wrapping(glimmer.words, text):
            # "I think I had a glimmer at work today?": only where it was had; asked
            return self._ask_instead(prediction.confidence)
        # told after a colon or dash; "May I add a glimmer to my collection?" tells nothing
        before = text[: text.find(glimmer.words)].rstrip()
        if glimmer.words not in text:
            return None
        if before.endswith((":", "-", "\u2014", "\u2013")):
            stage = "robust"
        elif before.endswith(".") and self._clearly_a_moment(glimmer.words):
            stage = "clarify"  # "can you save a glimmer. clean sheets": asked, to be sure
        else:
            return None
        return Understood(saver, {GLIMMER_SLOT: glimmer.words}, stage,
                          round(prediction.confidence, 3))  # fmt: skip

    def _clearly_a_moment(self, words: str) -> bool:
        """Whether the boundary's reader of pieces is all but sure ``words`` name a moment
        ("clean sheets", not "I have not decided on the wording yet")."""
        model = self.boundary
        if model is None or model.pieces is None:
            return False
        return model.pieces.probabilities(words).get("moment", 0.0) >= CLEARLY_A_MOMENT

    def _has_one(self, prediction: Prediction, text: str) -> Understood | None:
        """Torn between saving a glimmer and being asked for one ("aye got a wee glamour
        the day"), yet sure together that the person has one: the moment is offered for
        saving when the words hold one, else they are asked what it was."""
        saver, asker = self.saver(), self._asker()
        if saver is None or asker is None:
            return None
        together = prediction.confidence + prediction.second_confidence
        if {prediction.label, prediction.second} != {saver.label, asker.label} or (
            together < CONFIDENT or _worth_asking(prediction)
        ):
            return None  # one of the two is clear enough to go its own way
        glimmer = slots.find_glimmer(text, self.boundary)
        if (
            glimmer.words
            and not self.wrapping(glimmer.words, text)
            and self._clearly_a_moment(glimmer.words)
        ):
            # not "I'd like to save a glimmer. I will think of the words first."
            return Understood(saver, {GLIMMER_SLOT: glimmer.words}, "clarify",
                              round(together, 3))  # fmt: skip
        return self._ask_instead(together)

    def _runner_up(
        self,
        prediction: Prediction,
        text: str,
        meant: str,
        found: tuple[dict[str, str], bool] | None,
        day: Callable[[], str | None],
    ) -> Understood | None:
        """The classifier's second guess, when it is nearly as likely and one of its own
        templates holds the words ("Show me glimmers about chai": a search, its topic
        found by "glimmers about {topic}"), while the first guess's slots were not
        found for sure. A template match settles a near tie."""
        if found is not None and found[1]:
            return None  # the first guess has all it needs: nothing to settle
        second = self.registry.intent(prediction.second)
        if (
            second is None
            or second is self.saver()
            or not second.slot_names()
            or prediction.second_confidence < RUNNER_UP * prediction.confidence
        ):
            return None
        theirs = self._slots(second, text, meant, day)
        if theirs is None or not theirs[1] or not theirs[0]:
            return None
        # acted on only as surely as any other guess: below ASK, asked about first
        stage = "robust" if prediction.second_confidence >= ASK else "clarify"
        return Understood(second, theirs[0], stage, round(prediction.second_confidence, 3))

    def _greeting_with_news(self, text: str, rest: str, prediction: Prediction) -> bool:
        """A greeting with a little news that names no moment and asks for nothing
        ("Hello, it's me again, home from work.", "Hi, is me again, after my shift."): a
        greeting, whose answer asks for a glimmer; "Morning! Frost on the lawn." is still
        a moment, and so, for the pieces reader, is "Hey. Just got off a twelve." (the
        caller asks the pieces reader last, once)."""
        saving = self.registry.intent(prediction.label) is self.saver()
        return (
            bool(_GREETED.match(text))
            and (saving or prediction.confidence < CONFIDENT)
            and _statement(rest)
            and len(rest.split()) <= SMALL_TALK_WORDS
            and not _GLIMMER_WORD.search(rest)
        )

    def _day_not_topic(
        self, model: Model, meant: str, prediction: Prediction, values: Mapping[str, str], day: str
    ) -> Prediction | None:
        """The likeliest request that takes a day, when the reading's words would be only
        the day said ("I'd like to hear the glimmers I recorded on Monday" is no search
        for the word "Monday"): sure as the two readings together, for they are one."""
        said = {_bare(w) for w in day.split()} | _DAY_GLUE
        if not any(v.strip() and {_bare(w) for w in v.split()} <= said for v in values.values()):
            return None
        chances = model.probabilities(meant)
        weighed = {k: p * (DAY_EVIDENCE if k in self._dated() else 1.0) for k, p in chances.items()}
        dated = [k for k in weighed if k in self._dated()]
        if not dated:
            return None
        best = max(dated, key=weighed.__getitem__)
        sure = (weighed[best] + weighed[prediction.label]) / sum(weighed.values())
        return Prediction(best, sure, prediction.label, 0.0)

    def _day(self, meant: str) -> str | None:
        """The words of a day said inside ``meant``, if any ("yesterday arvo" -> yesterday)."""
        if self.clock is None or not when.speaks_of_time(meant):  # the cheap test first
            return None
        found = when.find_day(meant, self.clock())
        return found[0] if found is not None else None

    def _dated(self) -> frozenset[str]:
        """The intents that take a day (a ``when`` slot); the registry is set at start."""
        if self._dated_labels is None:
            self._dated_labels = frozenset(
                i.label for i in self.registry.intents if DAY_SLOT in i.slot_names()
            )
        return self._dated_labels

    def _slots(
        self, intent: Intent, text: str, meant: str, day: Callable[[], str | None]
    ) -> tuple[dict[str, str], bool] | None:
        """The intent's slots in ``text``, and whether they were found with confidence.

        A free-text glimmer is found by its lead-in; other slots by matching the
        intent's own templates against the words with the front or back trimmed.
        None when the intent needs slots that can't be found.
        """
        names = set(intent.slot_names())
        if not names:
            return {}, True
        if intent is self.saver():
            glimmer = slots.find_glimmer(text, self.boundary)
            if not glimmer.words:
                return None
            return {GLIMMER_SLOT: glimmer.words}, glimmer.certain
        for candidate in _trimmings(meant):
            match = self.registry.match_intent(intent, candidate)
            if match is not None and all(_fits(k, v) for k, v in match.slots.items()):
                return match.slots, True
        optional = intent.optional_slots()
        required = names - optional
        said_day = day() if DAY_SLOT in names else None
        if said_day is not None and required <= {DAY_SLOT}:
            # "what'd i save yesterday arvo" -> yesterday; "how many yesterday"
            return {DAY_SLOT: said_day}, True
        told = _told_after_colon(text)
        free = [n for n in names if intent.slots.get(n) is None and n != DAY_SLOT]
        if told and len(free) == 1:
            # "note: the heron was back": the words after a short request and a colon
            return {free[0]: told}, True
        if names <= optional:
            return {}, True
        if len(required) == 1:
            name = next(iter(required))
            spec = intent.slots.get(name)
            if spec is not None:
                # a slot of listed words: one of them said anywhere ("bro stop asking me
                # that every time" -> stop -> off); sure when only one meaning is said
                said = _listed(spec, meant)
                return ({name: said}, True) if said else None
            # "find the ones with coffee in them", "Ony aboot the dug?": the words after
            # the last "about", "with", "mentioning", "from", "on" are the slot
            value = slots.after_cue(meant) or _left_over(intent, meant)
            if value and _fits(name, value):
                return {name: value}, False
        return None


#: At most this many words before a colon make a request whose words follow it.
COLON_REQUEST_WORDS = 4


def _told_after_colon(text: str) -> str:
    """The words after a colon that closes a short request ("note: the heron was back",
    "Add a note: worked a double"), or nothing."""
    head, colon, rest = text.partition(":")
    rest = rest.strip(" .!")
    if not colon or not re.search(r"\w", rest) or re.match(r"\d", rest):  # "at 7:30"
        return ""
    return rest if 1 <= len(head.split()) <= COLON_REQUEST_WORDS else ""


def _fits(name: str, value: str) -> bool:
    """Whether ``value`` can fill slot ``name``: it says something, and a day slot's
    words speak of time ("Frost on the lawn." names no day to read glimmers from)."""
    return not _says_nothing(value) and (name != DAY_SLOT or when.speaks_of_time(value))


#: Words that wrap a request but name no moment ("for you", "hold on", "ready when you are").
_NO_MOMENT = frozenset(
    [
        "for",
        "you",
        "u",
        "to",
        "report",
        "record",
        "share",
        "note",
        "add",
        "log",
        "save",
        "the",
        "journal",
        "pls",
        "please",
        "plz",
        "now",
        "sec",
        "one",
        "hold",
        "hang",
        "on",
        "ready",
        "when",
        "are",
        "ask",
        "me",
        "go",
        "sorry",
        "i",
        "think",
        "maybe",
        "today",
        "day",
        "wait",
        "ok",
        "okay",
        "just",
        "a",
        "an",
        "wee",
        "got",
        "have",
        "yeah",
        "yes",
        "it",
        "this",
        "that",
        "here",
        "is",
        "what",
        "first",
        "let",
        "give",
        "us",
        "second",
        "minute",
        "moment",
        "tell",
        "say",
        "thing",
        "things",
        "something",
        "right",
        "so",
        "um",
        "uh",
        "er",
        "well",
        # politeness and banter around it: "for ya", "if that's okay", "you copy?"
        "ya",
        "yer",
        "y'all",
        "if",
        "that's",
        "thats",
        "alright",
        "fine",
        "mind",
        "don't",
        "dont",
        "will",
        "after",
        "another",
        "new",
        "entry",
        "quick",
        # "new glimmer just dropped", "glimmer incoming", "glimmer alert"
        "dropped",
        "incoming",
        "alert",
        "lemme",
        "copy",
        # who it's said to, in many Englishes: "I have a glimmer po", "got one for you hun"
        *slots.ADDRESS,
        "fam",
        "lah",
        "la",
        "o",
        "sha",
        "ji",
        "yaar",
        "bab",
        # the request itself: "I want to write it", "to put down", "for the book"
        "want",
        "wanna",
        "gonna",
        "would",
        "could",
        "can",
        "may",
        "like",
        "write",
        "keep",
        "put",
        "down",
        "book",
        "about",
        "of",
        "those",
        "them",
    ]
)


def not_a_moment(words: str) -> bool:
    """Whether a would-be glimmer is only wrapping ("for you", "hold on", "to report")."""
    found = re.findall(r"[\w']+", words.lower())
    return not [w for w in found if w not in _NO_MOMENT]


#: Where or when a glimmer was had, and nothing of what it was ("at school today").
_WHEN_OR_WHERE = re.compile(
    r"^(?:(?:at|in|on|during|after|before|over)\s+(?:the\s+|my\s+|our\s+|a\s+)?[\w']+)?"
    r"(?:\s*\b(?:today|tonight|yesterday|earlier|just now|this (?:morning|afternoon|evening)|"
    r"last night|the day))?[\s?.!]*$",
    re.IGNORECASE,
)
#: Saying one was had: "I think I had a glimmer", "got a wee one", "I've one".
_HAD_ONE = re.compile(
    r"\b(?:had|have|got|found|noticed|caught|'ve)\s+(?:a|one|another)\s+(?:\w+\s+)?"
    r"(?:glimmer|glamour|one)\b",
    re.IGNORECASE,
)


def only_when_or_where(words: str, text: str) -> bool:
    """Whether a would-be glimmer only says where or when one was had, after saying one
    was had without a colon or dash ("I think I had a glimmer at school today?"): the
    person is about to tell it, so they are asked what it was."""
    words = words.strip()
    return (
        bool(re.search(r"\w", words))
        and _WHEN_OR_WHERE.match(words) is not None
        and _HAD_ONE.search(text) is not None
        and re.search(r"[:\u2014\u2013]|\s-+\s", text) is None
    )


_QUESTION = re.compile(
    r"^(?:what|when|where|which|who|how|why|do|does|did|can|could|would|will|is|are|any|"
    # and run together, as typed in a hurry: "whats the weather fri", "hows it going"
    r"whats|wats|wots|wot|wat|hows|wheres|whens|whos|whys|"
    r"have|has|show|tell|read|find|play|set|turn|give|list|remind)\b",
    re.IGNORECASE,
)


#: Small words of everyday English: a statement with none of them is code, a name
#: list, or another language, not a moment someone is telling.
_EVERYDAY = frozenset(
    [
        "the",
        "a",
        "an",
        "my",
        "i",
        "me",
        "we",
        "our",
        "was",
        "were",
        "is",
        "it",
        "its",
        "and",
        "with",
        "on",
        "in",
        "at",
        "of",
        "to",
        "for",
        "when",
        "so",
        "she",
        "he",
        "her",
        "his",
        "they",
        "their",
        "them",
        "you",
        "your",
        "this",
        "that",
        "had",
        "have",
        "got",
        "felt",
        "saw",
    ]
)


#: Words that alone fill no slot: "show me glimmers" holds no day in "me".
_NOTHING = frozenset(
    [
        "me",
        "my",
        "i",
        "you",
        "your",
        "it",
        "its",
        "the",
        "a",
        "an",
        "them",
        "those",
        "these",
        "this",
        "that",
        "us",
        "our",
        "they",
        "their",
    ]
)


def _listed(spec: Sequence[str] | Mapping[str, str], text: str) -> str | None:
    """The one value of a slot list whose words ``text`` holds ("stop asking me that"
    -> "stop" -> off; the longest listed words are looked for first), or None when
    none is said or two values are ("turn it on, no, off")."""
    pairs = spec.items() if isinstance(spec, Mapping) else ((v, v) for v in spec)
    low = f" {slots.plain_words(text)} "
    found: dict[str, str] = {}
    for said, value in sorted(pairs, key=lambda p: -len(p[0])):
        words = slots.plain_words(said)
        if words and f" {words} " in low:
            found[value] = words
            low = low.replace(f" {words} ", " | ")
    return next(iter(found)) if len(found) == 1 else None


def _left_over(intent: Intent, text: str) -> str:
    """What a request is about: ``text`` without the words the intent asks with at its
    front and back, up to the first remark ("Read me Sunday please, that was my day
    off" -> "Sunday")."""
    asks = intent.request_words() | _POLITE

    def asking(word: str) -> bool:
        bare = _bare(word)  # "what'd I save" asks as "what did I save" does
        return bare in asks or re.sub(r"'(?:d|s|ll|re|ve)$", "", bare) in asks

    words = text.split()
    while words and asking(words[0]):
        words.pop(0)
    while words and asking(words[-1]):
        words.pop()
    # what it is about comes first; a remark after it is not ("Sunday please, that was
    # my day off" -> "Sunday")
    said = re.split(r"(?<=\w)[,.;!?]\s", " ".join(words), maxsplit=1)[0]
    words = said.split()
    while words and asking(words[-1]):
        words.pop()
    said = " ".join(words).strip(" ,.;:?!")
    return "" if _says_nothing(said) or not re.search(r"\w", said) else said


#: Politeness and filler around a request, never what it is about.
_POLITE = frozenset(
    {"please", "pls", "plz", "could", "can", "would", "you", "u", "kindly", "just", "now",
     "ok", "okay", "so", "um", "uh", "hey", "again", "instead", "then", "thanks", "mate",
     "dear", "love", "lol", "haha"}
)  # fmt: skip


#: A greeting in front of the words.
_GREETED = re.compile(
    r"^(?:(?:hello|hi|hey|hiya|howdy|heya|yo|good (?:morning|afternoon|evening|day))\b|"
    r"(?:morning|mornin'?|evening|afternoon)[.!,])",
    re.IGNORECASE,
)
#: Words that name the practice: news with them in it is about a glimmer.
_GLIMMER_WORD = re.compile(
    rf"\b(?:(?:{slots.GLIMMER})s?|moments?|save|note|log|savou?r|journal)\b", re.IGNORECASE
)
#: "last" in a day said ("last Tuesday", "last night"): no "latest".
_LAST = re.compile(r"\blast\b", re.IGNORECASE)
#: Words around a day said that don't make a topic of it ("from", "on Monday").
_DAY_GLUE = frozenset({"on", "from", "of", "the", "about", "for", "in", "at", "during", ""})


def _bare(word: str) -> str:
    return re.sub(r"[^a-z']", "", word.lower())


def _says_nothing(value: str) -> bool:
    """Whether a slot's words are only pronouns and articles."""
    return all(w in _NOTHING for w in re.findall(r"[\w']+", value.lower()))


def _worth_asking(prediction: robust.Prediction) -> bool:
    """Whether the classifier's guess is worth a clarifying question."""
    return prediction.confidence >= ASK or (
        prediction.confidence >= ASK_LEADING
        and prediction.confidence >= LEAD * prediction.second_confidence
    )


def _sounds_like_a_moment(text: str) -> bool:
    """A plain statement of several words in everyday English, not a question or a command."""
    words = _unwrapped(text) or text
    found = re.findall(r"[a-z']+", words.lower())
    return (
        len(found) >= 3
        and sum(w in _EVERYDAY for w in found) >= 2
        and not re.search(r"[;${}\[\]|%<>=]", words)
        and not words.rstrip().endswith("?")
        and not _QUESTION.match(words)
    )


def _as_told(text: str, said: str) -> str:
    """The words as said, when ``text`` is them cleaned of fillers; else ``text``."""
    return said if said and clean_utterance(said) == clean_utterance(text) else text


def _with_cleaned_tail(words: str, told: str) -> str:
    """A glimmer's ``words`` with what cleaning took off the end of the utterance as
    ``told``: "... waited for me", "... came back okay", "... said thank you" are the
    moment's own words (the boundary's rules drop a closing "thanks" or "please")."""
    whole = " ".join(told.replace("\u2019", "'").split())
    cleaned = clean_utterance(whole)
    at = whole.rfind(cleaned) if cleaned else -1
    tail = whole[at + len(cleaned) :] if at >= 0 else ""
    if not tail.strip() or not cleaned.rstrip(" .!?").endswith(words.rstrip(" .!?")):
        return words
    return words.rstrip() + tail.rstrip()


#: A request's first word: a question's, or a command's.
_REQUEST = re.compile(
    r"^(?:put|add|delete|remove|stop|cancel|tag|make|start|skip|undo|forget|share|send|switch|"
    r"go|help|let'?s|please)\b",
    re.IGNORECASE,
)


def _statement(text: str) -> bool:
    """Words that tell rather than ask: no question, no command."""
    words = _unwrapped(text) or text
    return not (
        words.rstrip().endswith("?") or _QUESTION.match(words) or _REQUEST.match(words)
    ) and bool(re.search(r"[^\W\d_]", words))


def _a_few_words(text: str) -> bool:
    """A moment named in a few words ("Clean sheets.", "toast in bed", "Frost on the
    heather."), not a question or a command."""
    words = _unwrapped(text) or text
    found = re.findall(r"[^\W\d_][\w']*", words)
    return (
        1 <= len(found) <= 5
        and _statement(text)
        and not re.search(r"[;${}\[\]|%<>=]", words)
        and not not_a_moment(words)
    )


def _unwrapped(text: str) -> str:
    """The words without a greeting, filler or apology in front."""
    return slots.without_opening(text)


def _trimmings(text: str) -> list[str]:
    """The words with up to six words dropped from the front, then from the back."""
    words = text.split()
    out: list[str] = []
    for front in range(min(7, len(words))):
        for back in range(min(4, len(words) - front)):
            part = " ".join(words[front : len(words) - back])
            if part:
                out.append(part)
    return out
