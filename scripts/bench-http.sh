#!/usr/bin/env bash
# HTTP figures for BENCHMARKS.md: authenticated case reads over loopback
# beside the same binary's unauthenticated health endpoint, with wrk.
# Needs wrk (apt-get install wrk) and python3 (for the TOTP code).
# Usage: scripts/bench-http.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-16}
cargo build --release -q
bin=target/release/grondslag
data=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
port=18199

$bin --data "$data" case create examples/fysieke-schade.json >/dev/null
secret=$(echo "drie losse woorden voor de bank" | $bin --data "$data" account create --username bench --role case_handler --password-stdin | sed -n 's/^authenticator key: //p')
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
    -d "{\"username\":\"bench\",\"password\":\"drie losse woorden voor de bank\",\"code\":\"$code\"}" \
    http://127.0.0.1:$port/api/session | sed -n 's/^set-cookie: \([^;]*\);.*/\1/p')
curl -sf -H "Cookie: $cookie" http://127.0.0.1:$port/api/cases/IMG-2026-000001 >/dev/null

run() { wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@" 2>&1; }
health=$(run http://127.0.0.1:$port/healthz)
cases=$(run -H "Cookie: $cookie" http://127.0.0.1:$port/api/cases/IMG-2026-000001)
rate() { echo "$1" | awk '/^Requests\/sec/ {print $2}'; }
p99() { echo "$1" | awk '$1 == "99%" {print $2}'; }
non2xx() { echo "$1" | awk '/Non-2xx/ {print $NF}'; }
echo "wrk: 2 threads, $connections connections, ${seconds}s each, on $(nproc) cores"
printf '%-34s %12s %10s %8s\n' "endpoint" "requests/s" "p99" "non-2xx"
printf '%-34s %12s %10s %8s\n' "GET /healthz (no session)" "$(rate "$health")" "$(p99 "$health")" "$(non2xx "$health")"
printf '%-34s %12s %10s %8s\n' "GET /api/cases/{number} (signed)" "$(rate "$cases")" "$(p99 "$cases")" "$(non2xx "$cases")"
awk -v a="$(rate "$cases")" -v b="$(rate "$health")" 'BEGIN { printf "authenticated case read / health: %.3fx\n", a / b }'
$bin --data "$data" audit verify
