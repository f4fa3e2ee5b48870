#!/usr/bin/env python3
"""Write the small synthetic fixture the example's test trains on (fixture/*.jsonl).

The real model is trained on a CFPB complaint export (see README.md), which the project does
not ship. For the test, this script composes short complaint narratives in the four most common
product families of that export from hand-written phrases, with a fixed seed: the same files
every run. They are not CFPB data.

Usage: python3 make_fixture.py   (writes fixture/train.jsonl and fixture/test.jsonl)
"""
import json
import os
import random

OPENINGS = ["I am writing because", "To whom it may concern,", "This is my third complaint.",
            "Please help.", "I need this resolved.", ""]
CLOSINGS = ["I want this fixed.", "Please investigate.", "This is unfair.",
            "I have attached my letters.", "Nobody has answered me.", ""]
PHRASES = {
    "credit_reporting": [
        "there is an account on my credit report that does not belong to me",
        "the credit bureau did not correct the wrong late payment on my report",
        "I disputed the inaccurate information with the credit reporting agency",
        "a hard inquiry appears on my credit file that I never authorized",
        "my credit score dropped because the report lists a closed account as open",
        "the bureau's investigation verified an item that is not mine",
        "identity theft accounts are still reported on my credit history",
    ],
    "debt_collection": [
        "a debt collector keeps calling me about a debt I do not owe",
        "the collection agency called my workplace after I asked them to stop",
        "they are trying to collect a medical bill that was already paid",
        "the collector never sent me a written validation notice of the debt",
        "I received threatening calls saying I would be arrested over the collection",
        "a collection account for an old debt appeared that is past the statute of limitations",
        "the agency refuses to tell me who the original creditor was",
    ],
    "mortgage": [
        "my mortgage servicer lost my loan modification application again",
        "the lender started foreclosure while my modification was under review",
        "my escrow account was miscalculated and my monthly mortgage payment went up",
        "the servicer did not apply my house payment and charged a late fee",
        "I was denied a forbearance on my home loan without explanation",
        "the mortgage company added force-placed insurance although I have a policy",
        "after refinancing the old servicer still reports the mortgage as delinquent",
    ],
    "credit_card": [
        "the credit card company charged an annual fee they promised to waive",
        "I disputed a fraudulent charge on my card and the bank denied it",
        "my credit limit was lowered without notice and I was charged an over-limit fee",
        "the card issuer never credited the refund from the merchant",
        "interest was charged on my card balance during the promotional zero percent period",
        "my card was closed and the rewards points were taken away",
        "the issuer raised my card's APR without telling me",
    ],
}


def narrative(rng, family):
    a, b = rng.sample(PHRASES[family], 2)
    parts = [rng.choice(OPENINGS), a[0].upper() + a[1:] + ",", "and " + b + ".", rng.choice(CLOSINGS)]
    return " ".join(p for p in parts if p)


def main():
    rng = random.Random(20191001)
    here = os.path.dirname(os.path.abspath(__file__))
    os.makedirs(os.path.join(here, "fixture"), exist_ok=True)
    for split, per_family in (("train", 14), ("test", 3)):
        with open(os.path.join(here, "fixture", f"{split}.jsonl"), "w", encoding="utf-8") as f:
            n = 0
            for i in range(per_family):
                for family in PHRASES:
                    n += 1
                    t = {"id": f"FX-{split}-{n:03d}", "created_at": "2019-10-01T10:00:00-04:00",
                         "channel": "web", "description": narrative(rng, family),
                         "attributes": {"product": family}}
                    f.write(json.dumps(t) + "\n")


if __name__ == "__main__":
    main()
