#!/usr/bin/env python3
"""Prints the one line `make test` ends with, `N passed, M failed`, summed
from meson's test log (one JSON object per test). Skipped tests, if any,
are added after a semicolon. Exits 1 when the log is missing or empty, so a
run that ran nothing can not look green."""
import json
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}

def main(path):
    passed = failed = skipped = 0
    try:
        with open(path, encoding="utf-8") as log:
            for line in log:
                if not line.strip():
                    continue
                result = json.loads(line).get("result")
                if result in PASSED:
                    passed += 1
                elif result in SKIPPED:
                    skipped += 1
                else:
                    failed += 1
    except OSError as e:
        print(f"0 passed, 0 failed (no test log: {e.strerror})")
        return 1
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f"; {skipped} skipped"
    print(line)
    return 0 if passed + failed else 1

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
