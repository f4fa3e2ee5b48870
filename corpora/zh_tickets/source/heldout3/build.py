#!/usr/bin/env python3
"""Build heldout3.jsonl from the hand-written tickets in tickets_src.txt.

Only adds metadata that carries no signal: the tickets are shuffled with a fixed seed, given a
random created_at in 2026 (+08:00, mostly daytime and evening), a random region and tier
"regular", then numbered HW0001... in time order. Channel, model, subject, text and labels come
from the source file unchanged. Then validates the output and prints the label counts.

Usage: python3 build.py   (writes corpora/zh_tickets/heldout3.jsonl)
"""
import collections
import datetime as dt
import json
import os
import random
import re
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "tickets_src.txt")
OUT = os.path.join(HERE, "..", "..", "heldout3.jsonl")  # corpora/zh_tickets/heldout3.jsonl
SEED = 20260303

CAT = {"F": "fault", "C": "complaint", "Q": "consultation", "S": "suggestion"}
URG = {"U": "urgent", "N": "not_urgent"}
SEN = {"-": "negative", "0": "neutral", "+": "positive"}
CHANNELS = {"phone", "chat", "wechat", "email", "web", "store"}
REGIONS = ["north", "east", "south", "west"]
TZ = dt.timezone(dt.timedelta(hours=8))


def read_source():
    rows = []
    with open(SRC, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            f = line.split("\t")
            if len(f) not in (7, 8):
                raise SystemExit(f"line {n}: expected 7 or 8 tab-separated fields, got {len(f)}")
            cat, urg, sen, channel, model, subject, desc = f[:7]
            note = f[7] if len(f) == 8 else ""
            if cat not in CAT or urg not in URG or sen not in SEN or channel not in CHANNELS:
                raise SystemExit(f"line {n}: bad code {f[:4]}")
            rows.append(dict(cat=CAT[cat], urg=URG[urg], sen=SEN[sen], channel=channel,
                             model=model, subject=None if subject == "-" else subject,
                             desc=desc, note=note))
    return rows


def random_time(rng):
    day = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(365))
    r = rng.random()
    if r < 0.70:        # daytime
        hour = rng.randint(8, 17)
    elif r < 0.94:      # evening
        hour = rng.randint(18, 22)
    else:               # late night / early morning
        hour = rng.choice([23, 0, 1, 6, 7])
    t = dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60),
                    tzinfo=TZ)
    return t


def main():
    rows = read_source()
    rng = random.Random(SEED)
    rng.shuffle(rows)
    for r in rows:
        r["t"] = random_time(rng)
        r["region"] = rng.choice(REGIONS)
    rows.sort(key=lambda r: r["t"])

    notes = {}
    with open(OUT, "w", encoding="utf-8") as out:
        for i, r in enumerate(rows, 1):
            tid = f"HW{i:04d}"
            obj = {"id": tid, "created_at": r["t"].isoformat(), "channel": r["channel"]}
            if r["subject"]:
                obj["subject"] = r["subject"]
            obj["description"] = r["desc"]
            obj["customer"] = {"tier": "regular", "region": r["region"]}
            obj["product"] = {"model": r["model"]}
            obj["attributes"] = {"label_category": r["cat"], "label_urgency": r["urg"],
                                 "label_sentiment": r["sen"]}
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            if r["note"]:
                notes[r["note"]] = tid
    validate(notes)


def validate(notes):
    objs = []
    with open(OUT, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            o = json.loads(line)
            for k in ("id", "created_at", "channel", "description", "customer", "product",
                      "attributes"):
                assert k in o, (n, k)
            dt.datetime.fromisoformat(o["created_at"])
            assert o["created_at"].endswith("+08:00") and o["created_at"].startswith("2026-")
            assert o["channel"] in CHANNELS
            assert o["customer"]["tier"] == "regular" and o["customer"]["region"] in REGIONS
            assert o["product"]["model"]
            a = o["attributes"]
            assert a["label_category"] in CAT.values()
            assert a["label_urgency"] in URG.values()
            assert a["label_sentiment"] in SEN.values()
            text = json.dumps(o, ensure_ascii=False)
            assert not re.search(r"\d{7,}", text.replace(o["created_at"], "")), (n, "digit run")
            objs.append(o)
    descs = [o["description"] for o in objs]
    dup = [d for d, c in collections.Counter(descs).items() if c > 1]
    assert not dup, dup
    ids = [o["id"] for o in objs]
    assert len(set(ids)) == len(ids)

    total = len(objs)
    print(f"{total} tickets written to {OUT}: all lines parse, fields and labels valid, "
          f"no 7+ digit runs, no duplicate descriptions")
    for key in ("label_category", "label_urgency", "label_sentiment"):
        c = collections.Counter(o["attributes"][key] for o in objs)
        for v, k in c.most_common():
            print(f"| {key.replace('label_', '')} | {v} | {k} | {round(100 * k / total)} % |")
    urg = collections.Counter(o["attributes"]["label_category"] for o in objs
                              if o["attributes"]["label_urgency"] == "urgent")
    print("urgent by category:", dict(urg.most_common()))
    sc = collections.Counter((o["attributes"]["label_category"], o["attributes"]["label_sentiment"])
                             for o in objs)
    print("sentiment by category:", dict(sorted(sc.items())))
    print("channels:", dict(collections.Counter(o["channel"] for o in objs).most_common()))
    print("subjects:", sum("subject" in o for o in objs))
    print("regions:", dict(collections.Counter(o["customer"]["region"] for o in objs).most_common()))
    lens = [len(o["description"]) for o in objs]
    print(f"description length {min(lens)}-{max(lens)} characters, median {statistics.median(lens)}")
    print("borderline notes:", notes)


if __name__ == "__main__":
    main()
