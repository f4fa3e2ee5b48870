"""Shared fixtures: the repository's bundled policy, its sample tickets and a small policy."""

import json
import pathlib

import pytest

import aftercare

BINDINGS = pathlib.Path(__file__).resolve().parents[1]
REPO = BINDINGS.parents[1]
DEFAULT_POLICY = REPO / "policies" / "default.toml"
SAMPLES = REPO / "policies" / "samples" / "tickets.jsonl"
NOW = "2025-10-15T12:00:00+08:00"

SMALL_POLICY = """
[policy]
name = "small"
version = "7"
calendar = "office"

[calendars.office]
timezone = "Asia/Shanghai"
week = { mon = ["09:00-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"],
         thu = ["09:00-18:00"], fri = ["09:00-18:00"] }

[[categories]]
id = "fault"
when = { text = { contains_any = ["broken", "坏了"] } }
[[categories]]
id = "general"
default = true

[priorities]
order = ["high", "normal"]
default = "normal"
[[priority_rules]]
id = "vip"
priority = "high"
when = { "customer.tier" = "vip" }

[[routes]]
id = "repairs"
when = { category = "fault" }
department = "repair"
team = "bench"
[[routes]]
id = "desk"
default = true
department = "desk"
[departments.repair]
[departments.desk]

[sla.targets.high]
first_response = "1h"
[sla.targets.normal]
first_response = "4h"
"""


@pytest.fixture(scope="session")
def default_policy():
    return aftercare.Policy.from_path(DEFAULT_POLICY)


@pytest.fixture(scope="session")
def small_policy():
    return aftercare.Policy.from_toml(SMALL_POLICY)


@pytest.fixture(scope="session")
def samples():
    return [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]


def small_ticket(n, **fields):
    """A ticket for SMALL_POLICY: every third one broken, every fifth one from a VIP."""
    t = {
        "id": f"S{n}",
        "created_at": "2025-10-13T10:00:00+08:00",
        "subject": "screen broken" if n % 3 == 0 else "a question",
        "customer": {"tier": "vip" if n % 5 == 0 else "regular", "name": f"Person {n}"},
    }
    t.update(fields)
    return t
