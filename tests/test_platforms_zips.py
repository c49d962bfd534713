"""Hostile archives from a platform: bombs, escaping names, links, odd names.

A Canvas download is staged with an honest student beside each attack: a member that
expands a thousand times (a zip bomb), members beyond the download's total cap, members
named ``../x``, ``/abs``, ``a\\b`` and ``C:x``, a link, and a notebook named ``...ipynb``.
The honest students are graded in full; each refused member is listed on standard error
and in the run report; nothing large reaches the disk.
"""

from __future__ import annotations

import io
import os
import random
import stat
import zipfile
from pathlib import Path

import pytest

from course_lib.grading import platforms
from tests.grading_class import bounded, rows

REPO = Path(__file__).resolve().parent.parent
SOLVED = (REPO / "solutions" / "ex03_softmax.ipynb").read_bytes()


def _download(path: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("lovelaceada_4021_99107_ex03_softmax.ipynb", SOLVED)
        for info, data in extra:
            zf.writestr(info, data)
        zf.writestr("turingalan_4022_99108_...ipynb", SOLVED)  # dots only: still a notebook
    return path


def _link(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def test_a_zip_bomb_member_is_refused_and_the_class_is_graded(tmp_path, capsys) -> None:
    bomb = b"\0" * (40 * 1024**2)  # 40 MiB of zeros: ~40 KiB in the zip
    download = _download(tmp_path / "s.zip", [
        ("bomberman_4100_99200_ex03_softmax.ipynb", bomb),
        ("../evil_4101_99201_x.ipynb", SOLVED), ("/abs_4102_99202_x.ipynb", SOLVED),
        ("win\\dows_4103_99203_x.ipynb", SOLVED), ("C:drive_4104_99204_x.ipynb", SOLVED),
        (_link("linker_4105_99205_x.ipynb", "/etc/passwd"), b"/etc/passwd"),
    ])
    assert download.stat().st_size < 2 * 1024**2
    out = tmp_path / "grades"
    code = bounded(lambda: platforms.main(["grade", str(download), "--out", str(out),
                                           "--exercises", "softmax,softmax_axis"]))
    assert code == 0
    graded = rows(out / "grades.csv")
    assert graded["lovelaceada"]["total"] == "2"  # the honest students, in full
    assert graded["turingalan"]["total"] == "2"  # "...ipynb" became notebook.ipynb
    assert "bomberman" not in graded  # nothing of theirs was unpacked
    err = capsys.readouterr().err
    for name, why in [("bomberman_4100_99200_ex03_softmax.ipynb", "expand 1"),
                      ("../evil_4101_99201_x.ipynb", "leads out of the download"),
                      ("/abs_4102_99202_x.ipynb", "leads out of the download"),
                      ("win\\dows_4103_99203_x.ipynb", "leads out of the download"),
                      ("C:drive_4104_99204_x.ipynb", "leads out of the download"),
                      ("linker_4105_99205_x.ipynb", "a link, never followed")]:
        line = next((x for x in err.splitlines() if x.startswith(f"refused {name}:")), "")
        assert why in line, (name, err)
    report = (out / "run-report.md").read_text()
    assert "the download: refused bomberman_4100_99200_ex03_softmax.ipynb" in report
    assert not (tmp_path / "evil_4101_99201_x.ipynb").exists()
    big = [p for p in tmp_path.rglob("*") if p.is_file() and p.stat().st_size > 1024**2]
    assert big == [] or big == [download]


@pytest.mark.parametrize("extra_mib", [1, 2, 3])
def test_the_total_cap_refuses_what_lies_beyond_it(tmp_path, monkeypatch, capsys,
                                                   extra_mib) -> None:
    monkeypatch.setattr(platforms, "MAX_TOTAL_BYTES", 2 * 1024**2 + 2 * len(SOLVED))
    members = [(f"s{k}_{4200 + k}_{99300 + k}_ex03_softmax.ipynb", os.urandom(1024**2))
               for k in range(extra_mib)]
    download = _download(tmp_path / "s.zip", members)
    platforms.unpack(download, tmp_path / "class")
    err = capsys.readouterr().err
    refused = [line for line in err.splitlines() if "total cap" in line]
    assert len(refused) == max(0, extra_mib - 2)  # just below, at and above the cap
    written = sum(p.stat().st_size for p in (tmp_path / "class").rglob("*.ipynb"))
    assert written <= platforms.MAX_TOTAL_BYTES
    assert (tmp_path / "class" / "lovelaceada" / "ex03_softmax.ipynb").read_bytes() == SOLVED


@pytest.mark.parametrize("ratio", [platforms.MAX_RATIO // 2, platforms.MAX_RATIO * 4])
def test_the_ratio_cap_is_held_against_members_that_expand_too_much(tmp_path, capsys,
                                                                      ratio) -> None:
    size = 2 * 1024**2
    # random (incompressible) bytes, then zeros: it compresses about `ratio` times
    data = random.Random(0).randbytes(size // ratio) + b"\0" * (size - size // ratio)
    download = _download(tmp_path / "s.zip", [("zed_4300_99400_x.ipynb", data)])
    with zipfile.ZipFile(download) as zf:
        info = zf.getinfo("zed_4300_99400_x.ipynb")
        actual = info.file_size / info.compress_size
    platforms.unpack(download, tmp_path / "class")
    err = capsys.readouterr().err
    assert ("zip bomb" in err) == (actual > platforms.MAX_RATIO), (actual, err)


def test_a_member_larger_than_it_says_is_refused(tmp_path, capsys) -> None:
    path = tmp_path / "s.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("liar_4400_99500_x.ipynb", SOLVED)
    raw = bytearray(path.read_bytes())
    # shrink the declared size in the central directory: the member holds more than it says
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as zf:
        info = zf.getinfo("liar_4400_99500_x.ipynb")
    declared = info.file_size.to_bytes(4, "little")
    at = raw.rfind(declared)
    raw[at:at + 4] = (info.file_size // 2).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    platforms.unpack(path, tmp_path / "class")
    assert "refused liar/x.ipynb: Bad CRC-32" in capsys.readouterr().err
    assert list((tmp_path / "class" / "liar").iterdir()) == []  # graded: nothing handed in


def test_a_folder_download_refuses_links_and_fifos(tmp_path, capsys) -> None:
    base = tmp_path / "download"
    base.mkdir()
    (base / "lovelaceada_4021_99107_ex03_softmax.ipynb").write_bytes(SOLVED)
    (base / "turingalan_4022_99108_ex03_softmax.ipynb").symlink_to(
        REPO / "solutions" / "ex03_softmax.ipynb")
    os.mkfifo(base / "hoppergrace_4023_99109_ex03_softmax.ipynb")
    (base / "sub").symlink_to("/")
    platforms.unpack(base, tmp_path / "class")
    err = capsys.readouterr().err
    assert "refused turingalan_4022_99108_ex03_softmax.ipynb: a link" in err
    assert "refused hoppergrace_4023_99109_ex03_softmax.ipynb: not a regular file" in err
    assert "refused sub: a link" in err
    assert sorted(p.name for p in (tmp_path / "class").iterdir()) == ["lovelaceada",
                                                                      "students.csv"]
