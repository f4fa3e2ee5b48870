"""The Spark example, in local mode on a small generated data set: the decisions it writes are
the ones `evaluate_many` gives on one machine."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import BINDINGS, DEFAULT_POLICY, NOW


def _java():
    java = shutil.which("java") or (os.environ.get("JAVA_HOME") and os.path.join(os.environ["JAVA_HOME"], "bin", "java"))
    if not java or not os.path.exists(java):
        return None
    try:
        subprocess.run([java, "-version"], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return java


if _java() is None:
    pytest.skip("Java is missing: Spark needs a Java runtime (17 or later) to run the Spark example",
                allow_module_level=True)

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (requirements-test.txt)")
sys.path.insert(0, str(BINDINGS / "examples"))
import spark_triage  # noqa: E402

KINDS = ["complaint", "fault", "consultation", "suggestion", None]
TEXTS = ["空调不制冷,要求尽快处理", "热水器漏电,有安全隐患", "How do I descale the heater?",
         "Installer was rude and the problem is still unresolved", "建议增加远程控制功能"]


def generated_tickets(n):
    out = []
    for i in range(n):
        t = {"id": f"G{i:05}", "created_at": f"2025-09-{1 + i % 28:02}T{8 + i % 11:02}:15:00+08:00",
             "channel": ["phone", "email", "web", "wechat"][i % 4], "description": TEXTS[i % len(TEXTS)],
             "customer": {"tier": "vip" if i % 7 == 0 else "regular", "region": ["north", "east", "south"][i % 3],
                          "name": f"Person {i}", "contact": f"138{i:08}"},
             "attributes": {"safety_hazard": i % 23 == 0}}
        if KINDS[i % len(KINDS)]:
            t["kind"] = KINDS[i % len(KINDS)]
        if i % 4 == 0:
            t["events"] = [{"at": f"2025-09-{1 + i % 28:02}T{8 + i % 11:02}:45:00+08:00", "type": "first_response"}]
        out.append(json.dumps(t, ensure_ascii=False))
    # Bad tickets get an error row; they never stop the job.
    out += ['{"id": "BAD1"}', "not json", '{"id": "BAD2", "created_at": "soon"}']
    return out


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (pyspark.sql.SparkSession.builder.master("local[2]").appName("aftercare-test")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
               .getOrCreate())
    yield session
    session.stop()


def test_spark_example_matches_evaluate_many(spark, default_policy, tmp_path):
    lines = generated_tickets(600)
    tickets = spark.createDataFrame([(line,) for line in lines], ["ticket"]).repartition(3)
    rows = spark_triage.evaluate_tickets(spark, tickets, str(DEFAULT_POLICY), NOW).collect()
    assert len(rows) == len(lines)
    by_id = {}
    errors = []
    for r in rows:
        if r["error"] is not None:
            errors.append(r)
        else:
            by_id[r["id"]] = r
    assert len(errors) == 3 and all(r["decision"] is None for r in errors)
    assert {r["id"] for r in errors} == {"BAD1", None, "BAD2"}
    expected = default_policy.evaluate_many(lines[:-3], NOW)
    assert len(by_id) == len(expected)
    for d in expected:
        r = by_id[d["ticket"]]
        assert json.loads(r["decision"]) == d
        assert (r["category"], r["priority"], r["department"], r["team"]) == (
            d["category"], d["priority"], d["route"]["department"], d["route"]["team"])
        assert r["first_response_due"] == (d["sla"].get("first_response") or {}).get("due")
    # Personal data stays out of what Spark writes.
    assert not any("Person " in (r["decision"] or "") for r in rows)


def test_spark_example_command_line(tmp_path):
    src = tmp_path / "tickets.jsonl"
    src.write_text("\n".join(generated_tickets(40)) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    run = subprocess.run([sys.executable, str(BINDINGS / "examples" / "spark_triage.py"), str(DEFAULT_POLICY),
                          str(src), str(out), "--now", NOW, "--master", "local[2]"],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    counts = dict(line.split("\t") for line in run.stdout.strip().splitlines())
    assert sum(int(c) for c in counts.values()) == 43
    assert counts["error"] == "3"
    assert list(out.glob("*.parquet"))
