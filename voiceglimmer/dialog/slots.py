"""Finding the glimmer in what a person said: their words, without the wrapping.

People wrap a glimmer in a greeting, a lead-in ("so my therapist suggested I
try this, and I think today I noticed a glimmer when ..."), a request ("save
this one please,"), and trailing chatter ("..., thank you dear", "lol", "keep
that one"). The journal should hold the moment itself, in the person's own
words and capitals, with nothing of the moment lost. These rules find it:

- the last lead-in cue before the moment: "glimmer:" or "glimmer -", a request
  to keep something ("remember this:", "put down that", "save this one,"),
  "I noticed a glimmer when", "it was", "the moment was when";
- then trailing chatter is trimmed: short closing sentences that talk about
  the saving rather than the moment ("keep that one", "did that go in?"),
  and a closing politeness or laugh ("thank you dear", "lol").

``certain`` says whether a lead-in cue was found; without one (a plain
statement of a good moment) the dialog asks before it saves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voiceglimmer.dialog.boundary import Model

#: The word glimmer, and the near-words people and recognisers write for it.
GLIMMER = r"gl[ai]m+[eo]u?r|glimmers?|glimer|glamour"
_KEEP = (
    r"save|record|log|note(?: down)?|add|keep|remember|mind|put(?: it)? down|put in|"
    r"write(?: it)? down|jot(?: down)?|hold on to|hang on to|worth keeping|worth noting|"
    r"make a note(?: of)?|take a note(?: of)?"
)
#: Lead-ins after which the moment itself begins (case-insensitive, searched anywhere).
LEAD_INS: tuple[str, ...] = (
    # "glimmer: ...", "new glimmer - ...", "glimmer for today: ...", "glimmer. Coffee on ..."
    rf"\b(?:{GLIMMER})\b(?:\s+(?:for|from)\s+(?:today|tonight|this \w+|me))?"
    r"(?:\s+(?:i guess|please|pls|plz|today|just now|then|is|was))?\s*(?:[:—–]|-+|\.{1,3}|,)\s*",
    # "the glimmer is: ...", "content: ...", "the following moment: ...", "is this: ..."
    r"\b(?:the glimmer (?:is|was)|content|the following(?: moment)?|(?:is|was) this|"
    r"the moment i want (?:kept|saved|to keep) is(?: this)?)\s*:(?!\d)\s*",
    # "remember this: ...", "put it down: ...", "keep this wan: ...", "note this. ..."
    rf"\b(?:{_KEEP})\b(?:\s+(?:this|that|it|one|this one|wan|this wan|the following))?"
    r"(?:\s+(?:one|please|pls|plz|fur me|for me))*\s*(?:[:—–]|-+|\.)\s+",
    # "save this one please, the bus driver ...", "can you save this as a glimmer, ..."
    rf"\b(?:{_KEEP})\b\s+(?:this|it)(?:\s+(?:one|as a (?:{GLIMMER})))?"
    r"(?:\s+(?:please|pls|plz|for me))*(?:\s+before i forget)?\s*,\s*",
    # "please record as a glimmer that ...", "put down that ...", "remember for me, dear, that"
    rf"(?<!a )(?<!the )(?<!sticky )(?<!my )\b(?:{_KEEP})\b"
    rf"(?:[\s,]+(?:as a (?:{GLIMMER})|for me|please|dear))*[\s,]+that\s+",
    # "noting one. the blanket's weight", "logging this one: ..." (said as it's done)
    r"^(?:noting|logging|saving|adding|recording|jotting down) (?:one|this(?: one)?|another)"
    r"\s*(?:[.:,—–]|-+)\s+",
    # "add another one first, the rain on the skylight", "one more: ..."
    r"\b(?:add|save|log|put in|note) (?:another|one more)(?: one)?(?: first| too| as well)?"
    r"\s*(?:[.:,—–]|-+)\s+",
    r"\b(?:add|save|log|note) (?:another one|one more)(?: first| too| as well)?\s+(?=\w)",
    # "new glimmer my bestie ...", "add glimmer the song ..."
    rf"\b(?:new|another|add|save|log|record)\s+(?:a\s+)?(?:{GLIMMER})(?:\s+(?:pls|plz))?"
    r"\s+(?!to\b|for\b|please)",
    # "I have a glimmer to note down, please. The roses ..."
    rf"\b(?:{GLIMMER})\s+to\s+(?:{_KEEP})(?:\s+down)?(?:[\s,]+please)?\s*[.:,]\s+",
    # "I have a glimmer to record and I will state it now: ..."
    rf"\b(?:{GLIMMER})\b[^:]{{0,60}}:(?!\d)\s*",  # not the colon of "At 07:42"
    # "note down coffee still warm", "remember this warm socks" (at the start, unpunctuated)
    rf"^(?:please |can you |could you |would you )?(?:{_KEEP})(?: down)?"
    r"(?: (?:this|that|it|the following)(?: one| moment)?)?(?: please| for me)?\s+(?!that\b)",
    # unpunctuated, as a recogniser writes it: "save a glamour for me my grandson ...",
    # "new glimmer please sweet peas ...", "glimmer i guess the cat sat with me"
    rf"\b(?:{GLIMMER})\b(?:\s+(?:please|for me|for you|i guess|then|for today|today|"
    r"to (?:record|note|log|save|add|share|report|put in)(?: down)?(?: please)?|"
    r"(?:the )?(?:glimmer|moment) (?:is|was)))*\s+(?=\w)",
    # "Today I noticed the postman whistling" (at the start only)
    r"^(?:today |this morning |tonight |just now )?i (?:noticed|saw|spotted)\s+(?!a (?:gl))",
    # "I had a glimmer this morning when ...", "today I had a glimmer when ..."
    rf"\b(?:noticed|had|have|got|found|felt|caught|spotted)\s+(?:a |another |one )?"
    rf"(?:{GLIMMER})(?:\s+(?:today|this morning|this afternoon|this evening|tonight|"
    r"yesterday|just now|earlier))?\s*(?:,\s*)?(?:when|which was when|which was|:|-|,)\s*",
    # "something nice happened: ...", "something I want to keep, ..."
    r"\bsomething (?:nice|good|lovely|small|sweet|kind|i want to (?:keep|remember|save))"
    r"(?: happened)?(?: today| just now| earlier)?\s*(?:[:,—–]|-+)\s*",
    # "Sorry, correction, it was Saturday. My son ...", "... — wait no, it was last night — ..."
    r"\b(?:correction|correct myself|wait,? no|no wait|i mean|sorry)\b[^.:\u2014\u2013]{0,20}?"
    r"\b(?:it was|it were|it's|that was)\s+(?:on\s+)?(?:last night|this morning|yesterday"
    r"|today|tonight|(?:last\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b"
    r"(?:\s+(?:morning|afternoon|evening|night))?(?:\s*(?:[.:,\u2014\u2013]|-+)\s*|\s+)",
    # "good moment today, ...", "just had a lovely moment, ..."
    r"\b(?:good|nice|lovely|happy|small) (?:moment|thing)(?: today| just now)?\s*[:,—–-]\s*",
)
#: After a word that only opens ("well now", "bro", "mate"): a comma, or, as a recogniser
#: writes it without one, the words a moment starts with ("mate the walk home", "well
#: now the stars"); "mate brought me a coffee" keeps its mate.
OPENS = r"(?=\s*,|\s+(?:the|a|an|my|our|this|that|these|those|his|her|their|it|i|we)\b)"
#: Lead-ins of an answer to "What was it?" (the question already says "glimmer").
ANSWER_LEAD_INS: tuple[str, ...] = (
    rf"^(?:(?:oh|um+|uh+|hm+|hmm+|ah|och|eh|well now{OPENS}|well|so|ok|okay|right|yes|yeah|aye|"
    r"oh yes|ah yes|oh yeah|let me think|thank you for asking|is it recording|like|"
    r"wait what was it|oh gosh what was it|gosh what was it|what was it|i think|just|"
    r"wait no|no wait)\b[\s,.!?…]*)+",
    r"^(?:it was|it's|it wis|that was|the glimmer was|my glimmer was|the moment was|"
    r"it was when|the moment was when|just that|i think it was|i noticed|i saw)\b"
    r"(?:\s+(?:when|that))?[\s,:]*",
)
#: Openings that are not the moment: greetings, apologies, fillers.
OPENINGS = (
    r"^(?:(?:hello|hi|hey|hiya|good (?:morning|afternoon|evening)|"
    # "Morning!" greets; "Evening light on the piano" is the moment
    r"(?:morning|evening)(?=\s*[,.!?…]|\s+(?:all|everyone|there|love|dear)\b)|"
    rf"oh|um+|uh+|er+m*|hm+|ah|och|so|ok|okay|well now{OPENS}|well|right|sorry|please|pls|plz|"
    r"dear|like|"
    r"ok so|okay so|so like|idk|i guess|is it listening|is this on|gosh|ngl|tbh|yo|basically|"
    r"i don'?t know if this counts(?: but)?|idk if it counts(?: but)?|it'?s kind of small(?: but)?|"
    r"it'?s kinda dumb(?: but)?|ok its kinda dumb(?: but)?|"
    # "random but the pigeons ...", "ok so random, ..."; "random glimmer pls" asks for one
    r"random but|random(?=\s*[,.!…])|"
    # "Mate, the walk home ...", "bro, the sky ...", "ye know whit, the dug ..."
    rf"(?:bro|bruh|mate|dude|man|fam|girl|babe|hun|pal|lads|guys){OPENS}|"
    r"(?:you|ye|ya) know (?:what|whit|wot)(?=\s*,)|"
    r"(?:so )?it'?s kind of a long story but the short version is(?: that)?)\b[\s,.!?…]*)+"
)
#: Closing sentences about the saving, not the moment (whole sentences, short).
CLOSING_SENTENCES = (
    r"(?:keep(?:ing)?|sav(?:e|ing)|not(?:e|ing)|remember(?:ing)?|hold(?:ing)? on to|"
    r"log(?:ging)?|put(?:ting)?)\b.{0,30}",
    r"(?:can|could|would) you (?:keep|save|hold on to|remember|note)\b.{0,40}",
    r"(?:did|has) (?:that|it) (?:go|gone) (?:in|through)\b.{0,20}",
    r"that(?:'s| is)? it\b.{0,10}",
    r"worth (?:noting|keeping|saving)\b.{0,10}",
    r"i'?m (?:not sure|never sure|sorry)\b.{0,80}",
    r"(?:sorry|thank you|thanks|ta|cheers)\b.{0,30}",
    r"is that (?:the sort of thing|right|okay|ok|alright)\b.{0,20}",
    r"that was (?:nice|lovely|good|sweet)\b.{0,10}",
    r"(?:small victories|bless (?:him|her|them))\b.{0,10}",
    r"(?:it|that) (?:was|wis|is|made|brightened) (?:such |so |really |very |dead )?"
    r"(?:nice|lovely|a comfort|sweet|kind|good|my (?:whole )?day)\b.{0,30}",
    r"such a \w+(?: \w+)?(?: \w+)?",
    r"please (?:save|keep|note|record) (?:it|that|this)\b.{0,10}",
    r"i'?d like to (?:hold on to|keep|save|remember) (?:that|this|it)\b.{0,10}",
    r"(?:oh and also|anyway|but whatever)\b.{0,60}",
)
#: Closing clauses that talk about the moment rather than being it.
CLOSING_CLAUSES = (
    r",\s*(?:and|but|which|so)\s+(?:i want to remember|i'?d like to remember|i know that'?s|"
    r"my therapist|i'?m still|i can'?t really explain|is kind of funny|i haven'?t done that|"
    r"for once i wasn'?t|it felt grounding|i'?m not used to|could you|can you)\b.*$",
    r",\s*(?:could|can|would) you (?:hold on to|keep|save|remember|note)\b.*$",
    r",\s*(?:cannae believe it|dinnae laugh|that wis dead nice|is that the sort of thing.*)$",
    r",?\s+(?:oh and also|but whatever)\b.*$",
)
#: Closing words after the moment: politeness, laughs, hedges.
CLOSING_WORDS = (
    r"(?:[\s,.;!]+(?:thank you|thanks|ta|cheers)(?: (?:so much|dear|love|pet|hen))?|"
    r"[\s,.;!]+(?:dear|love|pet|hen|sorry)|[\s,.;!]+(?:lol|lmao|haha|ha ha|honestly|bless him|"
    r"tbh|fr(?: fr)?|ngl|no cap|istg|"
    r"bless her|if that's (?:ok|okay|alright)|if you don't mind|please)|[,.;!]+\s*(?:ok|okay)|"
    r"\s*🥺?\s*(?:save|keep) (?:that|this|it)(?: one| maybe)?|"
    r"[\s,.;!]+(?:keep|save) that(?: one)?(?: maybe)?|[\s,]+dinnae laugh|[\s,]+cannae believe it)"
    r"[\s.!,;]*$"
)

#: Words a moment never ends on: a request's stem whose verb was left out ("..., I'd
#: like to" of "I'd like to keep that"), a subject without its verb ("... in my own
#: kitchen i" of "i nearly cried"), a joining word or an article.
DANGLING_END = (
    r"[\s,;]+(?:(?:and|but|so)\s+)?(?:i'?d|i would|i should|i want|i wanna|i'?d love|we'?d|"
    r"could you|can you|would you|will you|please)(?:\s+(?:like|love|really|just|also))*"
    r"\s+to[\s.!,;]*$"
    r"|[\s,;]+(?:(?<!\band )i|i'?m|im|i'?ve|i'?d|and|but|or|the|an|pls|plz)[\s,;]*$"
)

#: Thanks that are part of the moment ("the patient's daughter said thank you").
QUOTED_THANKS = (
    r"\b(?:said|says|say|saying|told me|tell me|telling me|wrote|sent|a|big|with a|"
    r"whispered|shouted|mouthed)\s*,?\s*[\"'“]?(?:thank you|thanks)\b[\W]*$"
)


@dataclass(frozen=True)
class Found:
    """The glimmer's words, and whether a lead-in said where they start."""

    words: str
    certain: bool


@cache
def _lead_in_res() -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE) for p in LEAD_INS]


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _edges(words: str) -> str:
    """Separators off both ends, but a minus or decimal point before a number stays."""
    stripped = words.strip(" \t,;:-—–")
    start = words.find(stripped) if stripped else 0
    if start > 0 and words[start - 1] in "-." and stripped[:1].isdigit():
        stripped = words[start - 1] + stripped
    return stripped


def _trim(words: str) -> str:
    words = _edges(words)
    previous = None
    while previous != words:
        previous = words
        if not _compiled(QUOTED_THANKS).search(words):  # "...said thank you" is the moment
            words = _edges(_compiled(CLOSING_WORDS).sub("", words))
        for pattern in CLOSING_CLAUSES:
            cut = _edges(_compiled(pattern).sub("", words))
            if len(cut.split()) >= 3:
                words = cut
        if len(words.split()) > 2:
            words = _edges(_compiled(DANGLING_END).sub("", words))
        words = _restarted(_without_echo(words))
        # a closing sentence about the saving, not the moment
        told = sentences(words)
        if len(told) > 1 and any(
            _compiled(rf"^{p}[.!?]*$").match(told[-1]) for p in CLOSING_SENTENCES
        ):
            words = " ".join(told[:-1]).strip()
    if words.endswith(".") and not words.endswith(".."):
        words = words[:-1]
    return words.strip()


#: Titles whose full stop ends no sentence ("Mrs. B", "Dr. Rao").
TITLES = ("mrs", "mr", "ms", "dr", "st")
#: Who a person is talking to, said around what they mean ("forget it, mate", "I have a
#: glimmer po"): never the point of what they said.
ADDRESS = ("mate", "love", "dear", "hon", "hun", "pal", "bro", "pet", "duck", "po")
#: A sentence's end: a full stop, "!" or "?" and a space, but not a title's.
_SENTENCE_END = re.compile(
    r"(?<=[.!?])" + "".join(rf"(?<!\b{title}\.)" for title in TITLES) + r"\s+", re.IGNORECASE
)


def sentences(text: str) -> list[str]:
    """``text`` cut into its sentences."""
    return _SENTENCE_END.split(text)


def plain_words(text: str) -> str:
    """``text`` as its words alone, lowercase, one space apart: for comparing wordings."""
    return " ".join(re.findall(r"[\w']+", text.lower()))


#: Words said again for emphasis are a few: "First time!", "Learned it himself!".
ECHO_WORDS = 6


def _without_echo(words: str) -> str:
    """Without the last words said again for emphasis: "Captions worked first time at
    the cinema. First time!", or as heard, "learned it himself learned it himself"."""
    told = sentences(words)
    if len(told) > 1:
        last, before = plain_words(told[-1]), plain_words(" ".join(told[:-1]))
        if last and len(last.split()) <= ECHO_WORDS and f" {last} " in f" {before} ":
            return " ".join(told[:-1])
    said = words.split()
    for n in range(min(len(said) // 2, ECHO_WORDS), 2, -1):  # three words or more, twice
        if plain_words(" ".join(said[-n:])) == plain_words(" ".join(said[-2 * n : -n])):
            return " ".join(said[:-n])
    return words


#: A restart after a slip: "Maisie — sorry — Maisie said ...", "the baby laughed at
#: the— JACK put that DOWN— sorry, the baby laughed at the dog".
_RESTART = re.compile(r"[\s,.;!\u2014\u2013-]+(?:sorry|i mean|no wait)[\s,.;:\u2014\u2013-]+", re.I)


def _restarted(words: str) -> str:
    """The moment as said again after a slip, when it starts the same way again."""
    found = list(_RESTART.finditer(words))
    if not found or re.search(r"\b(?:said|say|says|saying)\W*$", words[: found[-1].start()]):
        return words  # "Mum said sorry, mum ...": the sorry was hers
    again = words[found[-1].end() :]
    first, second = plain_words(words).split()[:1], plain_words(again).split()[:1]
    return again if first and first == second and len(again.split()) >= 2 else words


def _opening(text: str) -> str:
    return _compiled(OPENINGS).sub("", text).strip()


_CUES = re.compile(
    r"\b(?:about|aboot|with|mentioning|mention|mentions|mentioned|involving|from|on|of|for|"
    r"regarding|concerning|featuring|related to|re:?)\s+",
    re.IGNORECASE,
)
_CUE_TAIL = re.compile(
    r"(?:[\s,]+(?:in them|in it|if (?:i may|you have them|you can|you don't mind|possible)|"
    r"please|pls|dear|instead|again|then)\b)+[\s?.!]*$|[\s?.!]+$",
    re.IGNORECASE,
)


def after_cue(text: str) -> str:
    """The words after the last "about", "with", "mentioning", "from", "on", "of" or "for"
    (a topic or a day asked about), without a polite tail."""
    found = list(_CUES.finditer(text))
    if not found:
        return ""
    words = text[found[-1].end() :]
    words = _CUE_TAIL.sub("", words).strip(" ,.;:?!")
    return words if re.search(r"\w", words) else ""


def without_opening(text: str) -> str:
    """``text`` without a greeting, filler or apology in front ("Hello there. Please ...")."""
    return _opening(" ".join(text.split()))


def find_glimmer(text: str, model: Model | None = None) -> Found:
    """The moment in a request to save one (no question pending).

    With the learned boundary ``model`` (see :mod:`voiceglimmer.dialog.boundary`)
    the moment is the span it finds, starting after a lead-in the rules below are
    sure of ("glimmer:", "put down that"), with closing politeness and laughs
    trimmed; without it, the rules alone. ``certain`` says whether the person
    asked for it to be kept (a lead-in was found)."""
    text = _opening(" ".join(text.split()))
    best = _lead_in_end(text)
    if model is not None:
        words = _learned(text, best, model)
        if words:
            return Found(words, best is not None)
    if best is not None:
        words = _trim(_opening(text[best:]))
        if words:
            return Found(words, True)
    return Found(_trim(_opening(text)), False)


#: The learned boundary reads utterances up to this many words; longer text (a letter
#: pasted into chat) is read by the rules alone.
LEARNED_WORDS = 150
_WORDY = re.compile(r"[^\W_]")
_COLON_BEFORE = re.compile(r"[:\u2014\u2013]\s*$")
_ATTACHED_BEFORE = frozenset("-.\u2026+(\"'\u2018\u201c\u00a3$\u20ac#")
_ATTACHED_AFTER = frozenset("!?.)\"'\u2019\u201d%")


def _learned(text: str, lead_in: int | None, model: Model) -> str:
    if len(text.split()) > LEARNED_WORDS:
        return ""  # a whole letter, not an utterance: the model never saw one
    span = model.span(text)
    if span is not None and lead_in is not None and span.start < lead_in < span.end:
        # the model took in part of a lead-in the rules are sure of: look after it
        inner = model.span(text[lead_in:])
        if inner is not None:
            span = replace(inner, start=lead_in + inner.start, end=lead_in + inner.end)
    if (
        span is not None
        and lead_in is not None
        and span.end > lead_in
        and _COLON_BEFORE.search(text[:lead_in])
    ):
        # "glimmer: ...": what follows the colon is the moment's start ("-5 degrees")
        span = replace(span, start=lead_in)
    if span is None:
        return ""
    start, end = span.start, span.end
    # marks written against the first or last word are the person's: "-5 degrees",
    # "...and then", "in Paris!", a closing quote; so are marks with no word beyond
    # them ("#1", "$(rm -rf ~)", an emoji)
    while start > 0 and text[start - 1] in _ATTACHED_BEFORE:
        start -= 1
    if not _WORDY.search(text[lead_in or 0 : start]):
        start = lead_in or 0
    while end < len(text) and text[end] in _ATTACHED_AFTER:
        end += 1
    if not _WORDY.search(text[end:]):
        end = len(text)
    words = _trim(_edges(text[start:end]))
    if len(words.split()) < 2 < len(text.split()) // 2:
        return ""  # a word or so of many: the model lost the thread ("where was I")
    return words


def _lead_in_end(text: str) -> int | None:
    best = None
    for pattern in _lead_in_res():
        for match in pattern.finditer(text):
            rest = text[match.end() :]
            # the last lead-in wins, but only one that comes before most of the words:
            # "... keep that one for me?" at the end is a request, not a lead-in
            if len(rest.split()) < 2 or match.start() > 0.6 * len(text):
                continue
            if best is None or match.end() > best:
                best = match.end()
    return best


def refine(slot: str, text: str, model: Model | None = None) -> str:
    """A template's glimmer slot without the wrapping the template left in it: "to note
    down, please. The roses ..." -> "The roses ...", "..., thank you dear" -> "..."."""
    cued = find_glimmer(text, model)
    if cued.certain and cued.words and cued.words in slot and len(cued.words.split()) >= 2:
        return cued.words
    inner = find_glimmer(slot, model)
    words = inner.words if inner.certain and len(inner.words.split()) >= 2 else _trim(slot)
    return words or slot


#: Hedges an answer starts the moment with: "Just a kid drawing a bus ...", "Och, simply
#: the first proper cup of tea", "it was only the robin".
_ANSWER_HEDGE = re.compile(r"^(?:(?:just|simply|only|merely)\b[\s,]*)+", re.IGNORECASE)


def _unhedged(words: str) -> str:
    rest = _ANSWER_HEDGE.sub("", words)
    return rest if len(rest.split()) >= 2 else words


#: An answer's "it's" or "that was" before the thing itself ("It's the smell of ...");
#: "It's snowing!" keeps its words.
_IT_WAS = (
    r"^(?:it'?s|it is|it was|that was|that's)\s+"
    r"(?!a (?:bit|little|lot)\b)(?=(?:the|a|an|my|our|his|her|their|this|that|these|those)"
    r"\s+\S+\s+\w)"
)


def find_answer(text: str, model: Model | None = None) -> str:
    """The moment in an answer to "What was it?"."""
    text = " ".join(text.split())
    cued = find_glimmer(text, model)
    if cued.certain or (model is not None and cued.words):
        return _unhedged(_compiled(_IT_WAS).sub("", cued.words, count=1))
    words = _opening(text)
    for pattern in ANSWER_LEAD_INS:
        words = _compiled(pattern).sub("", words, count=1).strip()
    # "Let me think. Ah yes, it was ...": lead-ins may be stacked in sentences
    for pattern in ANSWER_LEAD_INS:
        words = _compiled(pattern).sub("", words, count=1).strip()
    return _unhedged(_trim(words)) or _trim(text)
