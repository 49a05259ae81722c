"""OR-Library files as they are found: CRLF, NUL padding, blank lines, stray trailing tokens.

Each rewritten copy of a bundled instance loads to the same scenario and solves to Beasley's
optimum; each broken one is refused with the line, the token and what that token should be.
"""

from __future__ import annotations

import re
import warnings

import pytest
from conftest import ORLIB, solve_verified

import placement as pl

CAP41 = ORLIB / "cap41.txt"


def wild(text: str) -> bytes:
    """cap41 the way copies of it circulate: a byte-order mark, CRLF line ends, blank lines,
    tabs, NUL padding after lines and at the end, stray trailing tokens and a DOS Ctrl-Z."""
    lines = text.splitlines()
    out = []
    for n, line in enumerate(lines):
        out.append(line.replace(" ", "\t", 1) if n % 3 == 0 else line)
        if n % 7 == 0:
            out.append("")  # blank line
        if n % 11 == 0:
            out.append("   \x00\x00")  # NUL padding on a line of its own
    body = "\r\n".join(out) + "\r\n"
    return b"\xef\xbb\xbf" + body.encode() + b"EOF 1\r\n" + b"\x00" * 64 + b"\x1a"


def test_a_wild_copy_loads_the_same_scenario_and_solves_to_beasleys_optimum(tmp_path, orlib_optima):
    copy = tmp_path / "cap41.txt"
    copy.write_bytes(wild(CAP41.read_text()))
    with pytest.warns(UserWarning, match=r"ignored 2 token\(s\) after the last customer's record"):
        loaded = pl.io.read_orlib_cflp(copy)
    original = pl.io.read_orlib_cflp(CAP41)
    assert loaded.to_dict() | {"description": ""} == original.to_dict() | {"description": ""}
    result = solve_verified(loaded)
    assert result.objective == pytest.approx(orlib_optima["cap41"], rel=1e-6)


@pytest.mark.parametrize(
    "ending",
    [b"\r\n", b"\r", b"\n\n\n", b"\x00" * 100, b"\x1a", b"   \t  "],
    ids=["crlf", "old-mac-cr", "blank-lines", "nul-padding", "ctrl-z", "trailing-blanks"],
)
def test_each_oddity_alone_is_read_as_whitespace(tmp_path, ending):
    original = pl.io.read_orlib_cflp(CAP41)
    text = CAP41.read_text().replace("\n", ending.decode())
    copy = tmp_path / "cap41.txt"
    copy.write_bytes(text.encode() + ending)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # whitespace oddities are not worth a warning
        loaded = pl.io.read_orlib_cflp(copy)
    assert loaded.pair_costs_usd_per_year == original.pair_costs_usd_per_year
    assert [s.power_mw for s in loaded.sites] == [s.power_mw for s in original.sites]


def test_fortran_exponents_and_cli_notes(tmp_path, capsys):
    copy = tmp_path / "tiny.txt"
    copy.write_text("2 2\n10 5.0D+00\n10 1E1\n4 1 2\n4 2 1\ntrailer\n")
    from placement.cli.app import main

    assert main(["validate", str(copy)]) == 0
    err = capsys.readouterr().err
    assert "note:" in err and "ignored 1 token(s)" in err and "line 6" in err, err


def _error(tmp_path, text: str | bytes, **kwargs) -> str:
    path = tmp_path / "bad.txt"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(pl.ScenarioError) as info:
        pl.io.read_orlib_cflp(path, **kwargs)
    message = str(info.value)
    assert str(path) in message
    return message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty"),
        ("2", "ends after line 1, token 1"),
        ("x 2", "line 1, token 1 ('x'): the number of warehouses m must be a whole number ≥ 1"),
        ("2 1.5", "line 1, token 2 ('1.5'): the number of customers n must be a whole number"),
        ("0 3", "the number of warehouses m must be a whole number ≥ 1"),
        (
            "2 1\n10 5\n10 7,5\n3 1 2\n",
            "line 3, token 2 ('7,5'): the fixed cost of warehouse 2 is not a number",
        ),
        (
            "2 1\n10 5\n10 7\n3 1 nan\n",
            "line 4, token 3 ('nan'): the cost of serving customer 1 from warehouse 2 is not a",
        ),
        (
            "2 1\n10 5\n0 7\n3 1 2\n",
            "line 3, token 1 ('0'): the capacity of warehouse 2 = 0.0: must be > 0",
        ),
        ("2 1\n10 5\n10 7\n-3 1 2\n", "line 4, token 1 ('-3'): the demand of customer 1"),
        (
            "2 2\n10 5\n10 7\n3 1 2\n4 1\n",
            "ends early: the header (line 1) says 2 warehouses × 2 customers, which needs 12 "
            "numbers; the file holds 11, ending at line 5 with the cost of serving customer 2 "
            "from warehouse 1 (missing from the cost of serving customer 2 from warehouse 2 on)",
        ),
        (
            "2 1\n10 5\n10 7\n3 1 2\n4 1 2\n",
            "the header (line 1) says 1 customers, but 3 more numbers follow customer 1's "
            "record (from line 5, token 1 ('4') on), enough for 1 more customer(s)",
        ),
        (b"2 1\n10 5\n\xff\xfe 7\n", "byte 9 (line 3) is 0xff, which is not UTF-8 text"),
    ],
)
def test_broken_files_name_the_line_the_token_and_its_meaning(tmp_path, text, expected):
    message = _error(tmp_path, text)
    assert expected in message, message


def test_capacity_placeholder_of_the_large_sets(tmp_path):
    text = "2 1\ncapacity 5\n capacity 7\n3 1 2\n"
    message = _error(tmp_path, text)
    assert re.search(r"line 2, token 1 \('capacity'\).*pass capacity=VALUE", message), message
    path = tmp_path / "bad.txt"
    scn = pl.io.read_orlib_cflp(path, capacity=8000)
    assert [s.power_mw for s in scn.sites] == [8000, 8000]
