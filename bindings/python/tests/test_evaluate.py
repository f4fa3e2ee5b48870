"""One ticket at a time: evaluate, triage, explain; tickets as dicts or JSON; `now` as an aware
datetime or RFC 3339 text."""

import datetime as dt
import json
import os
import pathlib
import subprocess

import pytest

import aftercare
from conftest import NOW, REPO, SAMPLES, small_ticket

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def test_evaluate_dict(small_policy):
    d = small_policy.evaluate(small_ticket(3), NOW)
    assert d["ticket"] == "S3"
    assert d["policy"] == {"name": "small", "version": "7"}
    assert (d["category"], d["priority"]) == ("fault", "normal")
    assert d["route"] == {"department": "repair", "team": "bench", "rule": "repairs"}
    assert d["rules"] == {"category": "fault", "priority": "priorities.default", "route": "repairs"}
    fr = d["sla"]["first_response"]
    assert fr["due"] == "2025-10-13T14:00:00+08:00"
    assert fr["status"] == "breached"
    assert isinstance(d["trace"], list) and d["trace"]


def test_trace_off_leaves_it_out(small_policy):
    d = small_policy.evaluate(small_ticket(3), NOW, trace=False)
    assert "trace" not in d
    with_trace = small_policy.evaluate(small_ticket(3), NOW)
    del with_trace["trace"]
    assert d == with_trace


def test_dict_and_json_text_agree(default_policy, samples):
    for t in samples:
        assert default_policy.evaluate(t, NOW) == default_policy.evaluate(json.dumps(t, ensure_ascii=False), NOW)


def test_decision_is_plain_json(default_policy, samples):
    for d in default_policy.evaluate_many(samples, NOW, trace=True):
        assert json.loads(json.dumps(d)) == d


def _cli():
    for profile in ("debug", "release"):
        exe = REPO / "target" / profile / "aftercare"
        if exe.exists():
            return exe
    return None


@pytest.mark.skipif(_cli() is None, reason="the aftercare binary is not built (cargo build); "
                    "the decisions are compared with it where it is")
def test_decisions_equal_what_the_cli_prints(default_policy, samples):
    run = subprocess.run([str(_cli()), "eval", str(REPO / "policies" / "default.toml"), str(SAMPLES),
                          "--now", NOW], capture_output=True, text=True)
    assert run.returncode in (0, 1), run.stderr  # 1: some ticket has an error line
    cli = [json.loads(line) for line in run.stdout.splitlines()]
    # Error lines included: `evaluate_many` gives the same entries in the same places.
    assert default_policy.evaluate_many(samples, NOW, trace=True) == cli
    # As text: the very lines, byte for byte.
    assert default_policy.evaluate_many(samples, NOW, trace=True, format="json") == run.stdout.splitlines()


def test_now_as_aware_datetime(small_policy):
    t = small_ticket(3)
    by_text = small_policy.evaluate(t, NOW)
    assert small_policy.evaluate(t, dt.datetime(2025, 10, 15, 12, tzinfo=SHANGHAI)) == by_text
    assert small_policy.evaluate(t, dt.datetime(2025, 10, 15, 4, tzinfo=dt.timezone.utc)) == by_text


def test_zoneinfo_datetime(small_policy):
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        tz = zoneinfo.ZoneInfo("Asia/Shanghai")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no time zone database on this machine (pip install tzdata)")
    t = small_ticket(3)
    assert small_policy.evaluate(t, dt.datetime(2025, 10, 15, 12, tzinfo=tz)) == small_policy.evaluate(t, NOW)


def test_naive_datetime_is_refused(small_policy):
    with pytest.raises(ValueError, match="naive"):
        small_policy.evaluate(small_ticket(1), dt.datetime(2025, 10, 15, 12))


@pytest.mark.parametrize("now", ["2025-10-15 noon", "2025-10-15T12:00:00", ""])
def test_bad_now_text(small_policy, now):
    with pytest.raises(ValueError, match="RFC 3339"):
        small_policy.evaluate(small_ticket(1), now)


def test_now_of_another_type(small_policy):
    with pytest.raises(TypeError, match="now"):
        small_policy.evaluate(small_ticket(1), 1760500000)


def test_created_at_as_datetime(small_policy):
    t = small_ticket(3, created_at=dt.datetime(2025, 10, 13, 10, tzinfo=SHANGHAI))
    assert small_policy.evaluate(t, NOW) == small_policy.evaluate(small_ticket(3), NOW)


def test_created_at_as_naive_datetime_is_a_ticket_error(small_policy):
    with pytest.raises(aftercare.TicketError, match="naive"):
        small_policy.evaluate(small_ticket(3, created_at=dt.datetime(2025, 10, 13, 10)), NOW)


def test_bad_ticket_raises_ticket_error_with_its_id(small_policy):
    t = small_ticket(1)
    del t["created_at"]
    with pytest.raises(aftercare.TicketError) as info:
        small_policy.evaluate(t, NOW)
    e = info.value
    assert isinstance(e, ValueError)
    assert e.ticket == "S1"
    assert e.message == "missing `created_at`"
    assert str(e) == "ticket S1: missing `created_at`"


@pytest.mark.parametrize("ticket, message", [
    ({"created_at": "2025-10-13T10:00:00+08:00"}, "missing `id`"),
    ({"id": "X", "created_at": "yesterday"}, "created_at"),
    ({"id": "X", "created_at": "2025-10-13T10:00:00+08:00", "events": "none"}, "invalid ticket"),
    ({"id": "X", "created_at": "2025-10-13T10:00:00+08:00", "attributes": {"a": {"b": 1}}}, "attributes"),
    ({"id": "X", "created_at": "2025-10-13T10:00:00+08:00",
      "events": [{"at": "2025-10-12T10:00:00+08:00", "type": "resolved"}]}, "before"),
    ({"id": "X", "created_at": "2025-10-13T10:00:00+08:00", "customer": {"tier": object()}}, "object"),
    ({"id": "X", "created_at": "2025-10-13T10:00:00+08:00", 1: "not a string key"}, "key"),
    ('{"id": "X", "created_at": ', "invalid ticket JSON"),
])
def test_bad_tickets(small_policy, ticket, message):
    with pytest.raises(aftercare.TicketError) as info:
        small_policy.evaluate(ticket, NOW)
    assert message in str(info.value)


@pytest.mark.parametrize("ticket", [None, 42, ["id", "x"], b'{"id": "x"}'])
def test_not_a_ticket_is_a_type_error(small_policy, ticket):
    with pytest.raises(TypeError, match="dict or a JSON string"):
        small_policy.evaluate(ticket, NOW)


def test_mapping_that_is_not_a_dict(small_policy):
    from types import MappingProxyType
    t = small_ticket(3)
    assert small_policy.evaluate(MappingProxyType(t), NOW) == small_policy.evaluate(t, NOW)


def test_triage(small_policy):
    t = small_policy.triage(small_ticket(15), NOW)
    assert t == {"category": "fault", "priority": "high", "department": "repair", "team": "bench",
                 "assignee": None, "rules": {"category": "fault", "priority": "vip", "route": "repairs"}}


def test_triage_agrees_with_evaluate(default_policy, samples):
    for ticket in samples:
        d = default_policy.evaluate(ticket, NOW)
        t = default_policy.triage(ticket, NOW)
        assert (t["category"], t["priority"], t["department"], t["team"]) == (
            d["category"], d["priority"], d["route"]["department"], d["route"]["team"])


def test_triage_bad_ticket(small_policy):
    with pytest.raises(aftercare.TicketError):
        small_policy.triage({"id": "X"}, NOW)


def test_explain_text_and_dict(default_policy, samples):
    ticket = samples[0]
    text = default_policy.explain(ticket, NOW)
    assert isinstance(text, str)
    assert ticket["id"] in text and "category" in text
    assert default_policy.explain(ticket, NOW, format="text") == text
    why = default_policy.explain(ticket, NOW, format="dict")
    assert why["ticket"] == ticket["id"]
    assert [s["stage"] for s in why["stages"]] == ["category", "priority", "route"]
    assert json.loads(json.dumps(why)) == why


def test_explain_bad_format(small_policy):
    with pytest.raises(ValueError, match="format"):
        small_policy.explain(small_ticket(1), NOW, format="json")


def test_explain_bad_ticket(small_policy):
    with pytest.raises(aftercare.TicketError):
        small_policy.explain({"id": "X"}, NOW)
