#!/usr/bin/env python3
"""Measure how a policy reads the labelled Chinese tickets (corpora/zh_tickets/).

Runs `aftercare eval POLICY TICKETS` and compares each decision with the ticket's labels:
category against `attributes.label_category`, urgency (priority "urgent") against
`attributes.label_urgency`. Prints category accuracy, per-category recall, urgent recall and
precision, and (with --errors) the tickets it got wrong.

Usage:
    scripts/eval-zh-tickets.py [--aftercare BIN] [--policy FILE] [--errors] TICKETS.jsonl
Python 3 standard library only.
"""
import argparse
import collections
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tickets")
    ap.add_argument("--policy", default=os.path.join(ROOT, "policies", "default.toml"))
    ap.add_argument("--aftercare", default=os.path.join(ROOT, "target", "debug", "aftercare"))
    ap.add_argument("--errors", action="store_true", help="list the tickets decided wrongly")
    ap.add_argument("--format", choices=["text", "json"], default="text")
    args = ap.parse_args()

    tickets = {}
    order = []
    with open(args.tickets, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                t = json.loads(line)
                tickets[t["id"]] = t
                order.append(t["id"])
    # A fixed `now` keeps the run reproducible; the labels do not depend on it.
    out = subprocess.run(
        [args.aftercare, "eval", args.policy, args.tickets, "--now", "2026-01-01T00:00:00+08:00"],
        check=False, capture_output=True, text=True)
    if out.returncode not in (0,):
        sys.stderr.write(out.stderr)
        sys.exit(f"aftercare eval failed with exit code {out.returncode}")
    decisions = {}
    for line in out.stdout.splitlines():
        d = json.loads(line)
        decisions[d["ticket"]] = d

    total = correct = 0
    per_cat = collections.defaultdict(lambda: [0, 0])  # label -> [correct, support]
    confusion = collections.Counter()
    tp = fn = fp = 0
    wrong = []
    for tid in order:
        attrs = tickets[tid].get("attributes", {})
        want_cat = attrs.get("label_category")
        want_urgent = attrs.get("label_urgency") == "urgent"
        d = decisions[tid]
        got_cat = d["category"]
        got_urgent = d["priority"] == "urgent"
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
    if args.format == "json":
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        print(f"tickets            {total}")
        print(f"category accuracy  {figures['category_accuracy']:.1%} ({correct}/{total})")
        for k, (c, n) in sorted(per_cat.items()):
            print(f"  {k:<13}    recall {c / n:.1%} ({c}/{n})")
        print(f"urgent recall      {figures['urgent_recall']:.1%} ({tp}/{tp + fn})")
        print(f"urgent precision   {figures['urgent_precision']:.1%} ({tp}/{tp + fp})")
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
