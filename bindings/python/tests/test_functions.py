"""run_cases, diff and report: the same JSON as the command line, as dicts."""

import json

import pytest

import aftercare
from conftest import NOW, REPO, SMALL_POLICY, small_ticket

POLICY_TESTS = REPO / "policies" / "tests"


@pytest.mark.parametrize("name", sorted(p.name for p in POLICY_TESTS.glob("*.toml")))
def test_run_cases_of_the_bundled_policy_pass(default_policy, name):
    result = aftercare.run_cases(default_policy, POLICY_TESTS / name)
    assert result["failed"] == 0, [c for c in result["cases"] if not c["passed"]]
    assert result["passed"] == len(result["cases"]) > 0
    assert result["summary"] == f"{result['passed']} passed, 0 failed"


def test_run_cases_reports_a_failure(small_policy, tmp_path):
    cases = tmp_path / "cases.toml"
    cases.write_text('''
[[case]]
name = "broken things are faults"
now = "2025-10-13T11:00:00+08:00"
ticket = { id = "C1", created_at = "2025-10-13T10:00:00+08:00", subject = "broken" }
[case.expect]
category = "fault"

[[case]]
name = "a wrong expectation"
now = "2025-10-13T11:00:00+08:00"
ticket = { id = "C2", created_at = "2025-10-13T10:00:00+08:00", subject = "broken" }
[case.expect]
"route.department" = "desk"
''', encoding="utf-8")
    result = aftercare.run_cases(small_policy, cases)
    assert (result["passed"], result["failed"]) == (1, 1)
    assert result["summary"] == "1 passed, 1 failed"
    ok, bad = result["cases"]
    assert ok["passed"] and ok["mismatches"] == [] and ok["name"] == "broken things are faults"
    assert not bad["passed"]
    (m,) = bad["mismatches"]
    assert m["path"] == "route.department"
    assert json.loads(m["expected"]) == "desk" and json.loads(m["actual"]) == "repair"
    assert m["line"] > 0 and isinstance(m["trace"], list)


def test_run_cases_bad_file_is_a_policy_error(small_policy, tmp_path):
    cases = tmp_path / "bad.toml"
    cases.write_text('[[case]]\nname = "x"\nnow = "soon"\nticket = 3\n', encoding="utf-8")
    with pytest.raises(aftercare.PolicyError) as info:
        aftercare.run_cases(small_policy, cases)
    assert all(d.file.endswith("bad.toml") and d.line > 0 for d in info.value.diagnostics)


def test_run_cases_missing_file(small_policy, tmp_path):
    with pytest.raises(aftercare.PolicyError):
        aftercare.run_cases(small_policy, tmp_path / "none.toml")


def test_diff_of_a_policy_with_itself_changes_nothing(default_policy, samples):
    d = aftercare.diff(default_policy, default_policy, samples, NOW)
    assert d["tickets"] == len(samples)
    assert d["errors"] == 0
    assert set(d["changed"].values()) == {0}
    assert d["breached"]["old"] == d["breached"]["new"]


def test_diff_counts_changes_and_errors(small_policy):
    stricter = aftercare.Policy.from_toml(SMALL_POLICY.replace('first_response = "4h"', 'first_response = "2h"')
                                          .replace('"customer.tier" = "vip"', '"customer.tier" = "gold"'))
    tickets = [small_ticket(n) for n in range(30)] + [{"id": "bad"}, 7, "{"]
    d = aftercare.diff(small_policy, stricter, tickets, NOW)
    assert d["tickets"] == 33 and d["errors"] == 3
    vips = sum(1 for n in range(30) if n % 5 == 0)
    assert d["changed"]["priority"] == vips
    assert d["changed"]["first_response_due"] == 30
    assert d["examples"] and {"ticket", "field", "old", "new"} <= set(d["examples"][0])
    assert json.loads(json.dumps(d)) == d


def test_report_by_month_and_week(default_policy, samples):
    r = aftercare.report(default_policy, samples, NOW)
    assert r["periods"] and "totals" in r
    p = r["periods"][0]
    assert {"start", "tickets", "by_category", "by_department", "sla", "satisfaction"} <= set(p)
    assert sum(p["tickets"] for p in r["periods"]) == len(samples)
    weeks = aftercare.report(default_policy, samples, NOW, by="week")
    assert len(weeks["periods"]) >= len(r["periods"])
    assert sum(p["tickets"] for p in weeks["periods"]) == len(samples)


def test_report_counts_unreadable_tickets(small_policy):
    r = aftercare.report(small_policy, [small_ticket(1), {"id": "x"}, None], NOW)
    assert sum(p["tickets"] for p in r["periods"]) == 1
    assert r["errors"] == 2 and r["tickets"] == 1


def test_report_bad_granularity(small_policy):
    with pytest.raises(ValueError, match="by"):
        aftercare.report(small_policy, [], NOW, by="day")


def test_stubs_name_every_public_item():
    import pathlib
    stub = pathlib.Path(aftercare.__file__).with_name("__init__.pyi").read_text(encoding="utf-8")
    for name in aftercare.__all__:
        assert name in stub, name
    for method in ("from_path", "from_toml", "evaluate", "evaluate_many", "triage", "explain", "warnings"):
        assert f"def {method}" in stub, method
    assert pathlib.Path(aftercare.__file__).with_name("py.typed").exists()


def _stub_typeddicts():
    """The TypedDicts of the stubs: name -> (all keys, required keys)."""
    import ast
    import pathlib
    stub = pathlib.Path(aftercare.__file__).with_name("__init__.pyi").read_text(encoding="utf-8")

    def required(annotation):
        return not (isinstance(annotation, ast.Subscript)
                    and getattr(annotation.value, "id", None) == "NotRequired")

    shapes = {}
    for node in ast.parse(stub).body:
        if isinstance(node, ast.ClassDef) and any(getattr(b, "id", None) == "TypedDict"
                                                  for b in node.bases):
            fields = [(s.target.id, s.annotation) for s in node.body if isinstance(s, ast.AnnAssign)]
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
              and getattr(node.value.func, "id", None) == "TypedDict"):
            d = node.value.args[1]
            fields = [(k.value, v) for k, v in zip(d.keys, d.values)]
            node.name = node.targets[0].id
        else:
            continue
        shapes[node.name] = ({k for k, _ in fields}, {k for k, a in fields if required(a)})
    return shapes


# Which TypedDict each nested value of a decision is: a name, [name] for a list of them,
# {"*": name} for a dict of them by any key.
_NESTED = {
    "Decision": {"policy": "PolicyRef", "route": "Route", "rules": "Rules", "sla": "Sla",
                 "escalations": ["Escalation"], "follow_up": "FollowUp",
                 "labels": {"*": "ModelLabel"}, "agents": "Agents"},
    "Sla": {k: "Clock" for k in ("first_response", "resolution", "next_response", "follow_up")},
    "Clock": {"previous_cycles": ["Clock"]},
    "Escalation": {"owner": "Owner"},
    "Agents": {"rules": "Rules", "transfers": ["Transfer"], "overrides": "Overrides",
               "calendars": ["CalendarFrom"]},
    "Overrides": {k: "Override" for k in ("category", "priority", "route")},
}


def _check_shape(value, name, shapes, seen):
    if value is None:
        return
    if isinstance(name, list):
        for item in value:
            _check_shape(item, name[0], shapes, seen)
        return
    if isinstance(name, dict):
        for item in value.values():
            _check_shape(item, name["*"], shapes, seen)
        return
    keys, required = shapes[name]
    assert set(value) <= keys, (name, set(value) - keys)
    assert required <= set(value), (name, required - set(value))
    seen.update(f"{name}.{k}" for k in value)
    for key, inner in _NESTED.get(name, {}).items():
        if key in value:
            _check_shape(value[key], inner, shapes, seen)


def test_stubs_describe_every_key_of_the_decisions(default_policy, samples):
    # The bundled policy has text models (labels) and the samples hold agents' events.
    shapes = _stub_typeddicts()
    seen = set()
    for d in default_policy.evaluate_many(samples, NOW, trace=True):
        assert "error" not in d, d
        _check_shape(d, "Decision", shapes, seen)
    for t in samples[:5]:
        triage = default_policy.triage(t, NOW)
        _check_shape(triage, "Triage", shapes, set())
    for key in ("Decision.labels", "Decision.agents", "Decision.trace", "Agents.transfers",
                "Agents.overrides", "Transfer.from", "ModelLabel.confidence"):
        assert key in seen, key
