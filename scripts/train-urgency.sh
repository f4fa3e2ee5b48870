#!/bin/sh
# Train the default policy's urgency model, policies/models/urgency.model, on the labelled
# Chinese tickets of corpora/zh_tickets/ that are for training (train.jsonl, train2.jsonl and the
# earlier rounds' held-out sets heldout.jsonl and heldout2.jsonl) — never on heldout3.jsonl:
# `urgent` or `not_urgent`, as the definitions in corpora/zh_tickets/README.md label them. The
# policy's `urgent-model` rule uses it beside the words; its floors were chosen by
# cross-validation on the training tickets (scripts/eval-zh-tickets.py --cv 5).
#
# Usage: scripts/train-urgency.sh [AFTERCARE_BINARY [TICKETS OUT]]
#   AFTERCARE_BINARY  default target/release/aftercare
#   TICKETS OUT       train on other tickets into another file (scripts/eval-zh-tickets.py
#                     --cv does, so that its folds train with these options)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/zh-training-tickets.sh"
train_ticket_model urgency attributes.label_urgency "" "$@"
