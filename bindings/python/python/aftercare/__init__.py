"""aftercare: decide what happens to after-sales service tickets from TOML policies.

Load a policy once, then evaluate tickets with it::

    import aftercare
    from datetime import datetime, timezone

    policy = aftercare.Policy.from_path("policies/default.toml")
    decision = policy.evaluate(ticket_dict, datetime.now(timezone.utc))
    decision["priority"], decision["route"]["department"]

A ``Policy`` is immutable and safe to share between threads; ``evaluate_many`` evaluates a
batch on all cores with the GIL released. Decisions, reports and diffs are plain dicts shaped
like the JSON the ``aftercare`` command prints.
"""

from ._aftercare import (
    Diagnostic,
    Policy,
    PolicyError,
    TicketError,
    diff,
    report,
    run_cases,
)

__all__ = [
    "Diagnostic",
    "Policy",
    "PolicyError",
    "TicketError",
    "diff",
    "report",
    "run_cases",
]
