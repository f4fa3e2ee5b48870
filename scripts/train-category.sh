#!/bin/sh
# Train the default policy's category model, policies/models/category.model, on the labelled
# Chinese tickets of corpora/zh_tickets/ that are for training (train.jsonl, train2.jsonl and the
# earlier rounds' held-out sets heldout.jsonl and heldout2.jsonl) — never on heldout3.jsonl.
#
# Options: --min-df 2 (a feature must occur in two tickets) and C = 30, chosen by 5-fold
# cross-validation of the default policy with the model on the training tickets (folds by
# SHA-256 of the ticket id; scripts/eval-zh-tickets.py --cv 5, policies/models/README.md).
#
# Usage: scripts/train-category.sh [AFTERCARE_BINARY]   (default target/release/aftercare)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
aftercare=${1:-$root/target/release/aftercare}
. "$root/scripts/zh-training-tickets.sh"
mkdir -p "$root/policies/models"
zh_training_tickets | "$aftercare" train - --label attributes.label_category \
    --min-df 2 --c 30 --out "$root/policies/models/category.model"
ls -l "$root/policies/models/category.model"
