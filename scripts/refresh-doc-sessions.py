#!/usr/bin/env python3
"""Refresh the output shown in the console sessions of the pages tests/docs_commands.rs runs.

After a change that moves output (a retrained model, a new trace line), run
`cargo build && scripts/refresh-doc-sessions.py` and read the diff: each session command is run
as the test runs it (in a scratch copy of policies/, examples/policies/ and tests/fixtures/,
with target/debug/aftercare first on PATH), and the lines shown under it are replaced by what it
printed. A block that elides lines (`...`, or a line ending in `…`) and no longer matches is
reported for a person to edit, as are commands that exit non-zero.

Usage: scripts/refresh-doc-sessions.py [PAGE ...]   (default: the pages of the test)
Python 3 standard library only.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pages_of_test():
    with open(os.path.join(ROOT, "tests", "docs_commands.rs"), encoding="utf-8") as f:
        text = f.read()
    block = text[text.index("const PAGES"):]
    block = block[:block.index("];")]
    return re.findall(r'"([^"]+)"', block)


def sessions(lines):
    """(first output line index, end index, command) for each command, 0-based."""
    steps = []
    in_console = continuing = False
    current = None
    for i, line in enumerate(lines):
        t = line.rstrip()
        if not in_console:
            in_console = t == "```console"
            continue
        if t == "```":
            if current:
                current[1] = i
                steps.append(current)
                current = None
            in_console = False
            continue
        if continuing:
            part = t.strip()
            continuing = part.endswith("\\")
            current[2] += " " + part.rstrip("\\").rstrip()
            current[0] = i + 1
        elif t.startswith("$ "):
            if current:
                current[1] = i
                steps.append(current)
            command = t[2:]
            continuing = command.endswith("\\")
            current = [i + 1, None, command.rstrip("\\").rstrip()]
    return steps


def matches(shown, actual):
    """The test's rule: `...` stands for any lines, a line ending in `…` for its beginning."""
    if not shown:
        return not actual
    want, rest = shown[0], shown[1:]
    if want == "...":
        return any(matches(rest, actual[k:]) for k in range(len(actual) + 1))
    if not actual:
        return False
    got = actual[0]
    same = got.startswith(want[:-1]) if want.endswith("…") else got == want
    return same and matches(rest, actual[1:])


def refreshed(shown, actual):
    """The new lines to show, or None where a person must choose (an elided block)."""
    if matches(shown, actual):
        return shown
    if "..." in shown:
        return None
    return actual


def run_page(page):
    path = os.path.join(ROOT, page)
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    scratch = tempfile.mkdtemp(prefix="aftercare-docs-")
    for sub in ["policies", "examples/policies", "tests/fixtures"]:
        if os.path.isdir(os.path.join(ROOT, sub)):
            shutil.copytree(os.path.join(ROOT, sub), os.path.join(scratch, sub))
    env = dict(os.environ, NO_COLOR="1",
               PATH=os.path.join(ROOT, "target", "debug") + os.pathsep + os.environ["PATH"])
    changed = 0
    # Run in order (a command may use what an earlier one wrote), then edit from the last
    # session up, so that earlier line numbers stay valid.
    runs = []
    for start, end, command in sessions(lines):
        out = subprocess.run(["sh", "-c", "exec 2>&1\n" + command], cwd=scratch, env=env,
                             capture_output=True, text=True)
        runs.append((start, end, command, out))
    for start, end, command, out in reversed(runs):
        if out.returncode != 0:
            print(f"{page}:{start}: exit {out.returncode}, left alone: $ {command}")
            continue
        shown = lines[start:end]
        new = refreshed(shown, out.stdout.splitlines())
        if new is None:
            print(f"{page}:{start}: the output moved under an elided block (`...`); "
                  f"edit by hand: $ {command}")
        elif new != shown:
            lines[start:end] = new
            changed += 1
    shutil.rmtree(scratch, ignore_errors=True)
    if changed:
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        print(f"{page}: {changed} session(s) refreshed")


def main():
    for page in sys.argv[1:] or pages_of_test():
        if os.path.exists(os.path.join(ROOT, page)):
            run_page(page)


if __name__ == "__main__":
    main()
