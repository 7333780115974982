"""The themes plugin: what each glimmer is about, guessed openly and easy to correct.

Every new glimmer gets tags for the senses it lives in (sight, sound, smell,
touch, taste) and what it is about (connection, nature, body, comfort,
animals). The guess is a plain keyword count, the same method the savoring
script uses to pick a sense, so it can always say *why*: "nature, from
'sunset'". Guesses are stored as ``inferred``; anything the person says
("tag that as connection") is stored as ``person`` and replaces the guess,
because they know what the moment was about and a keyword list doesn't.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voiceglimmer_plugins.savor_script import SENSES, _words, explain_senses, keyword_evidence

from voiceglimmer import hookimpl
from voiceglimmer.dialog.assistant import Turn
from voiceglimmer.dialog.understanding import Intent
from voiceglimmer.events import Glimmer, Reply
from voiceglimmer.store.journal import Journal
from voiceglimmer.wording import quote, reflect, spoken_list

#: What a glimmer can be about besides its senses: (words that name the theme,
#: weight 2; things that usually come with it, weight 1).
THEME_WORDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "connection": (
        _words(
            "friend friendship hug cuddle together family mum mom mother dad father sister "
            "brother son daughter grandma grandmother grandpa grandfather granny nan partner "
            "husband wife boyfriend girlfriend kid children child baby neighbour neighbor "
            "stranger colleague love loved kindness conversation"
        ),
        _words(
            "smile smiled message text call phone laugh laughter chat waved dinner letter "
            "visit thank kind someone people"
        ),
    ),
    "nature": (
        _words(
            "nature sun sunlight sunshine sunset sunrise sky tree forest woods garden flower "
            "bird birdsong rain snow sea ocean beach river lake mountain moon star leaf leaves "
            "grass park meadow breeze clouds cloud blossom dawn dusk petrichor rainbow"
        ),
        _words("outside outdoors walk window plant wind waves autumn spring"),
    ),
    "body": (
        _words(
            "breath breathe breathing stretch yoga swim swimming dance dancing massage body "
            "heartbeat relaxed relax muscles shoulders"
        ),
        _words("walk walking run running bath shower nap rest sleep slept jaw chest belly"),
    ),
    "comfort": (
        _words("cosy cozy blanket comfort comforting snug pyjamas pajamas slippers fireplace safe"),
        _words("tea cocoa soup bed pillow couch sofa candle sweater jumper home quiet warm socks"),
    ),
    "animals": (
        _words("cat kitten dog puppy pet purr purring horse animal"),
        _words("fur paws tail bird robin"),
    ),
}
THEMES = tuple(THEME_WORDS)
KNOWN = (*SENSES, *THEMES)

#: At most this many senses and this many themes are guessed per glimmer.
MAX_SENSES = 2
MAX_THEMES = 2

#: Words a person might use for a known tag.
ALIASES: dict[str, str] = {
    **{tag: tag for tag in KNOWN},
    "seeing": "sight",
    "looking": "sight",
    "sights": "sight",
    "vision": "sight",
    "hearing": "sound",
    "listening": "sound",
    "sounds": "sound",
    "smells": "smell",
    "scent": "smell",
    "smelling": "smell",
    "feel": "touch",
    "feeling": "touch",
    "touching": "touch",
    "tastes": "taste",
    "tasting": "taste",
    "people": "connection",
    "other people": "connection",
    "friends": "connection",
    "friendship": "connection",
    "family": "connection",
    "love": "connection",
    "being with people": "connection",
    "outdoors": "nature",
    "the outdoors": "nature",
    "outside": "nature",
    "being outside": "nature",
    "my body": "body",
    "the body": "body",
    "movement": "body",
    "cosiness": "comfort",
    "coziness": "comfort",
    "cosy": "comfort",
    "cozy": "comfort",
    "being cosy": "comfort",
    "comfortable": "comfort",
    "animal": "animals",
    "pets": "animals",
    "a pet": "animals",
    "my pet": "animals",
}
#: A tag of the person's own is a short name, not a sentence.
MAX_TAG_WORDS = 3


@dataclass(frozen=True)
class TagGuess:
    """One inferred tag and the words of the glimmer that suggested it."""

    tag: str
    words: tuple[str, ...]


def infer(text: str) -> list[TagGuess]:
    """Senses first (most likely first, as the savoring script wants them), then themes."""
    senses = [TagGuess(s, tuple(w)) for s, w in explain_senses(text)][:MAX_SENSES]
    themes = [TagGuess(t, tuple(w)) for t, _, w in keyword_evidence(text, THEME_WORDS)]
    return senses + themes[:MAX_THEMES]


def tag_glimmer(journal: Journal, glimmer: Glimmer) -> list[str]:
    """Store the inferred tags of one glimmer; returns them."""
    tags = [g.tag for g in infer(glimmer.text)]
    journal.set_tags(glimmer.id, tags, "inferred")
    return tags


def tag_untagged(journal: Journal) -> int:
    """Guess tags for glimmers that have none (from an old export, or saved before
    this plugin existed); returns how many got at least one."""
    return sum(1 for g in journal.untagged() if tag_glimmer(journal, g))


def senses_of(journal: Journal, glimmer: Glimmer) -> list[str] | None:
    """The sense tags to invite in a savoring, or None to let the script guess."""
    senses = [t for t in journal.tags(glimmer.id) if t in SENSES]
    return senses or None


@hookimpl
def glimmer_saved(glimmer: Glimmer, journal: Journal) -> None:
    tag_glimmer(journal, glimmer)


# -- by voice ------------------------------------------------------------------

IT = "(that|it|this) [one|glimmer|moment]"
WASNT = "(wasn't|wasnt|was not|isn't|isnt|is not)"


def _tag_from(turn: Turn) -> str | None:
    """The tag the person named: a known one by any of its names, or their own word(s)."""
    if "tag" in turn.slots:
        return turn.slots["tag"]
    said = " ".join(turn.slots.get("custom", "").lower().strip(" .!?\"'").split())
    said = said.removeprefix("a ").removeprefix("an ").removeprefix("the ").strip()
    return ALIASES.get(said, said) or None


def _target(turn: Turn) -> Glimmer | Reply:
    glimmer = turn.last_glimmer
    if glimmer is None:
        return Reply.say("There's no glimmer to tag yet. Tell me one first.")
    return turn.use(glimmer)


def _glimmer_and_new_tag(turn: Turn, ask: str) -> tuple[Glimmer, str] | Reply:
    """The glimmer to tag and the tag the person named, or the reply that asks again
    (``ask`` when they named none)."""
    glimmer, tag = _target(turn), _tag_from(turn)
    if isinstance(glimmer, Reply):
        return glimmer
    if not tag:
        return Reply.say(ask)
    if len(tag.split()) > MAX_TAG_WORDS:
        return Reply.say(
            "That's a long tag. A word or two works best, like connection, nature or comfort."
        )
    return glimmer, tag


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _say_tags(tags: Sequence[str]) -> str:
    return spoken_list(list(tags)) if tags else "nothing"


def tag_as(turn: Turn) -> Reply:
    """'tag that as connection': the person's tags replace the guessed ones."""
    found = _glimmer_and_new_tag(turn, "What should I tag it as? For example: tag that as nature.")
    if isinstance(found, Reply):
        return found
    glimmer, tag = found
    turn.journal.set_tags(glimmer.id, [tag], "person")
    return Reply.say(
        f"Done. {_cap(quote(reflect(glimmer.text)))} is tagged {tag} now.",
        glimmer_id=glimmer.id,
        data={"tags": [tag]},
    )


def also_tag(turn: Turn) -> Reply:
    """'also tag it as comfort': adds to what it has, keeping what was there."""
    found = _glimmer_and_new_tag(turn, "What should I add? For example: also tag that as comfort.")
    if isinstance(found, Reply):
        return found
    glimmer, tag = found
    tags = [*turn.journal.tags(glimmer.id), tag]
    turn.journal.set_tags(glimmer.id, tags, "person")
    tags = turn.journal.tags(glimmer.id)
    return Reply.say(
        f"Added. It's tagged {_say_tags(tags)}.", glimmer_id=glimmer.id, data={"tags": tags}
    )


def untag(turn: Turn) -> Reply:
    """'that wasn't about nature': drops one tag, keeping the rest as the person's."""
    glimmer, tag = _target(turn), _tag_from(turn)
    if isinstance(glimmer, Reply):
        return glimmer
    current = turn.journal.tags(glimmer.id)
    if tag not in current:
        return Reply.say(
            f"It isn't tagged {tag}. It's tagged {_say_tags(current)}.", glimmer_id=glimmer.id
        )
    kept = [t for t in current if t != tag]
    turn.journal.set_tags(glimmer.id, kept, "person")
    if not kept:
        turn.journal.set_tags(glimmer.id, [], "inferred")
    return Reply.say(
        f"Okay, not {tag}. It's tagged {_say_tags(kept)} now.",
        glimmer_id=glimmer.id,
        data={"tags": kept},
    )


def _why(guess: TagGuess) -> str:
    words = spoken_list([f"\u201c{w}\u201d" for w in guess.words])
    return f"{guess.tag} from {words}"


def what_tags(turn: Turn) -> Reply:
    """Says the tags and where each came from: the person, or which of their words."""
    glimmer = _target(turn)
    if isinstance(glimmer, Reply):
        return glimmer
    if not turn.journal.tag_sources(glimmer.id):
        tag_glimmer(turn.journal, glimmer)  # saved before tagging existed
    tags = turn.journal.tags(glimmer.id)
    sources = turn.journal.tag_sources(glimmer.id)
    name = quote(reflect(glimmer.text))
    data = {"tags": tags, "sources": {t: sources[t] for t in tags}}
    if not tags:
        return Reply.say(
            f"{_cap(name)} has no tags. None of its words pointed to a sense or a theme.",
            "You can say: tag that as connection, or whatever it was about.",
            glimmer_id=glimmer.id,
            data=data,
        )
    mine = [t for t in tags if sources[t] == "person"]
    guesses = {g.tag: g for g in infer(glimmer.text)}
    guessed = [guesses[t] for t in tags if sources[t] == "inferred" and t in guesses]
    if mine == tags:
        lines = [f"You tagged {name} as {_say_tags(tags)}."]
    else:
        lines = [f"{_cap(name)} is tagged {_say_tags(tags)}."]
        if mine:
            lines.append(f"You chose {_say_tags(mine)}.")
    if guessed:
        lines.append(f"I guessed from its words: {'; '.join(_why(g) for g in guessed)}.")
        lines.append("If that's not right, say: tag that as, and what it was about.")
    return Reply.say(*lines, glimmer_id=glimmer.id, data=data)


@hookimpl
def register_intents(register):
    known = {"tag": ALIASES}
    register(
        Intent(
            name="tag_as",
            templates=[
                f"tag {IT} [as|with|under] {{tag}}",
                f"(mark|file|label) {IT} (as|under) {{tag}}",
                f"{IT} was [all|mostly|really] about {{tag}}",
                "(that's|it's|this is) [all|mostly|really] about {tag}",
                f"{IT} was a {{tag}} (one|glimmer)",
                f"tag {IT} as {{custom}}",
                f"(mark|file|label) {IT} (as|under) {{custom}}",
            ],
            handler=tag_as,
            slots=known,
            examples=["Tag that as connection", "That one was about nature"],
            priority=10,
        )
    )
    register(
        Intent(
            name="also_tag",
            templates=[
                f"also tag {IT} [as|with] {{tag}}",
                f"tag {IT} [as|with] {{tag}} too",
                f"add [the] tag {{tag}} [to {IT}]",
                f"{IT} was also about {{tag}}",
                f"also tag {IT} as {{custom}}",
                f"add [the] tag {{custom}} to {IT}",
            ],
            handler=also_tag,
            slots=known,
            examples=["Also tag it as comfort"],
            priority=10,
        )
    )
    register(
        Intent(
            name="untag",
            templates=[
                f"{IT} {WASNT} [really] about {{tag}}",
                f"(remove|drop|delete) the [tag] {{tag}} [tag] [from {IT}]",
                f"(untag|don't tag) {IT} [as] {{tag}}",
                f"(remove|drop|delete) the tag {{custom}} [from {IT}]",
            ],
            handler=untag,
            slots=known,
            examples=["That wasn't about nature"],
            priority=10,
        )
    )
    register(
        Intent(
            name="what_tags",
            templates=[
                f"what is {IT} tagged [as|with]",
                f"what (tags|tag|themes|theme|senses|sense) (does|did|has) {IT} [have|got]",
                f"what are the (tags|themes|senses) (on|for|of) {IT}",
                f"how (is|was|did you tag) {IT} [tagged]",
                f"why is {IT} tagged [as] {{tag}}",
                f"what is {IT} about",
            ],
            handler=what_tags,
            slots=known,
            examples=["What is that tagged?"],
            priority=10,
        )
    )
