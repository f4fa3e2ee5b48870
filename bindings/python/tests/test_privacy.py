"""Personal data (customer name and contact, order and serial numbers) never leaves: not in
decisions, traces, explanations, triage, errors or error entries."""

import json

import pytest

import aftercare
from conftest import NOW

NAME = "郑秀英Zheng"
CONTACT = "+86-139-5550-1234"
ORDER = "ORD-77123-SECRET"
SERIAL = "SN-99887766-SECRET"
SECRETS = [NAME, CONTACT, ORDER, SERIAL, "13955501234", "77123", "99887766"]


def personal_ticket(**changes):
    t = {
        "id": "P1",
        "created_at": "2025-10-13T10:00:00+08:00",
        "subject": "broken",
        "customer": {"tier": "vip", "name": NAME, "contact": CONTACT},
        "product": {"model": "KFR-35GW", "order_no": ORDER, "serial_no": SERIAL},
    }
    t.update(changes)
    return t


def assert_clean(text):
    for secret in SECRETS:
        assert secret not in text, f"personal data {secret!r} leaked: {text}"


def test_decision_trace_triage_and_explanation_hold_no_personal_data(small_policy, default_policy):
    for policy in (small_policy, default_policy):
        t = personal_ticket()
        assert_clean(json.dumps(policy.evaluate(t, NOW, trace=True), ensure_ascii=False))
        assert_clean(json.dumps(policy.evaluate_many([t], NOW, trace=True), ensure_ascii=False))
        assert_clean(json.dumps(policy.triage(t, NOW), ensure_ascii=False))
        assert_clean(policy.explain(t, NOW))
        assert_clean(json.dumps(policy.explain(t, NOW, format="dict"), ensure_ascii=False))


# Tickets that cannot be read, failing on their personal fields (of a wrong type) or elsewhere
# while they carry personal fields. (Values of other fields, such as a malformed `created_at`,
# are quoted in errors to help find them: they are not personal data.)
BAD = [
    personal_ticket(customer=NAME),
    personal_ticket(customer={"name": [NAME], "contact": CONTACT, "tier": [1]}),
    personal_ticket(customer={"name": NAME, "contact": 13955501234, "tier": {"x": CONTACT}}),
    personal_ticket(product={"order_no": {"n": ORDER}, "serial_no": SERIAL, "model": [SERIAL]}),
    personal_ticket(product=ORDER),
    personal_ticket(id=None, created_at=SERIAL),
    personal_ticket(attributes={"note": {"contact": CONTACT}}),
    personal_ticket(events=[{"at": "2025-10-13T11:00:00+08:00", "type": "follow_up", "score": ORDER}]),
    personal_ticket(events=NAME),
    personal_ticket(subject={"name": NAME}),
    personal_ticket(channel=13955501234),
    personal_ticket(created_at="2025-13-45T10:00:00+08:00"),
    personal_ticket(events=[{"at": "2025-10-12T11:00:00+08:00", "type": "resolved"}]),
    personal_ticket(events=[{"at": "2025-10-13T11:00:00+08:00", "type": "follow_up", "score": 9}]),
    personal_ticket(events=[{"at": "2025-10-13T11:00:00+08:00", "type": "escalated"}]),
    personal_ticket(id=""),
]


@pytest.mark.parametrize("ticket", BAD, ids=range(len(BAD)))
def test_errors_hold_no_personal_data(small_policy, ticket):
    for form in (ticket, json.dumps(ticket, ensure_ascii=False)):
        with pytest.raises(aftercare.TicketError) as info:
            small_policy.evaluate(form, NOW)
        assert_clean(str(info.value))
        assert_clean(repr(info.value))
        (entry,) = small_policy.evaluate_many([form], NOW)
        assert set(entry) == {"ticket", "error"}
        assert_clean(json.dumps(entry, ensure_ascii=False))
