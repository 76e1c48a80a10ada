"""Locate, verify and (where absent) download the real data sets.

MIT-BIH comes from PhysioNet through `wfdb.dl_database('mitdb', ...)`; the Bonn EEG sets from
the University of Bonn's download page. Both are verified against the SHA-256 lists kept in
training/checksums/ (copied into the data folder as SHA256SUMS after a download). Run
`python -m training.fetch` (what `make data` does) to fetch whatever is missing.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from training import DataError
from training.checksums import SUMS_NAME, verify_folder
from training.paths import data_root

CHECKSUMS_DIR = Path(__file__).resolve().parent / "checksums"

#: Bonn sets: folder name -> (download URL, file-name prefix inside the archive).
BONN_SETS: dict[str, tuple[str, str]] = {
    "A_Z": ("https://www.ukbonn.de/site/assets/files/21874/z.zip", "Z"),
    "B_O": ("https://www.ukbonn.de/site/assets/files/21872/o.zip", "O"),
    "C_N": ("https://www.ukbonn.de/site/assets/files/21871/n.zip", "N"),
    "D_F": ("https://www.ukbonn.de/site/assets/files/21870/f.zip", "F"),
    "E_S": ("https://www.ukbonn.de/site/assets/files/21875/s.zip", "S"),
}
BONN_PAGE = ("https://www.ukbonn.de/epileptologie/arbeitsgruppen/ag-lehnertz-neurophysik/"
             "downloads/")

NAMES = {"mitdb": "MIT-BIH Arrhythmia Database", "bonn": "Bonn EEG sets A-E"}


def _offline_error(what: str, source: str, dest: Path, exc: BaseException) -> DataError:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return DataError(
        f"cannot download {what} from {source} ({type(exc).__name__}: {reason}); this machine "
        f"seems to be offline: copy the data to {dest} or point SPARROW_DATA at a copy")


def _install_sums(folder: Path, name: str) -> None:
    shutil.copyfile(CHECKSUMS_DIR / f"{name}.{SUMS_NAME}", folder / SUMS_NAME)


def fetch_mitdb(dest: Path) -> Path:
    """Download MIT-BIH (v1.0.0) into dest with wfdb, install its checksums and verify."""
    import wfdb

    dest = Path(dest)
    tmp = dest.with_name(dest.name + ".part")
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        wfdb.dl_database("mitdb", dl_dir=str(tmp))
    except Exception as exc:  # requests/urllib/socket errors all mean: not reachable
        raise _offline_error("MIT-BIH", "PhysioNet", dest, exc) from None
    _install_sums(tmp, "mitdb")
    verify_folder(tmp, use_cache=False)
    tmp.replace(dest)
    return dest


def _download(url: str, timeout: float = 60.0) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "sparrowsnn-fetch/0.1"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read()


def fetch_bonn(dest: Path) -> Path:
    """Download the five Bonn sets (Z, O, N, F, S zips) into dest/<A_Z..E_S>/ and verify."""
    dest = Path(dest)
    tmp = dest.with_name(dest.name + ".part")
    for folder, (url, prefix) in BONN_SETS.items():
        try:
            blob = _download(url)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise _offline_error("the Bonn EEG data", BONN_PAGE, dest, exc) from None
        out = tmp / folder
        out.mkdir(parents=True, exist_ok=True)
        pattern = re.compile(rf"^{prefix}\d{{3}}\.txt$", re.IGNORECASE)
        n = 0
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            for member in zf.namelist():
                base = member.rsplit("/", 1)[-1]
                if pattern.match(base):
                    (out / base).write_bytes(zf.read(member))
                    n += 1
        if n != 100:
            raise DataError(f"{url}: expected 100 segment files, found {n}")
    _install_sums(tmp, "bonn")
    verify_folder(tmp, use_cache=False)
    tmp.replace(dest)
    return dest


FETCHERS = {"mitdb": fetch_mitdb, "bonn": fetch_bonn}


def present(name: str) -> bool:
    """True when data set `name` has a folder with a SHA256SUMS under the data root (its files
    may still fail verification: that is an error, not absence)."""
    return (data_root() / name / SUMS_NAME).is_file()


def dataset_dir(name: str, fetch: bool = False) -> Path:
    """Return the verified folder of data set `name` ('mitdb' or 'bonn').

    If it is absent, download it when `fetch` is true, else raise DataError telling how.
    """
    if name not in FETCHERS:
        raise DataError(f"unknown data set {name!r}; known: {', '.join(FETCHERS)}")
    folder = data_root() / name
    if not present(name):
        if not fetch:
            raise DataError(
                f"{NAMES[name]} not found at {folder}: run `make data` to download it, or set "
                f"SPARROW_DATA to the folder holding {name}/")
        folder.parent.mkdir(parents=True, exist_ok=True)
        FETCHERS[name](folder)
    verify_folder(folder)
    return folder


def main(argv: list[str] | None = None) -> int:
    """`python -m training.fetch [mitdb] [bonn]`: make sure the data is present and verified."""
    ap = argparse.ArgumentParser(prog="python -m training.fetch", description=__doc__)
    ap.add_argument("names", nargs="*", default=list(FETCHERS), help="mitdb and/or bonn")
    args = ap.parse_args(argv)
    try:
        for name in args.names:
            folder = dataset_dir(name, fetch=True)
            print(f"{name}: {folder} verified")
    except DataError as exc:
        print(f"fetch: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
