# Sourced by the training scripts: the labelled Chinese tickets the default policy's ticket
# models learn from, as JSON lines on standard output, in a fixed order (training is
# deterministic, so the same files give a byte-identical model). heldout3.jsonl is left out:
# it measures the policy on text nobody tuned it for (corpora/zh_tickets/README.md).
zh_training_tickets() {
    for f in train.jsonl train2.jsonl heldout.jsonl heldout2.jsonl; do
        cat "$root/corpora/zh_tickets/$f"
    done
}
