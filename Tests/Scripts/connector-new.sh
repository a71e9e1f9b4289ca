#!/usr/bin/env bash
# A new connector as a user makes one: max connector new → its own tests → max install → max
# connect → max sync → search and invoke. Slow (it builds the package twice: its tests in debug,
# the connector in release), so .ci/run runs it after the test suite rather than swift test.
#   bash Tests/Scripts/connector-new.sh [path/to/max]
set -euo pipefail
max="${1:-$(swift build --show-bin-path)/max}"
max="$(cd "$(dirname "$max")" && pwd)/$(basename "$max")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export MAX_CONFIG_HOME="$work/config"
cd "$work"

"$max" init .
"$max" connector new hello
grep -q '"hello": "file:./connectors/hello"' max.json

echo "== the package's own test"
(cd connectors/hello && swift build --build-tests && swift test --skip-build)

echo "== max install"
"$max" install
grep -q '"executable"' .max/connectors.json

echo "== connect, sync, search, invoke"
"$max" connect hello --config greeting=Hi
"$max" sync hello
count="$("$max" count hello HelloGreeting)"
[ "$count" = "4" ] || { echo "expected 4 greetings, got $count" >&2; exit 1; }
# Output is read whole before it is checked: grep -q on a pipe can stop reading early, and
# pipefail would then report max's SIGPIPE as a failure.
found="$("$max" search hello HelloGreeting --filter 'language = "de"' -o ndjson)"
grep -q '"Hi, Welt!"' <<<"$found" || { echo "no German greeting in: $found" >&2; exit 1; }
greeted="$("$max" invoke hello greet --input '{"name": "Ada"}')"
grep -q '"Hi, Ada!"' <<<"$greeted" || { echo "unexpected greeting: $greeted" >&2; exit 1; }
echo "connector-new: ok"
