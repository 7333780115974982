#!/bin/sh
# How tests/data/release-0.1.0-journal.sqlite3 and release-0.1.0-export.json were
# made: with the release before plugins owned their data (commit 401273a), through
# its own command line, so the migration test opens a journal exactly as a person
# has one. Run from the repository root; writes into tests/data/.
set -eu
REPO=$(pwd)
WORK=$(mktemp -d)
git worktree add --detach "$WORK/release" 401273a
mkdir -p "$WORK/path"
ln -s "$WORK/release/plugins" "$WORK/path/voiceglimmer_plugins"
export VOICEGLIMMER_HOME="$WORK/home" TZ=America/New_York
export PYTHONPATH="$WORK/release:$WORK/path"
PY="$REPO/.venv/bin/python"
at() { now=$1; shift; VOICEGLIMMER_NOW="$now" "$PY" -m voiceglimmer "$@"; }

at 2026-11-24T15:30:00-05:00 log "birdsong at dawn" --at 2026-11-20T07:40
at 2026-11-24T15:30:00-05:00 log "the smell of rain on warm pavement" --at 2026-11-22T18:20
at 2026-11-24T15:30:00-05:00 log "my cat purring on my lap" --at 2026-11-23T21:10
printf '%s\n' "I noticed a glimmer: the warm sunlight on my face" "no" \
  "tag that as connection" "also tag it as comfort" "turn on the calm check" \
  "savor it" "3" "5" "I noticed a glimmer: the first sip of tea" "no" "savor it" "skip" "4" \
  "add a note to today: slow start, kind evening" "remind me to look for glimmers at 8am" \
  "every evening at 9 ask me to reflect" "turn on the morning ritual" \
  | at 2026-11-24T15:30:00-05:00 chat --no-pace >/dev/null
printf '%s\n' "let's reflect" "the sunlight" "no" "it was a good day after all" \
  | at 2026-11-24T20:45:00-05:00 chat --no-pace >/dev/null
at 2026-11-24T20:50:00-05:00 reminders add "every monday and thursday at 7:30 take a minute in the sun"
printf '%s\n' "help me savor the smell of rain" "2" "skip" "what is that tagged" \
  "that wasn't about nature" | at 2026-11-24T20:55:00-05:00 chat --no-pace >/dev/null
"$PY" -c "
from datetime import datetime
from voiceglimmer.store.home import Home
from voiceglimmer.store.journal import Journal
j = Journal(Home.locate().journal)
j.set_reminder_enabled(3, False)
j.mark_reminder_fired(1, datetime.fromisoformat('2026-11-24T08:00:05-05:00'))
j.add_reflection('2026-11-23', 'rainy, but the cat helped',
                 created_at=datetime.fromisoformat('2026-11-23T22:00:00-05:00'))
j.close()
"
printf '%s\n' "turn off the calm check" "help me savor my cat" \
  | at 2026-11-24T21:05:00-05:00 chat --no-pace >/dev/null
at 2026-11-24T21:10:00-05:00 export --format json > "$REPO/tests/data/release-0.1.0-export.json"
cp "$VOICEGLIMMER_HOME/journal.sqlite3" "$REPO/tests/data/release-0.1.0-journal.sqlite3"
git worktree remove --force "$WORK/release"
rm -rf "$WORK"
