#!/usr/bin/env python3
"""Turn a CFPB consumer complaint CSV export into labelled tickets for `aftercare train`.

Only complaints with a published narrative are kept. Each becomes a ticket whose description is
the narrative (personal details are already masked as XXXX in the export) and whose
`attributes.product` is the product family, the same families as examples/policies/cfpb:
credit_reporting, debt_collection, mortgage, credit_card, bank_account, loans, money_transfer.
The subject is left out on purpose: the export's "Issue" names the product almost outright, and
the model is meant for complaints that arrive as free text only.

20 % of the complaints are held out for measuring, chosen by a hash of the narrative (the first
8 bytes of SHA-256, modulo 100, below 20): the same export always gives the same split.

Usage: python3 cfpb_to_tickets.py COMPLAINTS.csv OUT_DIR    (writes train.jsonl, test.jsonl)
"""
import csv
import hashlib
import json
import os
import sys

FAMILIES = [
    ("credit_reporting", ["credit reporting"]),
    ("debt_collection", ["debt collection"]),
    ("mortgage", ["mortgage"]),
    ("credit_card", ["credit card", "prepaid card"]),
    ("bank_account", ["checking or savings", "bank account"]),
    ("loans", ["student loan", "vehicle loan", "payday loan", "consumer loan", "personal loan"]),
    ("money_transfer", ["money transfer", "virtual currency", "money service"]),
]


def family(product):
    p = product.lower()
    for name, needles in FAMILIES:
        if any(n in p for n in needles):
            return name
    return None


def held_out(text):
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") % 100 < 20


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: cfpb_to_tickets.py COMPLAINTS.csv OUT_DIR")
    os.makedirs(sys.argv[2], exist_ok=True)
    out = {s: open(os.path.join(sys.argv[2], f"{s}.jsonl"), "w", encoding="utf-8")
           for s in ("train", "test")}
    counts = {"train": 0, "test": 0}
    with open(sys.argv[1], encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = (row.get("Consumer complaint narrative") or "").strip()
            fam = family(row.get("Product") or "")
            if not text or fam is None:
                continue
            split = "test" if held_out(text) else "train"
            counts[split] += 1
            ticket = {"id": f"CFPB-{row['Complaint ID']}",
                      "created_at": row["Date received"] + "T12:00:00-05:00",
                      "channel": (row.get("Submitted via") or "web").lower().replace(" ", "_"),
                      "description": text, "attributes": {"product": fam}}
            out[split].write(json.dumps(ticket) + "\n")
    for f in out.values():
        f.close()
    print(f"train {counts['train']}, test {counts['test']}")


if __name__ == "__main__":
    main()
