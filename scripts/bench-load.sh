#!/usr/bin/env bash
# The load test's figures for BENCHMARKS.md: clients at once, each under its
# own case handler and applicant, mixing filings, status changes, case reads,
# lists and sign-ins (`grondslag-bench load`, crates/bench/src/load.rs) for
# a fixed count of requests on loopback — against one node on SQLite, one
# node on PostgreSQL, and two nodes on one PostgreSQL database. Each gets a
# fresh data directory (and a scratch database, dropped afterwards). After
# each run every acknowledged write is read back through every node, and
# `grondslag audit verify` checks the one chain; either failing fails the
# script, after the figures.
# Needs psql and a PostgreSQL server where the user may create databases.
# Usage: scripts/bench-load.sh [clients] [requests] [postgres-server-url]
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-16}
requests=${2:-4000}
server_url=${3:-postgres://postgres@127.0.0.1:5432/postgres}
cargo build --release -q -p grondslag -p grondslag-bench
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/grondslag
bench=$target/release/grondslag-bench
export GRONDSLAG_BENCH_PASSWORD="paard op het wad bij lauwersoog"
scratch=$(mktemp -d)
servers=()
databases=()
runs=0
cleanup() {
    for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
    for db in "${databases[@]}"; do psql "$server_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; done
    rm -rf "$scratch"
}
trap cleanup EXIT

# The nth valid BSN: eight digits and the 11-check digit.
bsn() {
    local k eight sum i
    for k in $(seq 0 99); do
        eight=$((10000000 + $1 * 100 + k))
        sum=0
        for i in 0 1 2 3 4 5 6 7; do sum=$((sum + ${eight:i:1} * (9 - i))); done
        if [ $((sum % 11)) -lt 10 ]; then echo "$eight$((sum % 11))"; return; fi
    done
}

key() { sed -n 's/^authenticator key: //p'; }

# run LABEL NODES [postgres]
run() {
    local label=$1 count=$2 nodes="" port
    runs=$((runs + 1))
    local data="$scratch/run$runs"
    if [ "${3:-}" = postgres ]; then
        local db="grondslag_load_$$_$count"
        psql "$server_url" -qc "CREATE DATABASE $db" >/dev/null
        databases+=("$db")
        export GRONDSLAG_DATABASE_URL="${server_url%/*}/$db"
    else
        unset GRONDSLAG_DATABASE_URL
    fi
    for i in $(seq 0 $((clients - 1))); do
        local number handler applicant
        number=$(bsn $((500 + i)))
        # An applicant's account is for someone with a file: one case each first.
        sed "s/111222333/$number/" examples/fysieke-schade.json >"$data.case.json"
        $bin --data "$data" case create "$data.case.json" >/dev/null
        handler=$(echo "$GRONDSLAG_BENCH_PASSWORD" | $bin --data "$data" account create --username "behandelaar$i" --role case_handler --password-stdin | key)
        applicant=$(echo "$GRONDSLAG_BENCH_PASSWORD" | $bin --data "$data" account create --username "aanvrager$i" --role applicant --bsn "$number" --password-stdin | key)
        echo "behandelaar$i $handler aanvrager$i $applicant $number" >>"$data.accounts"
    done
    local started=()
    for n in $(seq "$count"); do
        port=$((18400 + n))
        $bin --data "$data" serve --listen 127.0.0.1:$port --anonymous-limit 1000000/1m 2>/dev/null &
        servers+=($!)
        started+=($!)
        for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
        nodes="$nodes${nodes:+,}http://127.0.0.1:$port"
    done
    echo "== $label"
    local status=0
    $bench load --nodes "$nodes" --accounts "$data.accounts" --requests "$requests" --label "$label" | tee "$scratch/out" || status=$?
    kill -TERM "${started[@]}"
    wait "${started[@]}" || true
    $bin --data "$data" audit verify
    sed -n 's/^row: //p' "$scratch/out" >>"$scratch/rows"
    return $status
}

run "SQLite, 1 node" 1
run "PostgreSQL, 1 node" 1 postgres
run "PostgreSQL, 2 nodes" 2 postgres
echo
echo "$clients clients, $requests requests per configuration, client and servers on the same $(nproc) cores"
echo "| configuration | requests | errors | p50 ms | p99 ms | max ms | requests/s | writes/s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
cat "$scratch/rows"
