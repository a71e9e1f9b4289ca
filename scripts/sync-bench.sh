#!/bin/bash
# usage: syncbench.sh PROJECTS TASKS_PER_PROJECT
set -e
B="$(cd "$(dirname "$0")/.." && pwd)/.build/release"
P=$1; T=$2
D=$(mktemp -d /tmp/max-sync-bench-XXXX)
$B/acme-server --port 0 --projects-per-workspace $P --tasks-per-project $T --files-per-project 5 > $D/ready 2>/dev/null &
SERVER=$!
while [ ! -s $D/ready ]; do sleep 0.2; done
URL=$(python3 -c "import json;print(json.load(open('$D/ready'))['url'])")
export ACME_TOKEN=$(python3 -c "import json;print(json.load(open('$D/ready'))['apiKey'])")
cd $D && $B/max init . >/dev/null 2>&1
$B/max connect acme --config baseURL=$URL --credential api_token=env:ACME_TOKEN >/dev/null 2>&1
/usr/bin/time -f "max sync: wall %e s, user %U s, sys %S s, peak RSS %M KB" $B/max sync acme --progress none
# The second sync reads only the changes (none here): what a routine sync costs.
/usr/bin/time -f "max sync (changes only, none): wall %e s, peak RSS %M KB" $B/max sync acme --progress none
echo "search latency (10 runs):"
for i in $(seq 10); do /usr/bin/time -f "%e" $B/max search acme AcmeTask --filter 'status = "todo" AND priority = "high"' --order-by updatedAt:desc --limit 50 -o ndjson > /dev/null; done 2>&1 | sort -n | tr '\n' ' '; echo
echo "count latency (10 runs):"
for i in $(seq 10); do /usr/bin/time -f "%e" $B/max count acme AcmeTask --filter 'status = "todo"' > /dev/null; done 2>&1 | sort -n | tr '\n' ' '; echo
$B/max count acme AcmeTask
kill $SERVER
rm -rf $D
