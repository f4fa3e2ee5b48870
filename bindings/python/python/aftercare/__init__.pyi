"""Type stubs for aftercare: decide what happens to after-sales service tickets."""

import datetime
import os
from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Union, overload

# Stubs only: type checkers ship typing_extensions; the package does not need it at run time.
from typing_extensions import NotRequired, TypedDict

__all__ = ["Diagnostic", "Policy", "PolicyError", "TicketError", "diff", "report", "run_cases"]

#: A ticket: a dict shaped like the ticket JSON (instants may be aware datetimes), or that JSON
#: as a string.
Ticket = Union[Mapping[str, Any], str]
#: An instant: an aware datetime, or RFC 3339 text with an offset.
Instant = Union[datetime.datetime, str]
#: JSON data as Python objects: dicts, lists, str, int, float, bool, None.
Json = Dict[str, Any]

# ---- the decision (contract §3), as `evaluate` and `evaluate_many` return it ----------------
# Instants are RFC 3339 text in the policy's time zone; business durations are text such as
# "1h30m". Keys marked NotRequired are left out when empty, as in the decision JSON.

class PolicyRef(TypedDict):
    name: str
    version: str

class Route(TypedDict):
    department: str
    team: Optional[str]
    assignee: NotRequired[str]
    rule: str

class Rules(TypedDict):
    """The rule that decided each stage (`script` when a script hook changed it)."""

    category: str
    priority: str
    route: str

ClockStatus = Literal["running", "paused", "met", "breached"]

class Clock(TypedDict):
    target: str
    due: Optional[str]
    status: ClockStatus
    started_at: str
    stopped_at: NotRequired[str]
    elapsed: str
    remaining: NotRequired[str]
    overdue_by: NotRequired[str]
    paused: NotRequired[str]
    cycle: NotRequired[int]
    previous_cycles: NotRequired[List["Clock"]]

class Sla(TypedDict):
    calendar: NotRequired[str]
    first_response: NotRequired[Clock]
    resolution: NotRequired[Clock]
    next_response: NotRequired[Clock]
    follow_up: NotRequired[Clock]

class Owner(TypedDict):
    """Who held the ticket when an escalation step fired (tickets an agent assigned)."""

    department: str
    team: Optional[str]
    assignee: NotRequired[str]

class Escalation(TypedDict):
    key: str
    metric: str
    cycle: int
    step: str
    at: Optional[str]
    notify: List[str]
    fired: bool
    owner: NotRequired[Owner]

class FollowUp(TypedDict):
    due: Optional[str]
    status: Literal["not_due", "pending", "done", "missed"]
    outcome: Optional[Literal["satisfied", "unsatisfied"]]
    score: Optional[int]

class ModelLabel(TypedDict):
    """A text model's label for the ticket."""

    label: str
    confidence: float

# `from` is a Python keyword: these two use the functional form.
Transfer = TypedDict(
    "Transfer",
    {
        "event": int,
        "at": str,
        "from": str,
        "to": str,
        "team": Optional[str],
        "assignee": NotRequired[str],
        "held": str,
    },
)
CalendarFrom = TypedDict("CalendarFrom", {"from": str, "calendar": str})

class Override(TypedDict):
    """An agent's choice in force now, against the rules'."""

    event: int
    at: str
    value: str
    rule: str
    rules_chose: str

class Overrides(TypedDict):
    category: Optional[Override]
    priority: Optional[Override]
    route: Optional[Override]

class Agents(TypedDict):
    """What agents did (transfers, overrides), present only when they did something."""

    rules: Rules
    transfers: List[Transfer]
    overrides: Overrides
    calendars: NotRequired[List[CalendarFrom]]

class Decision(TypedDict):
    """What the policy decides for one ticket: the decision JSON as dicts."""

    ticket: str
    policy: PolicyRef
    category: str
    priority: str
    route: Route
    rules: Rules
    status: str
    sla: Sla
    escalations: List[Escalation]
    follow_up: Optional[FollowUp]
    next_change_at: Optional[str]
    #: By model name, for a policy with `[models]`.
    labels: NotRequired[Dict[str, ModelLabel]]
    agents: NotRequired[Agents]
    #: With `trace=True`: one sentence per step.
    trace: NotRequired[List[str]]

class ErrorEntry(TypedDict):
    """In `evaluate_many`'s result, a ticket that could not be read or evaluated."""

    ticket: Optional[str]
    error: str

class TriageRules(TypedDict):
    category: str
    priority: str
    route: str

class Triage(TypedDict):
    category: str
    priority: str
    department: str
    team: Optional[str]
    assignee: Optional[str]
    rules: TriageRules

class Diagnostic:
    """One problem found in a policy or a file of test cases."""

    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def severity(self) -> Literal["error", "warning"]: ...
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def hint(self) -> Optional[str]: ...
    @property
    def text(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...

class PolicyError(ValueError):
    """A policy (or a file of test cases) that could not be loaded; every problem found."""

    diagnostics: List[Diagnostic]

class TicketError(ValueError):
    """A ticket that could not be read or evaluated. Never quotes personal data."""

    ticket: Optional[str]
    message: str

class Policy:
    """A loaded policy: immutable, safe to share between threads."""

    @staticmethod
    def from_path(path: Union[str, "os.PathLike[str]"]) -> "Policy":
        """Loads and validates a policy file with its includes. Raises PolicyError."""
    @staticmethod
    def from_toml(text: str) -> "Policy":
        """Loads and validates a policy from TOML text. Raises PolicyError."""
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def warnings(self) -> List[Diagnostic]: ...
    def evaluate(self, ticket: Ticket, now: Instant, trace: bool = True) -> Decision:
        """The decision for one ticket, shaped like the decision JSON. Raises TicketError."""
    def triage(self, ticket: Ticket, now: Instant) -> Triage:
        """Category, priority and route only. Raises TicketError."""
    @overload
    def explain(self, ticket: Ticket, now: Instant, format: Literal["text"] = "text") -> str: ...
    @overload
    def explain(self, ticket: Ticket, now: Instant, format: Literal["dict"]) -> Json: ...
    @overload
    def evaluate_many(
        self,
        tickets: Iterable[Any],
        now: Instant,
        trace: bool = False,
        format: Literal["dict"] = "dict",
    ) -> List[Union[Decision, ErrorEntry]]:
        """Decisions for many tickets on all cores, in input order; a bad ticket gives
        {"ticket": id, "error": message} in its place and never raises."""
    @overload
    def evaluate_many(
        self, tickets: Iterable[Any], now: Instant, trace: bool = False, *, format: Literal["json"]
    ) -> List[str]:
        """The same as JSON text, one string per ticket: the lines `aftercare eval` prints."""

def run_cases(policy: Policy, path: Union[str, "os.PathLike[str]"]) -> Json:
    """Runs a file of policy test cases. Raises PolicyError for a file that cannot be read."""

def diff(old: Policy, new: Policy, tickets: Iterable[Any], now: Instant) -> Json:
    """What changing the policy from old to new does to these tickets (`aftercare diff` JSON)."""

def report(
    policy: Policy, tickets: Iterable[Any], now: Instant, by: Literal["month", "week"] = "month"
) -> Json:
    """The service report (`aftercare report --format json`)."""
