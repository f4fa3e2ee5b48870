"""Many tickets: `evaluate_many` in input order with error entries, over any iterable; many
Python threads sharing one policy."""

import gc
import json
import threading

import pytest

import aftercare
from conftest import NOW, small_ticket


def test_evaluate_many_equals_evaluate_in_order(small_policy):
    tickets = [small_ticket(n) for n in range(300)]
    many = small_policy.evaluate_many(tickets, NOW)
    assert many == [small_policy.evaluate(t, NOW, trace=False) for t in tickets]
    assert [d["ticket"] for d in many] == [t["id"] for t in tickets]


def test_evaluate_many_with_trace(small_policy):
    tickets = [small_ticket(n) for n in range(20)]
    assert small_policy.evaluate_many(tickets, NOW, trace=True) == [small_policy.evaluate(t, NOW) for t in tickets]


def test_bad_tickets_become_error_entries_in_place(small_policy):
    no_created = small_ticket(2)
    del no_created["created_at"]
    items = [small_ticket(0), no_created, 17, None, '{"id": "J1", "created_at": "2025-10-13T10:00:00+08:00"}',
             "not json", ["a", "list"], {"id": "N1"}, small_ticket(9)]
    out = small_policy.evaluate_many(items, NOW)
    assert len(out) == len(items)
    assert out[0]["ticket"] == "S0" and "error" not in out[0]
    assert out[1] == {"ticket": "S2", "error": "missing `created_at`"}
    assert out[2] == {"ticket": None, "error": "a ticket must be a dict or a JSON string, not int"}
    assert out[3] == {"ticket": None, "error": "a ticket must be a dict or a JSON string, not NoneType"}
    assert out[4]["ticket"] == "J1" and "error" not in out[4]
    assert out[5]["ticket"] is None and out[5]["error"].startswith("invalid ticket JSON")
    assert out[6] == {"ticket": None, "error": "a ticket must be a dict or a JSON string, not list"}
    assert out[7] == {"ticket": "N1", "error": "missing `created_at`"}
    assert out[8]["ticket"] == "S9" and "error" not in out[8]


def test_format_json_gives_the_decision_json_text(default_policy, samples):
    as_dicts = default_policy.evaluate_many(samples, NOW, trace=True)
    as_text = default_policy.evaluate_many(samples, NOW, trace=True, format="json")
    assert all(isinstance(s, str) for s in as_text)
    assert [json.loads(s) for s in as_text] == as_dicts
    # From JSON strings too, and without the trace.
    texts = [json.dumps(t, ensure_ascii=False) for t in samples]
    assert default_policy.evaluate_many(texts, NOW, format="json") == default_policy.evaluate_many(
        samples, NOW, format="json")


def test_format_json_error_entries_are_lines_too(small_policy):
    items = [small_ticket(0), {"id": "N1"}, 17, "not json"]
    lines = small_policy.evaluate_many(items, NOW, format="json")
    entries = small_policy.evaluate_many(items, NOW)
    assert [json.loads(s) for s in lines] == entries
    assert lines[1] == '{"ticket":"N1","error":"missing `created_at`"}'
    assert lines[2] == '{"ticket":null,"error":"a ticket must be a dict or a JSON string, not int"}'


def test_format_must_be_dict_or_json(small_policy):
    with pytest.raises(ValueError, match="format"):
        small_policy.evaluate_many([small_ticket(0)], NOW, format="arrow")


def test_error_entries_match_the_cli_shape(small_policy):
    (entry,) = small_policy.evaluate_many(['{"id": "X"}'], NOW)
    assert list(entry) == ["ticket", "error"]


def test_any_iterable(small_policy):
    gen = (small_ticket(n) for n in range(50))
    assert [d["ticket"] for d in small_policy.evaluate_many(gen, NOW)] == [f"S{n}" for n in range(50)]
    assert small_policy.evaluate_many((), NOW) == []
    assert len(small_policy.evaluate_many(map(json.dumps, [small_ticket(1)]), NOW)) == 1


def test_longer_than_one_chunk(small_policy):
    # Many blocks (256 tickets each) and more than are ever in flight at once: order holds.
    n = 40_000
    out = small_policy.evaluate_many((small_ticket(i) for i in range(n)), NOW)
    assert len(out) == n
    assert all(d["ticket"] == f"S{i}" for i, d in enumerate(out))
    assert sum(d["category"] == "fault" for d in out) == len(range(0, n, 3))


def test_not_an_iterable(small_policy):
    with pytest.raises(TypeError):
        small_policy.evaluate_many(5, NOW)


def test_an_iterable_that_fails_raises_its_own_error(small_policy):
    def tickets():
        yield small_ticket(1)
        raise KeyError("from the caller's own iterator")
    with pytest.raises(KeyError):
        small_policy.evaluate_many(tickets(), NOW)


def test_naive_now_in_a_batch(small_policy):
    import datetime as dt
    with pytest.raises(ValueError, match="naive"):
        small_policy.evaluate_many([small_ticket(1)], dt.datetime(2025, 1, 1))


def test_garbage_collector_state_is_restored(small_policy):
    assert gc.isenabled()
    small_policy.evaluate_many([small_ticket(n) for n in range(100)], NOW)
    assert gc.isenabled()
    gc.disable()
    try:
        small_policy.evaluate_many([small_ticket(n) for n in range(100)], NOW)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_results_share_no_mutable_state(small_policy):
    a, b = small_policy.evaluate_many([small_ticket(1), small_ticket(1)], NOW)
    a["route"]["department"] = "changed"
    assert b["route"]["department"] == "desk"


def test_many_threads_share_one_policy(default_policy, samples):
    expected = [default_policy.evaluate(t, NOW) for t in samples]
    errors = []

    def work(k):
        try:
            for _ in range(5):
                one = [default_policy.evaluate(t, NOW) for t in samples]
                many = default_policy.evaluate_many(samples, NOW, trace=True)
                assert one == expected and many == expected
                assert [default_policy.triage(t, NOW)["category"] for t in samples] == [d["category"] for d in expected]
        except BaseException as e:  # reported in the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_other_threads_run_while_a_batch_is_evaluated(small_policy):
    # The call holds the GIL only to read tickets and build decisions, and gives it up at every
    # block to a thread that has waited longer than the switch interval, as the interpreter
    # itself does. Inside the call the interpreter's own loop never runs, so the counting thread
    # can run during it only if the call hands the GIL over itself.
    import sys
    import time
    tickets = [json.dumps(small_ticket(n)) for n in range(20_000)]
    ticks = 0
    stop = threading.Event()

    def count():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0)  # gives the GIL back at once

    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    counter = threading.Thread(target=count)
    try:
        counter.start()
        time.sleep(0.01)
        before = ticks
        small_policy.evaluate_many(tickets, NOW)
        during = ticks - before
    finally:
        stop.set()
        counter.join()
        sys.setswitchinterval(interval)
    assert during > 0
