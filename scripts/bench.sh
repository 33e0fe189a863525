#!/bin/sh
# Regenerates every figure in BENCHMARKS.md and its plot (docs/bench.png).
#
# Generates the synthetic populations once (10^5 and 10^6 people, seed 1,
# history until 2026-11-28) into $POPULATIONS — about 2.3 GB and 23 GB —
# and reuses them on later runs; then runs `grondslag-bench` once, built
# with Cedar beside the kernel, which also fills a store of 10^6 cases of
# its own for the relation check and the expert's case list, and an audit
# log of 10^7 entries (about 7 GB) for verification, export and proofs (minutes),
# and a call-centre store that imports a year of 500,000 calls for 300
# employees and draws their monthly selection (minutes). The output goes to standard output and to
# $POPULATIONS/bench.txt. Set SIZES to generate other populations, e.g.
# SIZES=100000 for a run of a few minutes.
set -eu
cd "$(dirname "$0")/.."
POPULATIONS=${POPULATIONS:-target/populations}
SIZES=${SIZES:-"100000 1000000"}
UNTIL=2026-11-28T10:00:00Z

cargo build --release -p grondslag
cargo build --release -p grondslag-bench --features cedar
bin=target/release/grondslag
mkdir -p "$POPULATIONS"
stores=""
for n in $SIZES; do
    dir=$POPULATIONS/p$n
    if [ ! -e "$dir/grondslag.db" ]; then
        "$bin" generate --subjects "$n" --seed 1 --until "$UNTIL" --data "$dir" | tee "$POPULATIONS/generate-$n.txt"
    fi
    stores=${stores:+$stores,}$dir
done
"$bin-bench" --subjects 1000,10000 --population "$stores" --sweep-sizes 100000,1000000,10000000 --audit-entries 10000000 \
    --calls 500000 --employees 300 --plot docs/bench.png | tee "$POPULATIONS/bench.txt"
