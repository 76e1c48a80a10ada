"""`make data` fetchers: clear one-line errors offline, and a verified folder when online."""

from __future__ import annotations

import io
import shutil
import urllib.error
import zipfile
from pathlib import Path

import pytest

from training import DataError, fetch
from training.paths import data_root

REAL = data_root()


@pytest.fixture
def empty_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SPARROW_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("SPARROW_CACHE", str(tmp_path / "cache"))
    return tmp_path / "data"


def _offline_wfdb(*args: object, **kwargs: object) -> None:
    import requests
    raise requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='physionet.org', port=443): Max retries exceeded")


def _offline_urlopen(*args: object, **kwargs: object) -> None:
    raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")


def test_absent_data_without_fetch_says_make_data(empty_root: Path) -> None:
    with pytest.raises(DataError, match="make data"):
        fetch.dataset_dir("mitdb")


def test_mitdb_offline_is_a_clear_error(empty_root: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture) -> None:
    import wfdb
    monkeypatch.setattr(wfdb, "dl_database", _offline_wfdb)
    with pytest.raises(DataError) as err:
        fetch.dataset_dir("mitdb", fetch=True)
    msg = str(err.value)
    assert "PhysioNet" in msg and "offline" in msg and "ConnectionError" in msg
    assert "\n" not in msg
    assert fetch.main(["mitdb"]) == 1
    cap = capsys.readouterr()
    assert cap.err.count("\n") == 1 and cap.err.startswith("fetch: error: cannot download")
    assert "Traceback" not in cap.err
    assert not (empty_root / "mitdb").exists()


def test_bonn_offline_is_a_clear_error(empty_root: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(fetch.urllib.request, "urlopen", _offline_urlopen)
    assert fetch.main(["bonn"]) == 1
    err = capsys.readouterr().err
    assert "Bonn" in err and "offline" in err and "URLError" in err and err.count("\n") == 1
    assert not (empty_root / "bonn").exists()


@pytest.mark.skipif(not (REAL / "mitdb" / "SHA256SUMS").is_file(), reason="no MIT-BIH copy")
def test_mitdb_fetch_installs_and_verifies(empty_root: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import wfdb

    def fake_dl(db_dir: str, dl_dir: str, **kw: object) -> None:
        assert db_dir == "mitdb"
        for p in (REAL / "mitdb").iterdir():
            if p.name != "SHA256SUMS":
                shutil.copyfile(p, Path(dl_dir) / p.name)

    monkeypatch.setattr(wfdb, "dl_database", fake_dl)
    folder = fetch.dataset_dir("mitdb", fetch=True)
    assert folder == empty_root / "mitdb" and (folder / "SHA256SUMS").is_file()
    assert (folder / "234.dat").stat().st_size == (REAL / "mitdb" / "234.dat").stat().st_size


@pytest.mark.skipif(not (REAL / "bonn" / "SHA256SUMS").is_file(), reason="no Bonn copy")
def test_bonn_fetch_unzips_and_verifies(empty_root: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    urls = {url: folder for folder, (url, _) in fetch.BONN_SETS.items()}

    def fake_download(url: str, timeout: float = 60.0) -> bytes:
        folder = urls[url]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for p in sorted((REAL / "bonn" / folder).iterdir()):
                zf.write(p, arcname=p.name)
        return buf.getvalue()

    monkeypatch.setattr(fetch, "_download", fake_download)
    folder = fetch.dataset_dir("bonn", fetch=True)
    assert len(list((folder / "E_S").iterdir())) == 100


@pytest.mark.skipif(not (REAL / "bonn" / "SHA256SUMS").is_file(), reason="no Bonn copy")
def test_corrupt_download_names_the_file(empty_root: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_download(url: str, timeout: float = 60.0) -> bytes:
        folder, prefix = next((f, p) for f, (u, p) in fetch.BONN_SETS.items() if u == url)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for p in sorted((REAL / "bonn" / folder).iterdir()):
                blob = p.read_bytes()
                if p.name == "S042.txt":
                    blob = blob.replace(b"1", b"2", 1)
                zf.writestr(p.name, blob)
        return buf.getvalue()

    monkeypatch.setattr(fetch, "_download", fake_download)
    with pytest.raises(DataError, match=r"E_S/S042\.txt: SHA-256 mismatch"):
        fetch.dataset_dir("bonn", fetch=True)
