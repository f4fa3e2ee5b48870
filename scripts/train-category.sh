#!/bin/sh
# Train the default policy's category model, policies/models/category.model, on the labelled
# Chinese tickets of corpora/zh_tickets/train.jsonl (never on heldout.jsonl).
#
# Options: --min-df 2 (a feature must occur in two tickets) and C = 10, chosen by 2-fold
# cross-validation of the default policy with the model on train.jsonl alone (folds by SHA-256
# of the ticket id; see policies/models/README.md).
#
# Usage: scripts/train-category.sh [AFTERCARE_BINARY]   (default target/release/aftercare)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
aftercare=${1:-$root/target/release/aftercare}
mkdir -p "$root/policies/models"
"$aftercare" train "$root/corpora/zh_tickets/train.jsonl" --label attributes.label_category \
    --min-df 2 --c 10 --out "$root/policies/models/category.model"
ls -l "$root/policies/models/category.model"
