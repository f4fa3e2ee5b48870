#!/usr/bin/env python3
"""Measure how a policy reads the labelled Chinese tickets (corpora/zh_tickets/).

Runs `aftercare eval POLICY TICKETS` and compares each decision with the ticket's labels:
category against `attributes.label_category`, urgency (priority "urgent") against
`attributes.label_urgency`, and the `sentiment` model's label against
`attributes.label_sentiment`. Prints category accuracy, per-category recall, urgent recall and
precision, the tone's accuracy and macro-F1, and (with --errors) the tickets whose category or
urgency it got wrong.

With --cv K the tickets are split into K folds by a hash of their id, and each fold is decided
by a copy of the policy whose ticket-trained models (category, sentiment, urgency: see TRAINED_ON_TICKETS)
were trained by their training scripts on the other folds only: the figures then say how the
models and their thresholds do on tickets they were not trained on. Use it on the training files to
choose thresholds; the rules themselves are still tuned on the same tickets.

Usage:
    scripts/eval-zh-tickets.py [--aftercare BIN] [--policy FILE] [--errors] [--cv K] TICKETS.jsonl
Python 3 standard library only.
"""
import argparse
import collections
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOW = "2026-01-01T00:00:00+08:00"
# Models of the policy that are trained on the labelled tickets, each by its training script
# (which holds its label and options). Other models are used as they are.
TRAINED_ON_TICKETS = {
    "category": "scripts/train-category.sh",
    "sentiment": "scripts/train-sentiment.sh",
    "urgency": "scripts/train-urgency.sh",
}


def decide(aftercare, policy, tickets_file):
    """Run `aftercare eval` and return its decisions by ticket id."""
    # A fixed `now` keeps the run reproducible; the labels do not depend on it.
    out = subprocess.run([aftercare, "eval", policy, tickets_file, "--now", NOW],
                         check=False, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        sys.exit(f"aftercare eval failed with exit code {out.returncode}")
    return {d["ticket"]: d for d in map(json.loads, out.stdout.splitlines())}


def fold_of(ticket_id, k):
    return int(hashlib.sha256(ticket_id.encode()).hexdigest(), 16) % k


def decide_cross_validated(aftercare, policy, lines, k):
    """Decide each fold with models trained on the other folds (see --cv)."""
    # The policy's `[models.NAME]` tables with their `path`: read with a pattern, not a TOML
    # parser, because the policy uses multi-line inline tables (TOML 1.1).
    with open(policy, encoding="utf-8") as f:
        models = {m.group(1): {"path": m.group(2)} for m in re.finditer(
            r'^\[models\.(\w+)\]\s*\npath\s*=\s*"([^"]+)"', f.read(), re.M)}
    policy_dir = os.path.dirname(os.path.abspath(policy))
    decisions = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fold in range(k):
            inside = [l for l in lines if fold_of(json.loads(l)["id"], k) == fold]
            outside = [l for l in lines if fold_of(json.loads(l)["id"], k) != fold]
            work = os.path.join(tmp, f"fold{fold}")
            shutil.copytree(policy_dir, work)
            for name, model in models.items():
                if name not in TRAINED_ON_TICKETS:
                    continue
                train = os.path.join(tmp, "train.jsonl")
                with open(train, "w", encoding="utf-8") as f:
                    f.writelines(outside)
                out = subprocess.run(
                    ["sh", os.path.join(ROOT, TRAINED_ON_TICKETS[name]), aftercare, train,
                     os.path.join(work, model["path"])],
                    check=False, capture_output=True, text=True)
                if out.returncode != 0:
                    sys.stderr.write(out.stderr)
                    sys.exit(f"{TRAINED_ON_TICKETS[name]} failed with exit code {out.returncode}")
            test = os.path.join(tmp, "test.jsonl")
            with open(test, "w", encoding="utf-8") as f:
                f.writelines(inside)
            decisions.update(decide(aftercare, os.path.join(work, os.path.basename(policy)), test))
    return decisions


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tickets")
    ap.add_argument("--policy", default=os.path.join(ROOT, "policies", "default.toml"))
    ap.add_argument("--aftercare", default=os.path.join(ROOT, "target", "debug", "aftercare"))
    ap.add_argument("--errors", action="store_true", help="list the tickets decided wrongly")
    ap.add_argument("--format", choices=["text", "json"], default="text")
    ap.add_argument("--cv", type=int, metavar="K",
                    help="decide each of K folds with models trained on the other folds")
    args = ap.parse_args()

    tickets = {}
    order = []
    lines = []
    with open(args.tickets, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                t = json.loads(line)
                tickets[t["id"]] = t
                order.append(t["id"])
                lines.append(line if line.endswith("\n") else line + "\n")
    if args.cv:
        decisions = decide_cross_validated(args.aftercare, args.policy, lines, args.cv)
    else:
        decisions = decide(args.aftercare, args.policy, args.tickets)

    total = correct = 0
    per_cat = collections.defaultdict(lambda: [0, 0])  # label -> [correct, support]
    confusion = collections.Counter()
    tp = fn = fp = 0
    tone = collections.Counter()  # (label, model's label) -> tickets
    wrong = []
    for tid in order:
        attrs = tickets[tid].get("attributes", {})
        want_cat = attrs.get("label_category")
        want_urgent = attrs.get("label_urgency") == "urgent"
        d = decisions[tid]
        got_cat = d["category"]
        got_urgent = d["priority"] == "urgent"
        want_tone = attrs.get("label_sentiment")
        got_tone = (d.get("labels") or {}).get("sentiment", {}).get("label")
        if want_tone is not None and got_tone is not None:
            tone[(want_tone, got_tone)] += 1
        if want_cat is not None:
            total += 1
            per_cat[want_cat][1] += 1
            confusion[(want_cat, got_cat)] += 1
            if got_cat == want_cat:
                correct += 1
                per_cat[want_cat][0] += 1
        if want_urgent and got_urgent:
            tp += 1
        elif want_urgent:
            fn += 1
        elif got_urgent:
            fp += 1
        if got_cat != want_cat or got_urgent != want_urgent:
            text = (tickets[tid].get("subject", "") + " " + tickets[tid].get("description", "")).strip()
            wrong.append((tid, want_cat, got_cat, want_urgent, got_urgent, text))

    figures = {
        "tickets": total,
        "category_accuracy": correct / total if total else 0.0,
        "category_recall": {k: v[0] / v[1] for k, v in sorted(per_cat.items())},
        "urgent_support": tp + fn,
        "urgent_recall": tp / (tp + fn) if tp + fn else 1.0,
        "urgent_precision": tp / (tp + fp) if tp + fp else 1.0,
    }
    if tone:
        tones = sorted({a for a, _ in tone} | {b for _, b in tone})
        f1 = []
        for t in tones:
            hit = tone[(t, t)]
            said = sum(tone[(a, t)] for a in tones)
            meant = sum(tone[(t, b)] for b in tones)
            p, r = hit / said if said else 0.0, hit / meant if meant else 0.0
            f1.append(2 * p * r / (p + r) if p + r else 0.0)
        figures["sentiment_accuracy"] = sum(tone[(t, t)] for t in tones) / sum(tone.values())
        figures["sentiment_macro_f1"] = sum(f1) / len(f1)
    if args.format == "json":
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        print(f"tickets            {total}")
        print(f"category accuracy  {figures['category_accuracy']:.1%} ({correct}/{total})")
        for k, (c, n) in sorted(per_cat.items()):
            print(f"  {k:<13}    recall {c / n:.1%} ({c}/{n})")
        print(f"urgent recall      {figures['urgent_recall']:.1%} ({tp}/{tp + fn})")
        print(f"urgent precision   {figures['urgent_precision']:.1%} ({tp}/{tp + fp})")
        if tone:
            print(f"tone accuracy      {figures['sentiment_accuracy']:.1%} "
                  f"(macro-F1 {figures['sentiment_macro_f1']:.3f})")
        labels = sorted(per_cat)
        print("confusion (rows: label, columns: decided)")
        print("  " + " ".join(f"{l[:6]:>7}" for l in ["", *labels]))
        for a in labels:
            print("  " + f"{a[:6]:>7} " + " ".join(f"{confusion[(a, b)]:>7}" for b in labels))
    if args.errors:
        for tid, wc, gc, wu, gu, text in wrong:
            print(f"{tid}\t{wc}->{gc}\turgent {wu}->{gu}\t{text}")


if __name__ == "__main__":
    main()
