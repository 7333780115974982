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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from voiceglimmer_plugins.savor_script import SENSES, explain_senses, keyword_evidence, word_set

from voiceglimmer import (
    EARLIEST,
    ExportRefs,
    Glimmer,
    ImportRefused,
    Intent,
    IntentFile,
    Journal,
    OldRow,
    PluginSchema,
    PluginStore,
    PluginTable,
    Reply,
    Turn,
    capitalised,
    hookimpl,
    quote,
    reflect,
    spoken_list,
)

if TYPE_CHECKING:
    from voiceglimmer import MonthThemes, ThemeFigures

#: What a glimmer can be about besides its senses: (words that name the theme,
#: weight 2; things that usually come with it, weight 1).
THEME_WORDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "connection": (
        word_set(
            "friend friendship hug cuddle together family mum mom mother dad father sister "
            "brother son daughter grandma grandmother grandpa grandfather granny nan partner "
            "husband wife boyfriend girlfriend kid children child baby neighbour neighbor "
            "stranger colleague love loved kindness conversation"
        ),
        word_set(
            "smile smiled message text call phone laugh laughter chat waved dinner letter "
            "visit thank kind someone people"
        ),
    ),
    "nature": (
        word_set(
            "nature sun sunlight sunshine sunset sunrise sky tree forest woods garden flower "
            "bird birdsong rain snow sea ocean beach river lake mountain moon star leaf leaves "
            "grass park meadow breeze clouds cloud blossom dawn dusk petrichor rainbow"
        ),
        word_set("outside outdoors walk window plant wind waves autumn spring"),
    ),
    "body": (
        word_set(
            "breath breathe breathing stretch yoga swim swimming dance dancing massage body "
            "heartbeat relaxed relax muscles shoulders"
        ),
        word_set("walk walking run running bath shower nap rest sleep slept jaw chest belly"),
    ),
    "comfort": (
        word_set(
            "cosy cozy blanket comfort comforting snug pyjamas pajamas slippers fireplace safe"
        ),
        word_set(
            "tea cocoa soup bed pillow couch sofa candle sweater jumper home quiet warm socks"
        ),
    ),
    "animals": (
        word_set("cat kitten dog puppy pet purr purring horse animal"),
        word_set("fur paws tail bird robin"),
    ),
}
THEMES = tuple(THEME_WORDS)
KNOWN = (*SENSES, *THEMES)

#: At most this many senses and this many themes are guessed per glimmer.
MAX_SENSES = 2
MAX_THEMES = 2

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
    set_tags(journal, glimmer.id, tags, "inferred")
    return tags


def tag_untagged(journal: Journal) -> int:
    """Guess tags for glimmers that have none (from an old export, or saved before
    this plugin existed); returns how many got at least one."""
    return sum(1 for g in untagged(journal) if tag_glimmer(journal, g))


def senses_of(journal: Journal, glimmer: Glimmer) -> list[str] | None:
    """The sense tags to invite in a savoring, or None to let the script guess."""
    senses = [t for t in glimmer_tags(journal, glimmer.id) if t in SENSES]
    return senses or None


@hookimpl
def glimmer_saved(glimmer: Glimmer, journal: Journal) -> None:
    tag_glimmer(journal, glimmer)


# -- the tags table ------------------------------------------------------------------
#
# The plugin's own table in the journal (``themes_tags``). Until voiceglimmer 0.1 it
# was the core's ``tags`` table; the first migration moves those rows over, in
# their order (a person's tags are kept in the order they gave them).

NAME = "themes"
TagSource = Literal["inferred", "person"]
TAG_SOURCES: tuple[TagSource, ...] = ("inferred", "person")


def _check_tag(row: dict[str, Any]) -> dict[str, Any]:
    """An imported tag: a word or a few, from the person or guessed."""
    tag, source = row.get("tag"), row.get("source", "inferred")
    if not isinstance(tag, str) or not " ".join(tag.lower().split()):
        raise ValueError(f'its "tag" ({tag!r}) is not a word')
    if source not in TAG_SOURCES:
        raise ValueError(f'its "source" ({source!r}) is not one of {", ".join(TAG_SOURCES)}')
    return {**row, "tag": " ".join(tag.lower().split()), "source": source}


def _old_tags(records: dict[str, Any], refs: ExportRefs) -> Iterator[OldRow]:
    """Tags as an export of voiceglimmer 0.1 kept them: a list in each glimmer."""
    for number, glimmer in enumerate(records.get("glimmers", ()), start=1):
        listed = glimmer.get("tags", [])
        where = f"Glimmer number {number} in the file"
        if not isinstance(listed, list):
            raise ImportRefused(f'{where} has "tags" that are not a list; nothing was imported.')
        for item in listed:
            if not isinstance(item, dict):
                raise ImportRefused(f"{where} has a tag that is not an object; nothing was "
                                    "imported.")  # fmt: skip
            row = {"glimmer_id": refs.glimmer(number), "tag": item.get("tag"),
                   "source": item.get("source", "inferred")}  # fmt: skip
            yield OldRow("tags", where, row)


SCHEMA = PluginSchema(
    tables=(PluginTable("tags", glimmer_column="glimmer_id", check=_check_tag),),
    migrations=(
        """
        CREATE TABLE themes_tags (
            glimmer_id INTEGER NOT NULL REFERENCES glimmers (id) ON DELETE CASCADE,
            tag TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('inferred', 'person')),
            PRIMARY KEY (glimmer_id, tag)
        );
        CREATE INDEX themes_tags_by_tag ON themes_tags (tag);
        INSERT INTO themes_tags (rowid, glimmer_id, tag, source)
            SELECT rowid, glimmer_id, tag, source FROM tags ORDER BY rowid;
        DROP TABLE tags;
        """,
    ),
    from_old_export=_old_tags,
)

# Tags that count for a glimmer: the person's own when they gave any, else
# the inferred ones. A correction replaces a guess; it doesn't sit beside it.
# (Not correlated, so SQLite builds the list of corrected glimmers once.)
_EFFECTIVE = (
    "(t.source = 'person' OR t.glimmer_id NOT IN "
    "(SELECT glimmer_id FROM themes_tags WHERE source = 'person'))"
)


@hookimpl
def journal_schema() -> PluginSchema:
    return SCHEMA


def _store(journal: Journal) -> PluginStore:
    return journal.plugin_store(NAME, SCHEMA)


def _clean(words: Iterable[str]) -> list[str]:
    cleaned = (" ".join(str(t).lower().split()) for t in words)
    return list(dict.fromkeys(t for t in cleaned if t))


def set_tags(journal: Journal, glimmer_id: int, tags: Iterable[str], source: TagSource) -> None:
    """Replace the tags of one source on a glimmer (lower-cased, no repeats).

    A tag the person gave is never downgraded by a later guess; when the
    person gives a tag that was guessed, it becomes theirs.
    """
    if source not in TAG_SOURCES:
        raise ValueError(f"unknown tag source {source!r}")
    cleaned = _clean(tags)
    store = _store(journal)
    with store.transaction():
        store.execute(
            "DELETE FROM themes_tags WHERE glimmer_id = ? AND source = ?", (glimmer_id, source)
        )
        for tag in cleaned:
            if source == "person":  # the person's order, not the guess's
                store.execute(
                    "DELETE FROM themes_tags WHERE glimmer_id = ? AND tag = ?", (glimmer_id, tag)
                )
            store.execute(
                "INSERT OR IGNORE INTO themes_tags (glimmer_id, tag, source) VALUES (?, ?, ?)",
                (glimmer_id, tag, source),
            )


def glimmer_tags(journal: Journal, glimmer_id: int, source: TagSource | None = None) -> list[str]:
    """A glimmer's tags in the order given: the person's if any, else the guessed ones.

    With ``source``, only the tags from that source.
    """
    if source is None:
        rows = _store(journal).query(
            f"SELECT t.tag FROM themes_tags t WHERE t.glimmer_id = ? AND {_EFFECTIVE} "
            "ORDER BY t.rowid",
            (glimmer_id,),
        )
    else:
        rows = _store(journal).query(
            "SELECT tag FROM themes_tags WHERE glimmer_id = ? AND source = ? ORDER BY rowid",
            (glimmer_id, source),
        )
    return [r[0] for r in rows]


def tag_sources(journal: Journal, glimmer_id: int) -> dict[str, TagSource]:
    """Every stored tag of a glimmer and who gave it (guessed ones hidden by a
    correction included)."""
    rows = _store(journal).query(
        "SELECT tag, source FROM themes_tags WHERE glimmer_id = ? ORDER BY rowid", (glimmer_id,)
    )
    return {r[0]: r[1] for r in rows}


def _glimmers(journal: Journal, ids: Iterable[int]) -> list[Glimmer]:
    return [g for g in map(journal.get, ids) if g is not None]


def untagged(journal: Journal, limit: int = -1) -> list[Glimmer]:
    """Glimmers with no tag at all (imported from an old export, or saved before
    tagging existed), oldest first."""
    rows = _store(journal).query(
        "SELECT g.id FROM glimmers g WHERE NOT EXISTS "
        "(SELECT 1 FROM themes_tags t WHERE t.glimmer_id = g.id) "
        "ORDER BY g.created_ts, g.id LIMIT ?",
        (limit,),
    )
    return _glimmers(journal, (r[0] for r in rows))


def _range(start: datetime | None, end: datetime | None) -> tuple[str, list[float]]:
    clauses, params = [], []
    if start is not None:
        clauses.append("g.created_ts >= ?")
        params.append(start.timestamp())
    if end is not None:
        clauses.append("g.created_ts < ?")
        params.append(end.timestamp())
    return (" AND ".join(clauses) or "1"), params


def tag_counts(
    journal: Journal, start: datetime | None = None, end: datetime | None = None
) -> dict[str, int]:
    """How many glimmers noticed in [start, end) carry each tag, most first."""
    where, params = _range(start, end)
    rows = _store(journal).query(
        "SELECT t.tag, count(*) AS n FROM themes_tags t JOIN glimmers g ON g.id = t.glimmer_id "
        f"WHERE {where} AND {_EFFECTIVE} GROUP BY t.tag ORDER BY n DESC, t.tag",
        params,
    )
    return {r[0]: int(r[1]) for r in rows}


def tags_between(
    journal: Journal, start: datetime | None = None, end: datetime | None = None
) -> list[tuple[Glimmer, list[str]]]:
    """Glimmers noticed in [start, end), oldest first, each with its tags."""
    where, params = _range(start, end)
    ids = _store(journal).query(
        f"SELECT g.id FROM glimmers g WHERE {where} ORDER BY g.created_ts, g.id", params
    )
    return [(g, glimmer_tags(journal, g.id)) for g in _glimmers(journal, (r[0] for r in ids))]


def with_tag(journal: Journal, tag: str, *, limit: int = -1) -> list[Glimmer]:
    """Newest glimmers carrying ``tag``."""
    rows = _store(journal).query(
        "SELECT g.id FROM glimmers g JOIN themes_tags t ON t.glimmer_id = g.id "
        f"WHERE t.tag = ? AND {_EFFECTIVE} ORDER BY g.created_ts DESC, g.id DESC LIMIT ?",
        (" ".join(tag.lower().split()), limit),
    )
    return _glimmers(journal, (r[0] for r in rows))


# -- figures for stats, the report and insight ---------------------------------------


def theme_counts(
    journal: Journal, now: datetime, start: datetime | None = None, limit: int | None = None
) -> list[tuple[str, int]]:
    """How many glimmers carry each tag (noticed from ``start`` up to ``now``), most
    first: what ``stats``, the report and "what are my glimmers about" all say."""
    low = EARLIEST.timestamp() if start is None else max(start, EARLIEST).timestamp()
    rows = _store(journal).query(
        "SELECT t.tag, count(*) AS n FROM themes_tags t JOIN glimmers g ON g.id = t.glimmer_id "
        f"WHERE g.created_ts >= ? AND g.created_ts <= ? AND {_EFFECTIVE} "
        "GROUP BY t.tag ORDER BY n DESC, t.tag LIMIT ?",
        (low, now.timestamp(), -1 if limit is None else limit),
    )
    return [(str(tag), int(n)) for tag, n in rows]


def themes_by_month(journal: Journal, now: datetime, months: int = 6) -> list[MonthThemes]:
    """Tag counts per local month for the last ``months`` months, oldest first (months
    without tagged glimmers included, empty, so a chart's gaps are true gaps)."""
    # deferred: the figures' module is for `stats` and the report, not every start
    from voiceglimmer import MonthThemes, month_labels

    labels = month_labels(now, months)
    first = datetime.strptime(labels[0], "%Y-%m").replace(tzinfo=now.tzinfo)
    rows = _store(journal).query(
        "SELECT g.created_ts, t.tag FROM themes_tags t JOIN glimmers g ON g.id = t.glimmer_id "
        f"WHERE g.created_ts >= ? AND g.created_ts <= ? AND {_EFFECTIVE}",
        (first.timestamp(), now.timestamp()),
    )
    by_month: dict[str, dict[str, int]] = {label: {} for label in labels}
    for ts, tag in rows:
        counts = by_month.get(f"{datetime.fromtimestamp(ts, now.tzinfo):%Y-%m}")
        if counts is not None:
            counts[tag] = counts.get(tag, 0) + 1
    return [
        MonthThemes(m, dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))))
        for m, c in by_month.items()
    ]


@hookimpl
def theme_figures(journal: Journal, now: datetime, months: int, top: int) -> ThemeFigures:
    from voiceglimmer import ThemeFigures  # deferred, as in themes_by_month

    (tagged,) = _store(journal).one(
        "SELECT count(DISTINCT t.glimmer_id) FROM themes_tags t "
        "JOIN glimmers g ON g.id = t.glimmer_id WHERE g.created_ts >= ? AND g.created_ts <= ?",
        (EARLIEST.timestamp(), now.timestamp()),
    ) or (0,)
    return ThemeFigures(
        themes_by_month(journal, now, months), theme_counts(journal, now, limit=top), int(tagged)
    )


# -- by voice ------------------------------------------------------------------


def _aliases() -> Mapping[str, str]:
    """Every name of a known tag, mapped to the tag: the ``tag`` list in themes.yaml."""
    tags = IntentFile.load(__name__).lists["tag"]
    return tags if isinstance(tags, Mapping) else {}


def _tag_from(turn: Turn) -> str | None:
    """The tag the person named: a known one by any of its names, or their own word(s)."""
    if "tag" in turn.slots:
        return turn.slots["tag"]
    said = " ".join(turn.slots.get("custom", "").lower().strip(" .!?\"'").split())
    said = said.removeprefix("a ").removeprefix("an ").removeprefix("the ").strip()
    return _aliases().get(said, said) or None


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


def _say_tags(tags: Sequence[str]) -> str:
    return spoken_list(list(tags)) if tags else "nothing"


def tag_as(turn: Turn) -> Reply:
    """'tag that as connection': the person's tags replace the guessed ones."""
    found = _glimmer_and_new_tag(turn, "What should I tag it as? For example: tag that as nature.")
    if isinstance(found, Reply):
        return found
    glimmer, tag = found
    set_tags(turn.journal, glimmer.id, [tag], "person")
    return Reply.say(
        f"Done. {capitalised(quote(reflect(glimmer.text)))} is tagged {tag} now.",
        glimmer_id=glimmer.id,
        data={"tags": [tag]},
    )


def also_tag(turn: Turn) -> Reply:
    """'also tag it as comfort': adds to what it has, keeping what was there."""
    found = _glimmer_and_new_tag(turn, "What should I add? For example: also tag that as comfort.")
    if isinstance(found, Reply):
        return found
    glimmer, tag = found
    tags = [*glimmer_tags(turn.journal, glimmer.id), tag]
    set_tags(turn.journal, glimmer.id, tags, "person")
    tags = glimmer_tags(turn.journal, glimmer.id)
    return Reply.say(
        f"Added. It's tagged {_say_tags(tags)}.", glimmer_id=glimmer.id, data={"tags": tags}
    )


def untag(turn: Turn) -> Reply:
    """'that wasn't about nature': drops one tag, keeping the rest as the person's."""
    glimmer, tag = _target(turn), _tag_from(turn)
    if isinstance(glimmer, Reply):
        return glimmer
    current = glimmer_tags(turn.journal, glimmer.id)
    if tag not in current:
        return Reply.say(
            f"It isn't tagged {tag}. It's tagged {_say_tags(current)}.", glimmer_id=glimmer.id
        )
    kept = [t for t in current if t != tag]
    set_tags(turn.journal, glimmer.id, kept, "person")
    if not kept:
        set_tags(turn.journal, glimmer.id, [], "inferred")
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
    if not tag_sources(turn.journal, glimmer.id):
        tag_glimmer(turn.journal, glimmer)  # saved before tagging existed
    tags = glimmer_tags(turn.journal, glimmer.id)
    sources = tag_sources(turn.journal, glimmer.id)
    name = quote(reflect(glimmer.text))
    data = {"tags": tags, "sources": {t: sources[t] for t in tags}}
    if not tags:
        return Reply.say(
            f"{capitalised(name)} has no tags. None of its words pointed to a sense or a theme.",
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
        lines = [f"{capitalised(name)} is tagged {_say_tags(tags)}."]
        if mine:
            lines.append(f"You chose {_say_tags(mine)}.")
    if guessed:
        lines.append(f"I guessed from its words: {'; '.join(_why(g) for g in guessed)}.")
        lines.append("If that's not right, say: tag that as, and what it was about.")
    return Reply.say(*lines, glimmer_id=glimmer.id, data=data)


@hookimpl
def register_intents(register):
    # The sentences are data, in themes.yaml beside this file; what answers them is here.
    handlers = {"tag_as": tag_as, "also_tag": also_tag, "untag": untag, "what_tags": what_tags}
    for intent in Intent.from_data(__name__, handlers, priority=10):
        register(intent)
