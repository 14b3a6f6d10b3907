# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HRESULT codes: normalisation, explanation and extraction from event messages.

The table is the one of the seed update-management-troubleshoot.md, scenario "Machine shows
as 'Not assessed' and shows an HResult exception" (anchor ``#hresult``), row for row; no code
is added from elsewhere. Pure Python, stdlib only, Python 3.8+, no I/O.

A code is accepted as an int (``2149859372`` or the signed ``-2145107924``) or a string
(``"0x8024402C"``, ``"0x8024402c"``, ``"8024402C"`` - exactly eight hex digits without ``0x``
are read as hex -, ``"2149859372"``, ``"-2145107924"``) and normalised to ``"0x8024402C"``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

SOURCE = "update-management-troubleshoot.md#hresult"
ERROR_CODE_LIST = "https://support.microsoft.com/help/938205/windows-update-error-code-list"
EXPECTED_FORM = ("an HRESULT: 0x followed by up to 8 hex digits (0x8024402C), exactly 8 hex digits "
                 "(8024402C), or a 32-bit integer, unsigned (2149859372) or signed (-2145107924)")

_NETWORK = ("These indicate network connectivity issues. Make sure your machine has network connectivity to "
            "Update Management. See the network planning section for a list of required ports and addresses.")

_WSUS = (" If you're using a WSUS server, make sure the registry values WUServer and WUStatusServer under the "
         "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate registry key specify the "
         "correct WSUS server.")

#: code -> {explanation, action}, from the seed's table (the "Exception" and "Resolution or
#: action" columns). 0x8024402C has two rows there (network, WSUS); both are kept.
TABLE = {
    "0x8024402C": {
        "explanation": "A network connectivity issue (0x8024402C, like 0x8024401C and 0x8024402F); with a WSUS "
                       "server, the WSUS server configured may be wrong.",
        "action": _NETWORK + _WSUS,
    },
    "0x8024401C": {
        "explanation": "A network connectivity issue (0x8024401C, like 0x8024402C and 0x8024402F).",
        "action": _NETWORK,
    },
    "0x8024402F": {
        "explanation": "A network connectivity issue (0x8024402F, like 0x8024402C and 0x8024401C).",
        "action": _NETWORK,
    },
    "0x8024001E": {
        "explanation": "The update operation didn't complete because the service or system was shutting down.",
        "action": "Run the update again once the machine is up; nothing is broken if it then completes.",
    },
    "0x8024002E": {
        "explanation": "Windows Update service is disabled.",
        "action": "Make sure the Windows Update service (wuauserv) is running and not disabled.",
    },
    "0x80072EE2": {
        "explanation": "There's a network connectivity issue or an issue in talking to a configured WSUS server.",
        "action": "Check WSUS settings and make sure the service is accessible from the client.",
    },
    "0x80070422": {
        "explanation": "The service cannot be started, either because it is disabled or because it has no "
                       "enabled devices associated with it.",
        "action": "Make sure the Windows Update service (wuauserv) is running and not disabled.",
    },
    "0x80070005": {
        "explanation": "An access denied error. It can be caused by any one of the following: an infected "
                       "computer; Windows Update settings not configured correctly; a file permission error "
                       "with %WinDir%\\SoftwareDistribution folder; insufficient disk space on the system "
                       "drive (C:).",
        "action": "Check the machine for malware, the Windows Update settings, the permissions of "
                  "%WinDir%\\SoftwareDistribution and the free space on C:.",
    },
}

#: Codes whose cure is a repair action of the collection (issue 5), by code.
REPAIR_ACTIONS = {
    "0x8024002E": "enable_windows_update_service",
    "0x80070422": "enable_windows_update_service",
}

#: Codes that say the operation was interrupted rather than that something is broken.
TRANSIENT = frozenset(["0x8024001E"])

#: What the seed says for any code not in its table (rows "Exception from HRESULT: 0x……C" and
#: "Any other generic exception").
UNKNOWN_EXPLANATION = "This code is not in the HRESULT table of update-management-troubleshoot.md."
UNKNOWN_ACTION = ("Search the relevant error code in the Windows update error code list (%s) to find additional "
                  "details about the cause; otherwise run a search on the internet for possible solutions, and "
                  "work with your local IT support." % ERROR_CODE_LIST)

_HEX = re.compile(r"^0[xX]([0-9A-Fa-f]{1,8})$")
_BARE_HEX = re.compile(r"^[0-9A-Fa-f]{8}$")
_DECIMAL = re.compile(r"^-?[0-9]+$")
# 0x and eight hex digits, not inside a longer token; or a decimal value right after "HRESULT".
_FIND_HEX = re.compile(r"(?<![0-9A-Za-z])0[xX][0-9A-Fa-f]{8}(?![0-9A-Za-z])")
_FIND_DECIMAL = re.compile(r"HRESULT[\s:=(]{1,4}(-?[0-9]{1,10})(?![0-9A-Za-z])", re.IGNORECASE)


def normalize(code):
    """``"0x%08X"`` of ``code``; ValueError (naming the value and the expected form) when it is
    not an HRESULT."""
    value = None
    if isinstance(code, bool):
        value = None
    elif isinstance(code, int):
        value = code
    elif isinstance(code, str):
        text = code.strip()
        hex_match = _HEX.match(text)
        if hex_match:
            value = int(hex_match.group(1), 16)
        elif _BARE_HEX.match(text):
            value = int(text, 16)
        elif _DECIMAL.match(text):
            value = int(text, 10)
    if value is None or not -0x80000000 <= value <= 0xFFFFFFFF:
        raise ValueError("%r is not an HRESULT; expected %s" % (code, EXPECTED_FORM))
    return "0x%08X" % (value & 0xFFFFFFFF)


def explain(code):
    """``{code, known, explanation, action, source}`` for ``code`` (any form :func:`normalize`
    accepts; ValueError otherwise). An unknown code gets the seed's generic advice."""
    normal = normalize(code)
    row = TABLE.get(normal)
    if row is None:
        return {"code": normal, "known": False, "explanation": UNKNOWN_EXPLANATION, "action": UNKNOWN_ACTION,
                "source": SOURCE}
    return {"code": normal, "known": True, "explanation": row["explanation"], "action": row["action"],
            "source": SOURCE}


def find_hresults(text):
    """Normalised HRESULTs found in ``text`` (``0x`` + 8 hex digits, or a decimal value right
    after the word HRESULT), each once, in order of first appearance. Not a string: []."""
    if not isinstance(text, str):
        return []
    found = []
    hits = [(m.start(), m.group(0)) for m in _FIND_HEX.finditer(text)]
    hits.extend((m.start(1), m.group(1)) for m in _FIND_DECIMAL.finditer(text))
    for _pos, raw in sorted(hits):
        try:
            code = normalize(raw)
        except ValueError:
            continue
        if code not in found:
            found.append(code)
    return found
