#!/usr/bin/env python3
"""Build train2.jsonl from the hand-written source file tickets_src.txt.

Only metadata without signal is added here: fixed-seed shuffle, random created_at in 2025
(+08:00, mostly daytime/evening), random region, tier "regular", ids ZT-T2-0001... in time order.
Validates the output and prints label counts.
"""
import json, random, re, sys
from collections import Counter
import os
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "tickets_src.txt")
OUT = os.path.join(HERE, "..", "..", "train2.jsonl")  # corpora/zh_tickets/train2.jsonl
SEED = 20250802
CAT = {"F": "fault", "C": "complaint", "Q": "consultation", "S": "suggestion"}
URG = {"U": "urgent", "n": "not_urgent"}
SEN = {"-": "negative", "0": "neutral", "+": "positive"}
CHANNELS = {"phone", "chat", "wechat", "email", "web", "store"}

def parse():
    rows = []
    for no, line in enumerate(open(SRC, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|", 3)]
        if len(parts) != 4:
            sys.exit(f"line {no}: expected 4 fields: {line}")
        head, model, subject, desc = parts
        c, u, s, ch = head.split()
        if c not in CAT or u not in URG or s not in SEN or ch not in CHANNELS:
            sys.exit(f"line {no}: bad labels/channel: {head}")
        if not desc:
            sys.exit(f"line {no}: empty description")
        rows.append(dict(channel=ch, subject=subject, model=model, description=desc,
                         cat=CAT[c], urg=URG[u], sen=SEN[s]))
    return rows

def rand_time(rng):
    start = datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=8)))
    day = rng.randrange(365)
    hour = rng.choices(range(24), weights=[1,1,1,1,1,1,2,4,7,9,9,8,7,8,9,9,8,8,8,9,9,7,4,2])[0]
    return start + timedelta(days=day, hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))

def main():
    rows = parse()
    rng = random.Random(SEED)
    rng.shuffle(rows)
    for r in rows:
        r["t"] = rand_time(rng)
        r["region"] = rng.choice(["north", "east", "south", "west"])
    rows.sort(key=lambda r: r["t"])
    out = []
    for i, r in enumerate(rows, 1):
        o = {"id": f"ZT-T2-{i:04d}", "created_at": r["t"].isoformat(), "channel": r["channel"]}
        if r["subject"]:
            o["subject"] = r["subject"]
        o["description"] = r["description"]
        o["customer"] = {"tier": "regular", "region": r["region"]}
        o["product"] = {"model": "" if r["model"] == "无" else r["model"]}
        o["attributes"] = {"label_category": r["cat"], "label_urgency": r["urg"], "label_sentiment": r["sen"]}
        out.append(o)
    with open(OUT, "w", encoding="utf-8") as f:
        for o in out:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    validate()

def validate():
    seen, n = set(), 0
    cnt = {k: Counter() for k in ("cat", "urg", "sen", "ch", "reg", "urg_by_cat", "sen_by_cat")}
    lens, subj = [], 0
    for no, line in enumerate(open(OUT, encoding="utf-8"), 1):
        o = json.loads(line)
        for k in ("id", "created_at", "channel", "description", "customer", "product", "attributes"):
            assert k in o, (no, k)
        a = o["attributes"]
        assert a["label_category"] in CAT.values() and a["label_urgency"] in URG.values() and a["label_sentiment"] in SEN.values()
        assert o["channel"] in CHANNELS and o["customer"]["tier"] == "regular"
        assert o["customer"]["region"] in {"north", "east", "south", "west"}
        datetime.fromisoformat(o["created_at"])
        assert o["created_at"].endswith("+08:00") and o["created_at"].startswith("2025-")
        assert not re.search(r"\d{7,}", line), (no, "7+ digit run")
        d = o["description"]
        assert d not in seen, (no, "duplicate", d)
        seen.add(d); n += 1
        lens.append(len(d)); subj += "subject" in o
        cnt["cat"][a["label_category"]] += 1; cnt["urg"][a["label_urgency"]] += 1
        cnt["sen"][a["label_sentiment"]] += 1; cnt["ch"][o["channel"]] += 1
        cnt["reg"][o["customer"]["region"]] += 1
        if a["label_urgency"] == "urgent":
            cnt["urg_by_cat"][a["label_category"]] += 1
        cnt["sen_by_cat"][(a["label_category"], a["label_sentiment"])] += 1
    lens.sort()
    print(f"OK: {n} tickets, all valid, no duplicates, no 7+ digit runs")
    for k in ("cat", "urg", "sen"):
        for v, c in cnt[k].most_common():
            print(f"  {k:4s} {v:13s} {c:4d} {100*c/n:5.1f}%")
    print("  urgent by category:", dict(cnt["urg_by_cat"]))
    print("  sentiment by category:", {f"{c}/{s}": v for (c, s), v in sorted(cnt["sen_by_cat"].items())})
    print("  channels:", dict(cnt["ch"].most_common()), "subject on", subj)
    print("  regions:", dict(cnt["reg"].most_common()))
    print(f"  description length {lens[0]}-{lens[-1]} chars, median {lens[len(lens)//2]}")

if __name__ == "__main__":
    main()
