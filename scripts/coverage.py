#!/usr/bin/env python3
"""`make coverage`: run the benches and the smoke regression with coverage on, merge, check.

The command-line face of :mod:`tb.covreport` (docs/coverage.md); ``--help`` lists the options.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, importable

from tb.covreport import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
