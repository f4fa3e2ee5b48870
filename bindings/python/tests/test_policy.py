"""Loading policies: from a path, from TOML text, and every problem of a bad one at once."""

import pytest

import aftercare
from conftest import DEFAULT_POLICY, SMALL_POLICY


def test_from_path_reads_name_version_and_warnings(default_policy):
    assert default_policy.name == "after-sales default"
    assert default_policy.version
    assert isinstance(default_policy.warnings, list)
    assert "after-sales default" in repr(default_policy)


def test_from_path_accepts_str_and_pathlike():
    assert aftercare.Policy.from_path(str(DEFAULT_POLICY)).name == aftercare.Policy.from_path(DEFAULT_POLICY).name


def test_from_toml(small_policy):
    assert (small_policy.name, small_policy.version) == ("small", "7")
    assert small_policy.warnings == []


def test_warnings_are_diagnostics():
    # A rule after the default category can never match: the policy loads, with a warning.
    text = SMALL_POLICY.replace('id = "general"\ndefault = true', 'id = "general"\ndefault = true\n[[categories]]\nid = "late"\nwhen = { kind = "x" }')
    policy = aftercare.Policy.from_toml(text)
    warnings = policy.warnings
    for w in warnings:
        assert w.severity == "warning"
        assert w.line > 0 and w.column > 0
    # Whether this particular shape warns is the library's business; the shape of a warning is ours.
    assert all(isinstance(w.message, str) for w in warnings)


def test_bad_policy_raises_policy_error_with_every_diagnostic():
    text = '[policy]\nnme = "x"\ncalendar = "nowhere"\n'
    with pytest.raises(aftercare.PolicyError) as info:
        aftercare.Policy.from_toml(text)
    e = info.value
    assert isinstance(e, ValueError)
    diags = e.diagnostics
    assert len(diags) >= 3
    unknown = [d for d in diags if "nme" in d.message]
    assert unknown, diags
    d = unknown[0]
    assert (d.file, d.line, d.column, d.severity) == ("<policy>", 2, 1, "error")
    assert d.hint and "name" in d.hint
    assert d.code and isinstance(d.code, str)
    assert d.to_dict() == {"file": d.file, "line": d.line, "column": d.column, "severity": d.severity,
                           "code": d.code, "message": d.message, "hint": d.hint, "text": d.text}
    assert str(d) == f"<policy>:2:1: error: {d.message}"
    # str(e) lists every problem, one `FILE:LINE:COL: error: message` line each.
    for x in diags:
        assert f"{x.file}:{x.line}:{x.column}: {x.severity}: {x.message}" in str(e)


def test_toml_syntax_error_has_a_position():
    with pytest.raises(aftercare.PolicyError) as info:
        aftercare.Policy.from_toml("[policy\nname = 1\n")
    assert info.value.diagnostics[0].line == 1


def test_missing_file_is_a_policy_error(tmp_path):
    with pytest.raises(aftercare.PolicyError) as info:
        aftercare.Policy.from_path(tmp_path / "none.toml")
    assert info.value.diagnostics


def test_policy_file_with_problems(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(SMALL_POLICY.replace('first_response = "1h"', 'first_response = "1 hour"'), encoding="utf-8")
    with pytest.raises(aftercare.PolicyError) as info:
        aftercare.Policy.from_path(path)
    (d,) = [d for d in info.value.diagnostics if d.severity == "error"]
    assert d.file.endswith("bad.toml")
    assert path.read_text(encoding="utf-8").splitlines()[d.line - 1].startswith("first_response")


def test_policy_is_immutable(small_policy):
    with pytest.raises(AttributeError):
        small_policy.name = "other"
