#!/bin/sh
# Train the default policy's category model, policies/models/category.model, on the labelled
# Chinese tickets of corpora/zh_tickets/ that are for training (train.jsonl, train2.jsonl and the
# earlier rounds' held-out sets heldout.jsonl and heldout2.jsonl) — never on heldout3.jsonl.
#
# Options: --min-df 2 (a feature must occur in two tickets) and C = 30, chosen by 5-fold
# cross-validation of the default policy with the model on the training tickets (folds by
# SHA-256 of the ticket id; scripts/eval-zh-tickets.py --cv 5, policies/models/README.md).
#
# Usage: scripts/train-category.sh [AFTERCARE_BINARY [TICKETS OUT]]
#   AFTERCARE_BINARY  default target/release/aftercare
#   TICKETS OUT       train on other tickets into another file (scripts/eval-zh-tickets.py
#                     --cv does, so that its folds train with these options)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/zh-training-tickets.sh"
train_ticket_model category attributes.label_category "--min-df 2 --c 30" "$@"
