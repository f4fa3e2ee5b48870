#!/bin/sh
# Train the default policy's category model, policies/models/category.model, on the labelled
# Chinese tickets of corpora/zh_tickets/train.jsonl (never on heldout.jsonl).
#
# Usage: scripts/train-category.sh [AFTERCARE_BINARY]   (default target/release/aftercare)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
aftercare=${1:-$root/target/release/aftercare}
mkdir -p "$root/policies/models"
"$aftercare" train "$root/corpora/zh_tickets/train.jsonl" --label attributes.label_category \
    --out "$root/policies/models/category.model"
ls -l "$root/policies/models/category.model"
