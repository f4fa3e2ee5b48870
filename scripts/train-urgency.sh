#!/bin/sh
# Train the default policy's urgency model, policies/models/urgency.model, on the labelled
# Chinese tickets of corpora/zh_tickets/train.jsonl (never on heldout.jsonl): `urgent` or
# `not_urgent`, as the definitions in corpora/zh_tickets/README.md label them. The policy's
# `urgent-model` rule uses it beside the words; its threshold was chosen by cross-validation
# on train.jsonl (scripts/eval-zh-tickets.py --cv 5).
#
# Usage: scripts/train-urgency.sh [AFTERCARE_BINARY]   (default target/release/aftercare)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
aftercare=${1:-$root/target/release/aftercare}
mkdir -p "$root/policies/models"
"$aftercare" train "$root/corpora/zh_tickets/train.jsonl" --label attributes.label_urgency \
    --out "$root/policies/models/urgency.model"
ls -l "$root/policies/models/urgency.model"
