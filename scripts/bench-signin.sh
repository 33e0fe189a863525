#!/usr/bin/env bash
# Sign-in round trips for BENCHMARKS.md: DigiD through a broker (the local
# oidc-provider of the tests, .ci/oidc/broker.mjs, on loopback) beside
# password + TOTP through the API, in the same run, on the same server.
# A DigiD sign-in is the browser's whole round trip: our link, the broker's
# authorisation and its (automatic) login, our return address (code
# exchange, ID token checks, account lookup, session). Each uses a fresh
# browser (no session at the broker). Each password sign-in is a different
# account, as a TOTP code is good once.
# Needs node (npm ci --prefix .ci/oidc) and python3.
# Usage: scripts/bench-signin.sh [sign-ins per path]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-50}
[ -d .ci/oidc/node_modules ] || npm ci --prefix .ci/oidc --no-audit --no-fund --loglevel=error
cargo build --release -q
bin=target/release/grondslag
scratch=$(mktemp -d)
server=""
broker=""
trap 'kill $server $broker 2>/dev/null || true; rm -rf "$scratch"' EXIT
port=18299
origin="http://127.0.0.1:$port"

node .ci/oidc/broker.mjs "{\"port\":0,\"clients\":[{\"client_id\":\"img-digid\",\"client_secret\":\"bench\",\"redirect_uris\":[\"$origin/inloggen/digid/terug\"],\"post_logout_redirect_uris\":[\"$origin/uitgelogd\"]}]}" >"$scratch/ready" 2>/dev/null &
broker=$!
for _ in $(seq 100); do grep -q '^READY ' "$scratch/ready" && break; sleep 0.1; done
issuer=$(sed -n 's/^READY //p' "$scratch/ready")
printf '[digid]\nissuer = "%s"\nclient_id = "img-digid"\nclient_secret = "bench"\n' "$issuer" >"$scratch/brokers.toml"

data="$scratch/data"
secrets="$scratch/secrets"
for i in $(seq "$count"); do
    echo "drie losse woorden voor de bank" | $bin --data "$data" account create --username "bench$i" --role case_handler --password-stdin \
        | sed -n 's/^authenticator key: //p' >>"$secrets"
done
$bin --data "$data" serve --listen 127.0.0.1:$port --anonymous-limit 1000000/1m --brokers "$scratch/brokers.toml" 2>/dev/null &
server=$!
for _ in $(seq 100); do curl -sf "$origin/healthz" >/dev/null && break; sleep 0.1; done

python3 - "$origin" "$issuer" "$secrets" "$count" <<'PY'
import base64, hashlib, hmac, http.cookiejar, json, struct, sys, time, urllib.request
origin, issuer, secrets, count = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().split(), int(sys.argv[4])

def post(url, body):
    request = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    return urllib.request.urlopen(request)

def totp(secret):
    key = base64.b32decode(secret)
    h = hmac.new(key, struct.pack(">Q", int(time.time() // 30)), hashlib.sha1).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000)

def digid(i):
    bsn = "111222333"
    post(issuer + "/test/next-login", {"sub": "bench", "acr": "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard", "claims": {"bsn": bsn}})
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    started = time.perf_counter()
    page = browser.open(origin + "/inloggen/digid").read().decode()
    took = time.perf_counter() - started
    assert "Je bent ingelogd met DigiD" in page, page
    return took

def password(i):
    started = time.perf_counter()
    answer = post(origin + "/api/v1/session", {"username": f"bench{i + 1}", "password": "drie losse woorden voor de bank", "code": totp(secrets[i])})
    took = time.perf_counter() - started
    assert answer.status == 200
    return took

def percentiles(samples):
    samples = sorted(samples)
    at = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] * 1000
    return at(0.5), at(0.99)

digid(0)  # discovery and the first connection, outside the figures
results = {"DigiD via the broker": [digid(i) for i in range(count)], "password + TOTP (API)": [password(i) for i in range(count)]}
print(f"{count} sign-ins per path, one at a time, on loopback")
print(f"{'path':<28} {'p50 ms':>8} {'p99 ms':>8}")
for name, samples in results.items():
    p50, p99 = percentiles(samples)
    print(f"{name:<28} {p50:8.1f} {p99:8.1f}")
d50, d99 = percentiles(results["DigiD via the broker"])
p50, p99 = percentiles(results["password + TOTP (API)"])
print(f"DigiD / password + TOTP: {d50 / p50:.2f}x at p50, {d99 / p99:.2f}x at p99")
PY
