# -*- coding: utf-8 -*-
"""hresult.py: the table (against the seed document), normalisation, explain and extraction."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import hresult

# The seed's HRESULT table, checked in (the seeds themselves live outside the repository).
SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "seeds",
                    "update-management-hresults.md")


@pytest.mark.parametrize("value", [
    "0x8024402C", "0x8024402c", "0X8024402C", " 0x8024402C ", "8024402C", "8024402c",
    -2145107924, 2149859372, "-2145107924", "2149859372",
])
def test_normalize_every_form_of_one_code(value):
    assert hresult.normalize(value) == "0x8024402C"


@pytest.mark.parametrize("value, expected", [
    ("0x5", "0x00000005"), (0, "0x00000000"), (5, "0x00000005"), (0xFFFFFFFF, "0xFFFFFFFF"), (-1, "0xFFFFFFFF"),
    (-0x80000000, "0x80000000"), ("0x80070005", "0x80070005"),
    ("8024402", "0x007A7152"),   # seven digits: a decimal, only exactly eight hex digits are hex
])
def test_normalize_edges(value, expected):
    assert hresult.normalize(value) == expected


@pytest.mark.parametrize("bad", [
    None, True, False, 1.5, "", "0x", "0x123456789", "8024402CC", "802440 2C", "0x8024402G", "E_ACCESSDENIED",
    "0x8024402C (E_X)", 0x100000000, -0x80000001, "4294967296", [], {"code": 1},
])
def test_normalize_rejects_non_codes_naming_value_and_form(bad):
    with pytest.raises(ValueError) as err:
        hresult.normalize(bad)
    assert repr(bad) in str(err.value)
    assert "0x8024402C" in str(err.value) and "-2145107924" in str(err.value)


def test_explain_known():
    got = hresult.explain("0x8024402c")
    assert sorted(got) == ["action", "code", "explanation", "known", "source"]
    assert got["code"] == "0x8024402C" and got["known"] is True
    assert "network connectivity" in got["explanation"]
    assert "WUServer" in got["action"] and "WUStatusServer" in got["action"]
    assert got["source"] == "update-management-troubleshoot.md#hresult"


def test_explain_unknown_gives_the_generic_advice():
    got = hresult.explain(0x80072EFE)
    assert got == {"code": "0x80072EFE", "known": False, "explanation": hresult.UNKNOWN_EXPLANATION,
                   "action": hresult.UNKNOWN_ACTION, "source": hresult.SOURCE}
    assert "938205" in got["action"]


def test_explain_rejects_bad_input():
    with pytest.raises(ValueError):
        hresult.explain("nope")


def test_table_entries_are_complete():
    for code, row in hresult.TABLE.items():
        assert re.match(r"^0x[0-9A-F]{8}$", code)
        assert sorted(row) == ["action", "explanation"] and row["explanation"] and row["action"]
    assert set(hresult.REPAIR_ACTIONS) <= set(hresult.TABLE)
    assert hresult.TRANSIENT <= set(hresult.TABLE)


def test_table_has_exactly_the_codes_of_the_seed_table():
    with open(SEED) as f:
        text = f.read()
    table = text.split("Review the following table for potential solutions", 1)[1].split("Reviewing the", 1)[0]
    codes = set(c.upper().replace("0X", "0x") for c in re.findall(r"0x[0-9A-Fa-f]{8}", table))
    assert codes == set(hresult.TABLE)


@pytest.mark.parametrize("text, expected", [
    ("Installation Failure: Windows failed to install the following update with error 0x8024402c: KB1.",
     ["0x8024402C"]),
    ("Access is denied. (Exception form HRESULT: 0x80070005(E_ACCESSDENIED))", ["0x80070005"]),
    ("first 0x80072EE2, then 0x8024402C, again 0x80072ee2", ["0x80072EE2", "0x8024402C"]),
    ("Exception from HRESULT: -2145107924", ["0x8024402C"]),
    ("HRESULT=2149859372.", ["0x8024402C"]),
    ("Win32 Process Exited with code [4294967295]", []),     # an exit code, not named an HRESULT
    ("id 0x8024402C1 and x0x8024402C and 0x802440", []),     # not a whole 8-digit token
    ("", []),
    (None, []),
    (12, []),
])
def test_find_hresults(text, expected):
    assert hresult.find_hresults(text) == expected
