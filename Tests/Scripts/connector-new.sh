#!/usr/bin/env bash
# A new connector as a user makes one: max connector new → its own tests → max install → max
# connect → max sync → search and invoke; then a second connector, whose build must reuse what
# the first compiled. Slow (it builds the first package twice: its tests in debug, the connector
# in release), so .ci/run runs it after the test suite rather than swift test.
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

echo "== a second connector reuses the first one's build"
"$max" connector new world
"$max" install 2>"$work/install-2.log" || { tail -20 "$work/install-2.log" >&2; exit 1; }
if grep -E "Compiling (MaxCore|MaxConnector|NIOCore)" "$work/install-2.log"; then
    echo "the second max install compiled Max's SDK or its dependencies again" >&2
    exit 1
fi
grep -q "Compiling World" "$work/install-2.log" || { echo "world was not built:" >&2; cat "$work/install-2.log" >&2; exit 1; }
for name in hello world; do
    executable="$(python3 -c "import json,sys; print(json.load(open('.max/connectors.json'))['$name']['executable'])")"
    case "$executable" in
        */.max/connectors/$name-*/bin/$name-connector) ;;
        *) echo "$name runs $executable, not a copy of its own" >&2; exit 1 ;;
    esac
done
"$max" connect world --config greeting=Hello
"$max" sync world
"$max" sync hello
[ "$("$max" count world WorldGreeting)" = "4" ] || { echo "world did not sync its greetings" >&2; exit 1; }
echo "connector-new: ok"
