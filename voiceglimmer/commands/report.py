"""Looking back at the practice: ``voiceglimmer stats`` and ``voiceglimmer report``.

``stats`` prints the figures from ``progress`` in the terminal (or as JSON);
``report`` writes them as one self-contained HTML page with charts drawn here
as inline SVG. The page loads nothing: no scripts, no fonts, no images, no
addresses of any kind, and a Content-Security-Policy forbids it from trying,
because it holds a person's private journal and must open the same way on a
machine with no network. It is written owner-only, like the journal.

Charts are plain SVG shapes with a ``<title>`` and ``<desc>`` each, and every
chart has a sentence or two beside it saying what it shows, so the page works
with a screen reader and on paper as well as on screen.

``progress``, ``when`` and ``html`` are imported where a report is made, not
at module level: the command line imports this module on every start only to
register ``stats`` and ``report``, and ``progress`` alone is a sizeable part of
that start.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from voiceglimmer.app import App
from voiceglimmer.errors import UsageError, UserError
from voiceglimmer.hookspecs import Subparsers
from voiceglimmer.wording import for_terminal, plural, quote

if TYPE_CHECKING:
    from voiceglimmer.store.progress import Calm, Favourite, MonthThemes, Progress, Streaks

DEFAULT_WEEKS = 12
T = TypeVar("T")

#: Months in the themes chart, themes in its legend, and rated savorings in the calm chart.
MONTHS = 6
TOP_THEMES = 6
CALM_PAIRS = 30
MAX_WEEKS = 260
REPORT_NAME = "glimmer-report.html"

# A calm, warm palette: paper, ink, and earthy accents that survive printing.
PAPER = "#fbf7f1"
INK = "#3d332d"
MUTED = "#75685f"
GRID = "#e6dbcf"
BAR = "#cf8a5c"
BAR_NOW = "#e8b994"
#: Calendar shades from no glimmer to many.
HEAT = ("#eee5da", "#f4d7ae", "#e9b47c", "#d98a53", "#b3603a")
THEME_COLOURS = ("#cf7f64", "#7f9b72", "#d6a24e", "#8b7fa6", "#c27b8c", "#5f8f94", "#a8805e")
OTHER_COLOUR = "#c4b8ab"
BEFORE = "#94a7b8"
AFTER = "#cf7a4f"


# -- commands ------------------------------------------------------------------


def add_commands(sub: Subparsers) -> None:
    p = sub.add_parser("stats", help="how the practice is going: weeks, streaks, themes, calm")
    p.add_argument("--json", action="store_true", help="the figures as one JSON object")
    p.add_argument(
        "--weeks", type=int, default=DEFAULT_WEEKS, help=f"weeks to count (default {DEFAULT_WEEKS})"
    )
    p.set_defaults(func=stats_command)

    p = sub.add_parser("report", help="write a private HTML page with charts of the practice")
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        help=f"file to write (default: {REPORT_NAME} in your data folder)",
    )
    p.add_argument(
        "--weeks", type=int, default=DEFAULT_WEEKS, help=f"weeks to chart (default {DEFAULT_WEEKS})"
    )
    p.set_defaults(func=report_command)


def _weeks(args: argparse.Namespace) -> int:
    if not 1 <= args.weeks <= MAX_WEEKS:
        raise UsageError(f"--weeks needs a number from 1 to {MAX_WEEKS}.")
    return int(args.weeks)


def figures(app: App, weeks: int) -> Progress:
    """Every figure, themes and calm included: those are asked of the plugins that
    keep them (``theme_figures``, ``calm_figures``); the first answer counts, and a
    plugin that fails is reported and passed over."""
    from voiceglimmer.store.progress import Calm, ThemeFigures, compute  # deferred: see above

    now = app.clock()
    themes = _asked(app, "theme_figures", ThemeFigures, now=now, months=MONTHS, top=TOP_THEMES)
    calm = _asked(app, "calm_figures", Calm, now=now, pairs=CALM_PAIRS)
    return compute(app.journal, now, weeks=weeks, months=MONTHS, themes=themes, calm=calm)


def _asked(app: App, hook: str, kind: type[T], **kwargs: Any) -> T | None:
    for plugin, answer in app.plugins.call_each(hook, journal=app.journal, **kwargs):
        if isinstance(answer, kind):
            return answer
        if answer is not None:
            app.plugins.report(plugin, f"returned something odd from {hook}", repr(answer)[:200])
    return None


def stats_command(args: argparse.Namespace, app: App) -> int:
    progress = figures(app, _weeks(args))
    if args.json:
        print(json.dumps(progress.to_json(), ensure_ascii=False, indent=2))
    else:
        print_stats(progress)
    return 0


def report_command(args: argparse.Namespace, app: App) -> int:
    from voiceglimmer.store.safefile import OutputError, check_target, write_private

    weeks = _weeks(args)
    path: Path = (args.output or app.home.data / REPORT_NAME).expanduser()
    if path.is_dir() and not path.is_symlink():
        raise UserError(f"{path} is a folder; give a file name such as {path / REPORT_NAME}.")
    try:
        # Devices, pipes, links and missing folders are refused before any work,
        # and the page lands atomically as an owner-only file (see safefile).
        check_target(path)
        progress = figures(app, weeks)
        write_private(path, render(progress))
    except OutputError as exc:
        raise UserError(f"The report was not written: {exc}") from exc
    what = "an empty report" if progress.empty else "your glimmer report"
    print(f"Wrote {what} (readable only by you):", file=sys.stderr)
    print(path.resolve())
    return 0


# -- words ---------------------------------------------------------------------


def _short(day: date) -> str:
    return f"{day.day} {day:%b}"


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _minutes(seconds: float) -> str:
    """Time savored in words; a total that isn't a finite number of seconds (never
    expected: progress leaves unusable lengths out) reads as none, not a crash."""
    if not math.isfinite(seconds) or seconds < 0:
        seconds = 0.0
    minutes = round(seconds / 60)
    if minutes < 60:
        return plural(minutes, "minute")
    hours, rest = divmod(minutes, 60)
    return f"{plural(hours, 'hour')} {rest} min" if rest else plural(hours, "hour")


def streak_words(s: Streaks, today: date) -> str:
    """The streak in a sentence, as the report and ``stats`` say it."""
    from voiceglimmer.dialog.when import say_day  # deferred: see the module docstring

    if not s.longest:
        return "No practice days yet."
    if s.current:
        since = say_day(s.current_start, today) if s.current_start else ""
        if s.today_done:
            now = f"Current streak: {plural(s.current, 'day')}, counting today"
        else:
            now = f"Current streak: {plural(s.current, 'day')}, up to yesterday"
        now += f" (since {since})." if s.current > 1 else "."
    else:
        last = say_day(s.last_day, today) if s.last_day else "a while ago"
        now = f"No streak running right now; the last glimmer was {last}."
    if s.longest_start and s.longest_end and s.longest > 1:
        span = f"{_short(s.longest_start)} to {_short(s.longest_end)}"
        if s.current == s.longest:
            longest = f"That is the longest so far ({span})."
        else:
            longest = f"Longest: {plural(s.longest, 'day')} ({span})."
    else:
        longest = "Longest: one day."
    return f"{now} {longest}"


def calm_words(c: Calm) -> str:
    if not c.rated or c.avg_before is None or c.avg_after is None or c.avg_rise is None:
        return "No savorings have calm ratings yet."
    rise = f"{c.avg_rise:+.1f}"
    return (
        f"Over {plural(c.rated, 'rated savoring')}, calm went from {c.avg_before:.1f} before to "
        f"{c.avg_after:.1f} after on average (out of 5): an average rise of {rise}. "
        f"Calmer after {c.calmer}, the same after {c.same}, less calm after {c.less_calm}."
    )


# -- terminal ------------------------------------------------------------------


def print_stats(p: Progress, file: TextIO | None = None) -> None:
    """The figures as a few short lines and small tables, readable without colour."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # soft_wrap: sentences are left to the terminal to wrap, so they copy out whole.
    console = Console(file=file, highlight=False, emoji=False, soft_wrap=True)
    today = p.now.date()
    console.print(Text(f"Your glimmer practice, as of {p.now:%A} {_long(today)}", style="bold"))
    if p.empty:
        console.print(
            "Nothing to show yet: no glimmers are saved. Say or type "
            '"I noticed a glimmer: ..." and they will start to add up here.',
            markup=False,
        )
        return
    t = p.totals
    since = f" since {_long(t.first_day)}" if t.first_day else ""
    console.print(
        f"{plural(t.glimmers, 'glimmer')} on {plural(t.practice_days, 'day')}{since}; "
        f"{plural(t.savorings, 'savoring')} ({_minutes(t.savored_seconds)}).",
        markup=False,
    )
    console.print(streak_words(p.streaks, today), markup=False)
    console.print()

    weeks = Table(
        title=f"Glimmers per week (last {len(p.weeks)})", box=box.SIMPLE, title_justify="left"
    )
    weeks.add_column("week of")
    weeks.add_column("ISO week")
    weeks.add_column("glimmers", justify="right")
    weeks.add_column("")
    top = max((w.count for w in p.weeks), default=0) or 1
    for w in p.weeks:
        bar = "█" * round(20 * w.count / top)
        weeks.add_row(_short(w.start), w.iso, str(w.count), Text(bar, style="dark_orange3"))
    console.print(weeks)

    if any(m.counts for m in p.themes):
        themes = Table(title="Themes by month", box=box.SIMPLE, title_justify="left")
        themes.add_column("month")
        themes.add_column("tags", justify="right")
        themes.add_column("most often")
        for m in p.themes:
            top3 = ", ".join(f"{tag} {n}" for tag, n in list(m.counts.items())[:3])
            themes.add_row(_month_label(m.month, long=True), str(m.total), Text(top3 or "-"))
        console.print(themes)
        overall = ", ".join(f"{tag} ({n})" for tag, n in p.top_themes)
        console.print(Text(f"Most common themes overall: {overall}."))
    else:
        console.print("No themes yet: none of the glimmers are tagged.", markup=False)

    console.print()
    console.print(Text("Calm before and after savoring", style="bold"))
    console.print(calm_words(p.calm), markup=False)

    if p.favourites:
        fav = Table(title="Most returned to", box=box.SIMPLE, title_justify="left")
        fav.add_column("savored", justify="right")
        fav.add_column("glimmer")
        fav.add_column("last savored")
        for f in p.favourites:
            fav.add_row(
                f"{f.savor_count}x",
                Text(for_terminal(quote(f.text, 60))),
                _short(f.last_savored.date()),
            )
        console.print(fav)


# -- SVG helpers -----------------------------------------------------------------


def _e(value: object) -> str:
    from html import escape  # deferred: see the module docstring

    return escape(str(value), quote=True)


def _n(value: float) -> str:
    """Short coordinates: the file stays small and diffs stay readable."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _grid(
    ticks: Sequence[float], left: float, top: float, plot_w: float, plot_h: float
) -> list[str]:
    """A bar chart's horizontal gridlines, each labelled with its count on the left."""
    lines = []
    for t in ticks:
        y = top + plot_h - plot_h * t / ticks[-1]
        lines.append(
            f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{_n(y)}" y2="{_n(y)}"/>'
            f'<text class="axis" x="{left - 6}" y="{_n(y + 4)}" text-anchor="end">{_n(t)}</text>'
        )
    return lines


def _svg(key: str, width: int, height: int, title: str, desc: str, body: Sequence[str]) -> str:
    return (
        f'<svg class="chart" id="{key}-chart" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{key}-title {key}-desc">'
        f'<title id="{key}-title">{_e(title)}</title><desc id="{key}-desc">{_e(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _ticks(top: float, most: int = 5) -> list[float]:
    """Round gridline values from 0 to at least ``top``: steps of 1, 2 or 5 times 10^k."""
    top = max(top, 1)
    raw = top / most
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, 1)
    count = math.ceil(top / step)
    return [i * step for i in range(count + 1)]


def _month_label(month: str, long: bool = False) -> str:
    year, number = (int(x) for x in month.split("-"))
    day = date(year, number, 1)
    return f"{day:%B %Y}" if long else f"{day:%b}"


# -- charts ----------------------------------------------------------------------


def weeks_chart(p: Progress) -> str:
    weeks = p.weeks
    width, height = 720, 240
    left, right, top, bottom = 40, 10, 24, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = _ticks(max((w.count for w in weeks), default=0))
    ymax = ticks[-1]
    slot = plot_w / len(weeks)
    bar_w = max(slot * 0.7, 1.0)
    every = math.ceil(len(weeks) / 13)
    body = _grid(ticks, left, top, plot_w, plot_h)
    for i, w in enumerate(weeks):
        x = left + i * slot + (slot - bar_w) / 2
        h = plot_h * w.count / ymax
        y = top + plot_h - h
        current = i == len(weeks) - 1
        label = f"Week of {_long(w.start)}{' (so far)' if current else ''}: " + plural(
            w.count, "glimmer"
        )
        body.append(
            f'<rect class="bar{" now" if current else ""}" x="{_n(x)}" y="{_n(y)}" '
            f'width="{_n(bar_w)}" height="{_n(h)}" rx="2" data-week="{w.iso}" '
            f'data-count="{w.count}"><title>{_e(label)}</title></rect>'
        )
        if len(weeks) <= 26 and w.count:
            body.append(
                f'<text class="value" x="{_n(x + bar_w / 2)}" y="{_n(y - 5)}" '
                f'text-anchor="middle">{w.count}</text>'
            )
        if i % every == 0 or current:
            body.append(
                f'<text class="axis" x="{_n(x + bar_w / 2)}" y="{height - bottom + 16}" '
                f'text-anchor="middle">{_e(_short(w.start))}</text>'
            )
    body.append(
        f'<text class="axis" x="{left}" y="{height - 6}">weeks start on Monday; the last bar is '
        "this week so far</text>"
    )
    total = sum(w.count for w in weeks)
    best = max(weeks, key=lambda w: (w.count, w.start))
    desc = (
        f"Bar chart of glimmers per week over the last {len(weeks)} weeks: {total} in all. "
        + " ".join(f"{_short(w.start)}: {w.count}." for w in weeks)
    )
    summary = (
        f"{plural(total, 'glimmer')} in the last {plural(len(weeks), 'week')}, about "
        f"{total / len(weeks):.1f} a week. "
        + (
            f"The fullest week was the week of {_long(best.start)}, with {best.count}."
            if best.count
            else ""
        )
    )
    return _section(
        "weeks", "Glimmers per week", summary, _svg("weeks", width, height,
        f"Glimmers per week, last {len(weeks)} weeks", desc, body)
    )  # fmt: skip


def _heat(count: int) -> str:
    if count <= 0:
        return HEAT[0]
    if count == 1:
        return HEAT[1]
    if count == 2:
        return HEAT[2]
    return HEAT[3] if count <= 4 else HEAT[4]


def calendar_chart(p: Progress) -> str:
    cell, gap = 16, 3
    step = cell + gap
    left, top = 34, 22
    columns = math.ceil(len(p.calendar) / 7)
    width = left + columns * step + 8
    height = top + 7 * step + 34
    s = p.streaks
    in_streak = (
        (s.current_start, s.current_end) if s.current and s.current_start and s.current_end
        else None
    )  # fmt: skip
    body: list[str] = []
    for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri"), (6, "Sun")):
        body.append(
            f'<text class="axis" x="{left - 6}" y="{top + row * step + cell - 3}" '
            f'text-anchor="end">{name}</text>'
        )
    for i, (day, count) in enumerate(p.calendar):
        col, row = divmod(i, 7)
        x, y = left + col * step, top + row * step
        # Name a month over its first Monday (and the first column, unless a name is near).
        if row == 0 and (day.day <= 7 or (i == 0 and day.day <= 21)):
            body.append(f'<text class="axis" x="{x}" y="{top - 8}">{day:%b}</text>')
        streak = bool(in_streak and in_streak[0] <= day <= in_streak[1])
        label = f"{day:%A} {_long(day)}: {plural(count, 'glimmer') if count else 'no glimmers'}"
        body.append(
            f'<rect class="day{" streak" if streak else ""}" x="{x}" y="{y}" width="{cell}" '
            f'height="{cell}" rx="3" fill="{_heat(count)}" data-date="{day.isoformat()}" '
            f'data-count="{count}"><title>{_e(label)}</title></rect>'
        )
    legend_y = top + 7 * step + 12
    body.append(f'<text class="axis" x="{left}" y="{legend_y + 11}">fewer</text>')
    for k, colour in enumerate(HEAT):
        body.append(
            f'<rect class="key" x="{left + 40 + k * step}" y="{legend_y}" width="{cell}" '
            f'height="{cell}" rx="3" fill="{colour}"/>'
        )
    lx = left + 40 + len(HEAT) * step + 4
    body.append(f'<text class="axis" x="{lx}" y="{legend_y + 11}">more</text>')
    if in_streak:
        sx = lx + 50
        body.append(
            f'<rect class="key streak" x="{sx}" y="{legend_y}" width="{cell}" height="{cell}" '
            f'rx="3" fill="{HEAT[2]}"/><text class="axis" x="{sx + cell + 6}" '
            f'y="{legend_y + 11}">current streak</text>'
        )
    practised = sum(1 for _, n in p.calendar if n)
    first, last = p.calendar[0][0], p.calendar[-1][0]
    words = streak_words(s, p.now.date())
    desc = (
        f"Calendar of practice days from {_long(first)} to {_long(last)}, one square per day, "
        f"darker for more glimmers; {practised} of {len(p.calendar)} days have at least one "
        f"glimmer. {words}"
    )
    summary = f"{practised} of the last {len(p.calendar)} days had a glimmer. {words}"
    streak_box = (
        '<div class="streaks">'
        f'<p><span class="big">{s.current}</span> {"day" if s.current == 1 else "days"}'
        "<br>current streak</p>"
        f'<p><span class="big">{s.longest}</span> {"day" if s.longest == 1 else "days"}'
        "<br>longest streak</p></div>"
    )
    chart = _svg("calendar", width, height, "Practice days, last six months", desc, body)
    return _section(
        "calendar", "Practice days", summary, f'<div class="calendar-row">{chart}{streak_box}</div>'
    )


def themes_chart(p: Progress, most: int = len(THEME_COLOURS)) -> str:
    months: list[MonthThemes] = p.themes
    overall: dict[str, int] = {}
    for m in months:
        for tag, n in m.counts.items():
            overall[tag] = overall.get(tag, 0) + n
    if not overall:
        return _section(
            "themes",
            "Themes over time",
            "No themes yet: none of the glimmers from these months are tagged.",
            "",
        )
    ranked = sorted(overall, key=lambda t: (-overall[t], t))
    shown = ranked[:most]
    others = set(ranked[most:])
    colours = {tag: THEME_COLOURS[i] for i, tag in enumerate(shown)}
    keys = [*shown, *(["other"] if others else [])]
    colours["other"] = OTHER_COLOUR

    width, height = 720, 270
    left, right, top, bottom = 40, 150, 20, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = _ticks(max(m.total for m in months))
    ymax = ticks[-1]
    slot = plot_w / len(months)
    bar_w = min(slot * 0.6, 70)
    body = _grid(ticks, left, top, plot_w, plot_h)
    for i, m in enumerate(months):
        x = left + i * slot + (slot - bar_w) / 2
        base: float = top + plot_h
        parts = [(tag, m.counts.get(tag, 0)) for tag in shown]
        if others:
            parts.append(("other", sum(n for tag, n in m.counts.items() if tag in others)))
        for tag, n in parts:
            if not n:
                continue
            h = plot_h * n / ymax
            base -= h
            label = f"{_month_label(m.month, long=True)}: {tag}, {n}"
            body.append(
                f'<rect class="theme" x="{_n(x)}" y="{_n(base)}" width="{_n(bar_w)}" '
                f'height="{_n(h)}" fill="{colours[tag]}" data-month="{m.month}" '
                f'data-tag="{_e(tag)}" data-count="{n}"><title>{_e(label)}</title></rect>'
            )
        if m.total:
            body.append(
                f'<text class="value" x="{_n(x + bar_w / 2)}" y="{_n(base - 5)}" '
                f'text-anchor="middle">{m.total}</text>'
            )
        body.append(
            f'<text class="axis" x="{_n(x + bar_w / 2)}" y="{height - bottom + 16}" '
            f'text-anchor="middle">{_month_label(m.month)}</text>'
        )
    for k, tag in enumerate(reversed(keys)):
        y = top + 6 + k * 22
        x = width - right + 22
        body.append(
            f'<rect class="key" x="{x}" y="{y}" width="14" height="14" rx="3" '
            f'fill="{colours[tag]}"/><text class="legend" x="{x + 20}" y="{y + 11}">'
            f"{_e(quote(tag, 18))}</text>"
        )
    leaders = []
    for m in months:
        if m.counts:
            tag, n = next(iter(m.counts.items()))
            leaders.append(f"{_month_label(m.month)}: {tag} ({n})")
    top_words = ", ".join(f"{tag} ({overall[tag]})" for tag in ranked[:3])
    desc = (
        f"Stacked bars of glimmer themes per month, {_month_label(months[0].month, True)} to "
        f"{_month_label(months[-1].month, True)}. Most common overall: {top_words}. "
        f"Leading theme each month: {'; '.join(leaders)}."
    )
    summary = (
        f"Across these months your glimmers were most often about {top_words}. "
        f"The leading theme month by month: {'; '.join(leaders)}. "
        "A glimmer with two themes counts once for each."
    )
    return _section(
        "themes", "Themes over time", summary,
        _svg("themes", width, height, "Glimmer themes per month", desc, body),
    )  # fmt: skip


def calm_chart(p: Progress) -> str:
    c = p.calm
    if not c.rated or c.avg_before is None or c.avg_after is None:
        return _section(
            "calm",
            "Calm before and after savoring",
            "No calm ratings yet. When a savoring is rated before and after (1 to 5), "
            "the change shows here.",
            "",
        )
    pairs = c.pairs
    width, height = 720, 250
    left, right, top, bottom = 40, 150, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom

    def y_of(value: float) -> float:
        return top + plot_h - plot_h * (value - 1) / 4

    slot = plot_w / len(pairs)
    body: list[str] = []
    for v in range(1, 6):
        y = y_of(v)
        body.append(
            f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{_n(y)}" y2="{_n(y)}"/>'
            f'<text class="axis" x="{left - 8}" y="{_n(y + 4)}" text-anchor="end">{v}</text>'
        )
    for i, pair in enumerate(pairs):
        x = left + i * slot + slot / 2
        yb, ya = y_of(pair.before), y_of(pair.after)
        label = (
            f"{_long(pair.at.date())}, {quote(pair.text, 50)}: "
            f"calm {pair.before} before, {pair.after} after"
        )
        body.append(
            f'<g class="pair" data-before="{pair.before}" data-after="{pair.after}">'
            f"<title>{_e(label)}</title>"
            f'<line class="link" x1="{_n(x)}" x2="{_n(x)}" y1="{_n(yb)}" y2="{_n(ya)}"/>'
            f'<circle class="before" cx="{_n(x)}" cy="{_n(yb)}" r="5"/>'
            f'<circle class="after" cx="{_n(x)}" cy="{_n(ya)}" r="5"/></g>'
        )
    for cls, value, text in (
        ("avg-before", c.avg_before, f"before, average {c.avg_before:.1f}"),
        ("avg-after", c.avg_after, f"after, average {c.avg_after:.1f}"),
    ):
        y = y_of(value)
        body.append(
            f'<line class="{cls}" x1="{left}" x2="{left + plot_w}" y1="{_n(y)}" y2="{_n(y)}"/>'
            f'<text class="legend {cls}-text" x="{left + plot_w + 10}" y="{_n(y + 4)}">'
            f"{_e(text)}</text>"
        )
    rise = f"{c.avg_rise:+.1f}" if c.avg_rise is not None else ""
    body.append(
        f'<text class="legend rise" x="{left + plot_w + 10}" y="{top + 12}">'
        f"average rise {rise}</text>"
        f'<text class="axis" x="{left}" y="{height - 22}">each pair is one savoring, oldest on the '
        "left: hollow dot before, filled dot after (1 = not calm, 5 = very calm)</text>"
        f'<text class="axis" x="{left}" y="{height - 6}">'
        f"the last {plural(len(pairs), 'rated savoring')} of {c.rated}</text>"
    )
    words = calm_words(c)
    desc = f"Dot plot of calm ratings before and after savoring. {words}"
    return _section(
        "calm", "Calm before and after savoring", words,
        _svg("calm", width, height, "Calm before and after savoring", desc, body),
    )  # fmt: skip


def favourites_list(p: Progress) -> str:
    from voiceglimmer.dialog.when import say_day  # deferred: see the module docstring

    favs: list[Favourite] = p.favourites
    if not favs:
        return _section(
            "favourites",
            "The glimmers you return to",
            "Nothing savored yet. Glimmers you savor again and again will be listed here.",
            "",
        )
    top = favs[0].savor_count
    today = p.now.date()
    items = []
    for f in favs:
        share = 100 * f.savor_count / top
        times = "once" if f.savor_count == 1 else f"{f.savor_count} times"
        items.append(
            f'<li data-count="{f.savor_count}"><span class="fav-text">{_e(f.text)}</span>'
            f'<span class="meter" aria-hidden="true"><span style="width:{share:.0f}%">'
            f"</span></span>"
            f'<span class="fav-meta">savored {times}; noted {_e(_long(f.created_at.date()))}, '
            f"last savored {_e(say_day(f.last_savored.date(), today))}</span></li>"
        )
    first = favs[0]
    summary = (
        f"The glimmer you came back to most is \u201c{_e(quote(first.text, 80))}\u201d, "
        f"savored {plural(first.savor_count, 'time')}."
    )
    body = (
        '<ol class="favourites" id="favourites-list" '
        'aria-label="Glimmers savored most often, with counts">' + "".join(items) + "</ol>"
    )
    return _section("favourites", "The glimmers you return to", summary, body, escaped=True)


def _section(key: str, heading: str, summary: str, body: str, *, escaped: bool = False) -> str:
    text = summary if escaped else _e(summary)
    return (
        f'<section class="panel" id="{key}" aria-labelledby="{key}-h">'
        f'<h2 id="{key}-h">{_e(heading)}</h2><p class="summary">{text}</p>'
        + (f'<figure class="figure">{body}</figure>' if body else "")
        + "</section>"
    )


# -- page ------------------------------------------------------------------------

CSS = f"""
:root {{ color-scheme: light; }}
* {{ box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
html {{ background: {PAPER}; }}
body {{ margin: 0; color: {INK}; background: {PAPER};
  font: 16px/1.5 system-ui, "Segoe UI", "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }}
main {{ max-width: 800px; margin: 0 auto; padding: 32px 24px 48px; }}
h1 {{ font-size: 30px; font-weight: 600; margin: 0 0 4px; letter-spacing: -0.01em; }}
h2 {{ font-size: 20px; font-weight: 600; margin: 0 0 6px; }}
.asof {{ color: {MUTED}; margin: 0 0 20px; }}
.totals {{ display: flex; flex-wrap: wrap; gap: 12px; margin: 0 0 28px; padding: 0; }}
.totals div {{ flex: 1 1 150px; background: #fff; border: 1px solid {GRID};
  border-radius: 12px; padding: 10px 14px; }}
.totals dt {{ color: {MUTED}; font-size: 14px; }}
.totals dd {{ margin: 0; font-size: 26px; font-weight: 600; }}
.panel {{ background: #fff; border: 1px solid {GRID}; border-radius: 14px;
  padding: 18px 20px 14px; margin: 0 0 22px; break-inside: avoid; page-break-inside: avoid; }}
.summary {{ margin: 0 0 12px; color: {INK}; }}
.figure {{ margin: 0; overflow-x: auto; }}
svg.chart {{ display: block; max-width: 100%; height: auto; }}
svg text {{ font-family: inherit; }}
.axis {{ font-size: 11px; fill: {MUTED}; }}
.value {{ font-size: 11px; fill: {INK}; }}
.legend {{ font-size: 12px; fill: {INK}; }}
.grid {{ stroke: {GRID}; stroke-width: 1; }}
.bar {{ fill: {BAR}; }}
.bar.now {{ fill: {BAR_NOW}; }}
.day.streak, .key.streak {{ stroke: {INK}; stroke-width: 1.5; }}
.calendar-row {{ display: flex; flex-wrap: wrap; align-items: center; gap: 18px; }}
.streaks {{ display: flex; flex-direction: column; gap: 14px; }}
.streaks p {{ margin: 0; color: {MUTED}; line-height: 1.25; }}
.streaks .big {{ display: inline-block; font-size: 34px; font-weight: 600; color: {AFTER}; }}
.link {{ stroke: {GRID}; stroke-width: 3; stroke-linecap: round; }}
.before {{ fill: #fff; stroke: {BEFORE}; stroke-width: 2.5; }}
.after {{ fill: {AFTER}; }}
.avg-before {{ stroke: {BEFORE}; stroke-width: 1.5; stroke-dasharray: 5 4; }}
.avg-after {{ stroke: {AFTER}; stroke-width: 1.5; stroke-dasharray: 5 4; }}
.rise {{ font-weight: 600; }}
.favourites {{ margin: 0; padding-left: 1.4em; }}
.favourites li {{ margin: 0 0 12px; }}
.fav-text {{ display: block; font-weight: 600; }}
.fav-meta {{ display: block; color: {MUTED}; font-size: 14px; }}
.meter {{ display: block; height: 8px; background: {HEAT[0]}; border-radius: 4px; margin: 4px 0;
  max-width: 360px; }}
.meter span {{ display: block; height: 8px; background: {BAR}; border-radius: 4px; }}
.empty {{ text-align: center; padding: 48px 24px; }}
footer {{ color: {MUTED}; font-size: 14px; margin-top: 28px; }}
@page {{ margin: 14mm; }}
@media print {{
  html, body {{ background: #fff; }}
  main {{ padding: 0; max-width: none; }}
  .panel, .totals div {{ border-color: #d9cfc4; }}
}}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


def _page(body: str, now: datetime) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>Your glimmers, {_e(_long(now.date()))}</title>"
        f"<style>{CSS}</style></head>\n<body><main>\n{body}\n"
        "<footer><p>Made by voiceglimmer on your own computer from your journal. Nothing on this "
        "page came from, or goes to, the internet. It holds your private notes, so keep it "
        "somewhere only you can read.</p></footer>\n</main></body></html>\n"
    )


@dataclass(frozen=True)
class _Figure:
    label: str
    value: str


def render(p: Progress) -> str:
    """The whole report as one HTML string (an empty journal gets a gentle page)."""
    today = p.now.date()
    asof = f"As of {p.now:%A} {_long(today)}"
    if p.empty:
        return _page(
            '<section class="panel empty" id="empty"><h1>Nothing to show yet</h1>'
            f'<p class="asof">{_e(asof)}</p>'
            "<p>There are no glimmers in your journal so far, so there is nothing to chart. "
            "When you notice one, say or type \u201cI noticed a glimmer: \u2026\u201d and it will "
            "start to show up here: weeks, practice days, themes and the moments you return "
            "to.</p></section>",
            p.now,
        )
    t = p.totals
    figures = [
        _Figure("glimmers", str(t.glimmers)),
        _Figure("practice days", str(t.practice_days)),
        _Figure("current streak", plural(p.streaks.current, "day")),
        _Figure("savorings", f"{t.savorings}"),
    ]
    since = f" Your journal starts on {_long(t.first_day)}." if t.first_day else ""
    header = (
        "<header><h1>Your glimmer practice</h1>"
        f'<p class="asof">{_e(asof)}.{_e(since)} Time spent savoring: '
        f"{_e(_minutes(t.savored_seconds))}.</p>"
        '<dl class="totals">'
        + "".join(f"<div><dt>{_e(f.label)}</dt><dd>{_e(f.value)}</dd></div>" for f in figures)
        + "</dl></header>"
    )
    sections = [
        weeks_chart(p),
        calendar_chart(p),
        themes_chart(p),
        calm_chart(p),
        favourites_list(p),
    ]
    return _page(header + "\n" + "\n".join(sections), p.now)
