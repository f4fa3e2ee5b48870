#!/bin/sh
# Train the default policy's sentiment model, policies/models/sentiment.model, on the labelled
# Chinese tickets of corpora/zh_tickets/ that are for training (train.jsonl, train2.jsonl and the
# earlier rounds' held-out sets heldout.jsonl and heldout2.jsonl) — never on heldout3.jsonl:
# the customer's tone, `negative`, `neutral` or `positive`, as corpora/zh_tickets/README.md
# defines it. C and min_df were chosen by 5-fold cross-validation on the training tickets
# (policies/models/README.md).
#
# Usage: scripts/train-sentiment.sh [AFTERCARE_BINARY [TICKETS OUT]]
#   AFTERCARE_BINARY  default target/release/aftercare
#   TICKETS OUT       train on other tickets into another file (scripts/eval-zh-tickets.py
#                     --cv does, so that its folds train with these options)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/zh-training-tickets.sh"
train_ticket_model sentiment attributes.label_sentiment "--c 10 --min-df 2 --balanced" "$@"
