# Sourced by the training scripts (train-category.sh, train-urgency.sh, train-sentiment.sh).
#
# zh_training_tickets: the labelled Chinese tickets the default policy's ticket models learn
# from, as JSON lines on standard output, in a fixed order (training is deterministic, so the
# same files give a byte-identical model). heldout3.jsonl is left out: it measures the policy
# on text nobody tuned it for (corpora/zh_tickets/README.md).
zh_training_tickets() {
    for f in train.jsonl train2.jsonl heldout.jsonl heldout2.jsonl; do
        cat "$root/corpora/zh_tickets/$f"
    done
}

# train_ticket_model NAME LABEL OPTIONS [AFTERCARE_BINARY [TICKETS OUT]]: trains
# policies/models/NAME.model on the training tickets' field LABEL with `aftercare train`
# OPTIONS (words), or OUT on TICKETS (scripts/eval-zh-tickets.py --cv does, so that its folds
# train with the same options). AFTERCARE_BINARY defaults to target/release/aftercare.
train_ticket_model() {
    name=$1 label=$2 options=$3
    shift 3
    aftercare=${1:-$root/target/release/aftercare}
    out=${3:-$root/policies/models/$name.model}
    mkdir -p "$(dirname "$out")"
    # $options unquoted: it is a list of words.
    # shellcheck disable=SC2086
    if [ $# -ge 3 ]; then cat "$2"; else zh_training_tickets; fi |
        "$aftercare" train - --label "$label" $options --out "$out"
    ls -l "$out"
}
