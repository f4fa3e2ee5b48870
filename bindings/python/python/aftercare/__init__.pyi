"""Type stubs for aftercare: decide what happens to after-sales service tickets."""

import datetime
import os
from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Union, overload

__all__ = ["Diagnostic", "Policy", "PolicyError", "TicketError", "diff", "report", "run_cases"]

#: A ticket: a dict shaped like the ticket JSON (instants may be aware datetimes), or that JSON
#: as a string.
Ticket = Union[Mapping[str, Any], str]
#: An instant: an aware datetime, or RFC 3339 text with an offset.
Instant = Union[datetime.datetime, str]
#: JSON data as Python objects: dicts, lists, str, int, float, bool, None.
Json = Dict[str, Any]

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
    def evaluate(self, ticket: Ticket, now: Instant, trace: bool = True) -> Json:
        """The decision for one ticket, shaped like the decision JSON. Raises TicketError."""
    def triage(self, ticket: Ticket, now: Instant) -> Json:
        """Category, priority and route only. Raises TicketError."""
    @overload
    def explain(self, ticket: Ticket, now: Instant, format: Literal["text"] = "text") -> str: ...
    @overload
    def explain(self, ticket: Ticket, now: Instant, format: Literal["dict"]) -> Json: ...
    def evaluate_many(self, tickets: Iterable[Any], now: Instant, trace: bool = False) -> List[Json]:
        """Decisions for many tickets on all cores, in input order; a bad ticket gives
        {"ticket": id, "error": message} in its place and never raises."""

def run_cases(policy: Policy, path: Union[str, "os.PathLike[str]"]) -> Json:
    """Runs a file of policy test cases. Raises PolicyError for a file that cannot be read."""

def diff(old: Policy, new: Policy, tickets: Iterable[Any], now: Instant) -> Json:
    """What changing the policy from old to new does to these tickets (`aftercare diff` JSON)."""

def report(
    policy: Policy, tickets: Iterable[Any], now: Instant, by: Literal["month", "week"] = "month"
) -> Json:
    """The service report (`aftercare report --format json`)."""
