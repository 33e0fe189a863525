#!/usr/bin/env bash
# HTTP figures for BENCHMARKS.md: authenticated case reads and the staff
# case list (one scheme, one status, first page of 50) over loopback, beside
# the same binary's unauthenticated health endpoint and its signed-in
# `/api/v1/me` (the session looked up, no personal data read), with wrk;
# beside each rate, the server's CPU time per request (from /proc), which
# wrk's share of the same cores does not blur.
# Needs wrk (apt-get install wrk) and python3 (for the TOTP code).
# Usage: scripts/bench-http.sh [seconds] [connections] [population-dir]
# With a population (from `grondslag generate`; it gains a bench account and
# audit entries), the list is measured at that store's size.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-16}
population=${3:-}
cargo build --release -q
bin=target/release/grondslag
scratch=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$scratch"' EXIT
port=18199

if [ -n "$population" ]; then
    data=$population
else
    data=$scratch
    $bin --data "$data" case create examples/fysieke-schade.json >/dev/null
fi
user="bench$(date +%s)"
secret=$(echo "drie losse woorden voor de bank" | $bin --data "$data" account create --username "$user" --role case_handler --password-stdin | sed -n 's/^authenticator key: //p')
$bin --data "$data" serve --listen 127.0.0.1:$port 2>/dev/null &
server=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done

code=$(python3 - "$secret" <<'PY'
import base64, hashlib, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1])
h = hmac.new(key, struct.pack(">Q", int(time.time() // 30)), hashlib.sha1).digest()
o = h[-1] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000))
PY
)
cookie=$(curl -s -D - -o /dev/null -H 'content-type: application/json' \
    -d "{\"username\":\"$user\",\"password\":\"drie losse woorden voor de bank\",\"code\":\"$code\"}" \
    http://127.0.0.1:$port/api/v1/session | sed -n 's/^set-cookie: \([^;]*\);.*/\1/p')
list="http://127.0.0.1:$port/api/v1/cases?regeling=fysieke_schade&status=submitted"
case=$(curl -sf -H "Cookie: $cookie" "$list" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["number"])')

threads=$(( connections < 2 ? connections : 2 ))
# The server's CPU time (user and system, in clock ticks) around each run.
ticks() { awk '{print $14 + $15}' /proc/$server/stat; }
run() {
    local before output
    before=$(ticks)
    output=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "$@" 2>&1)
    echo "$output"
    echo "server ticks $(( $(ticks) - before ))"
}
health=$(run http://127.0.0.1:$port/healthz)
me=$(run -H "Cookie: $cookie" http://127.0.0.1:$port/api/v1/me)
cases=$(run -H "Cookie: $cookie" "http://127.0.0.1:$port/api/v1/cases/$case")
listed=$(run -H "Cookie: $cookie" "$list")
rate() { echo "$1" | awk '/^Requests\/sec/ {print $2}'; }
p99() { echo "$1" | awk '$1 == "99%" {print $2}'; }
non2xx() { echo "$1" | awk '/Non-2xx/ {print $NF}'; }
cpu() { echo "$1" | awk -v hz="$(getconf CLK_TCK)" '/ requests in / {n = $1} /^server ticks/ {t = $3} END {printf "%.0f µs", t * 1e6 / hz / n}'; }
echo "wrk: $threads thread(s), $connections connections, ${seconds}s each, on $(nproc) cores"
columns='%-38s %12s %10s %8s %14s\n'
row() { printf "$columns" "$1" "$(rate "$2")" "$(p99 "$2")" "$(non2xx "$2")" "$(cpu "$2")"; }
printf "$columns" "endpoint" "requests/s" "p99" "non-2xx" "server CPU/req"
row "GET /healthz (no session)" "$health"
row "GET /api/v1/me (signed)" "$me"
row "GET /api/v1/cases/{number} (signed)" "$cases"
row "GET /api/v1/cases?… first 50 (signed)" "$listed"
echo "case list latency: p50 $(echo "$listed" | awk '$1 == "50%" {print $2}'), p99 $(p99 "$listed")"
awk -v a="$(rate "$cases")" -v b="$(rate "$health")" 'BEGIN { printf "authenticated case read / health: %.3fx\n", a / b }'
awk -v a="$(rate "$me")" -v b="$(rate "$health")" 'BEGIN { printf "signed-in session check / health: %.3fx\n", a / b }'
awk -v a="$(rate "$cases")" -v b="$(rate "$me")" 'BEGIN { printf "authenticated case read / signed-in session check: %.3fx\n", a / b }'
awk -v a="$(rate "$listed")" -v b="$(rate "$health")" 'BEGIN { printf "case list / health: %.3fx\n", a / b }'
echo "cases in fysieke_schade: $($bin --data "$data" retention report 2>/dev/null | awk '$1 == "fysieke_schade" {print $2; exit}')"
[ -n "$population" ] || $bin --data "$data" audit verify
