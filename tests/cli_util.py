"""cli_util.py: what the python CLI tests run by ctest share (one place, as tests/test_util.h is
for the C++ tests): run a command and stop on an unexpected failure, record named checks, the
CI rule for a missing peer, and the exit code. A test puts tests/ on sys.path and imports it:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from cli_util import check, fails, finish, run
"""
import os
import subprocess
import sys

fails = []  # names of the failed checks, in order


def in_ci():
    """True under CI=true (any value but empty, 0 or false): a missing peer is then a failure."""
    return os.environ.get("CI", "") not in ("", "0", "false")


def run(args, ok=True, env=None):
    """Runs args (a list); when ok and it fails, prints the command and its output and exits 1."""
    p = subprocess.run(args, capture_output=True, text=True, errors="replace", env=env)
    if ok and p.returncode != 0:
        print("FAILED:", " ".join(args), "\n", p.stdout, p.stderr)
        sys.exit(1)
    return p


def check(name, cond, detail=""):
    """Prints `ok   name` or `FAIL name detail` and records a failure."""
    print(("ok   " if cond else "FAIL ") + name, detail)
    if not cond:
        fails.append(name)


def skip_missing_peer(what):
    """A required peer is absent: exits 77 (ctest's skip) outside CI, 1 under CI=true."""
    print(("FAIL (CI=true): " if in_ci() else "skip: ") + what)
    sys.exit(1 if in_ci() else 77)


def finish():
    """Exits 1 if any check failed (naming them), else 0."""
    if fails:
        print("FAILED:", ", ".join(fails))
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)
