"""`make data`: make sure MIT-BIH and Bonn are present and verified (downloading what is
missing), then build the dataset caches that `sparrow dataset`, `sparrow train` and the tests use.

The data are located through $SPARROW_DATA (default ../shared/data next to the repository).
Exit status 1 with a one-line message when data is missing and cannot be downloaded.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from training import DataError  # noqa: E402
from training.datasets import build  # noqa: E402
from training.fetch import dataset_dir  # noqa: E402


def main() -> int:
    """Fetch/verify both data sets and build every (data set, split, part) cache."""
    t0 = time.time()
    try:
        for name in ("mitdb", "bonn"):
            print(f"{name}: {dataset_dir(name, fetch=True)} verified", flush=True)
        for ds in ("ecg", "eeg"):
            for split in ("intra", "inter"):
                for part in ("train", "test"):
                    d = build(ds, split, part, progress=True)
                    counts = ", ".join(f"{k} {v}" for k, v in d.counts().items())
                    print(f"{ds} {split}/{part}: {len(d)} examples ({counts})", flush=True)
    except DataError as exc:
        print(f"make data: error: {exc}", file=sys.stderr)
        return 1
    print(f"data ready in {time.time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
