# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read access to the Windows facts document (docs/adr/0002-windows-facts.md).

Windows rules read facts only through :func:`fact` with a literal dotted path, so the
contract test can list every fact the rules read and compare it with what the PowerShell
collector writes (ADR 0002, decision 4). Pure Python, stdlib only, Python 3.8+.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

_MISSING = object()


def fact(facts, path, default=None):
    """The value at ``path`` (``"agent.service.status"``) in ``facts``; ``default`` when a
    key is missing or a value on the way is not a mapping. ``None`` values are returned
    as ``None`` (the collector could not read them), not replaced by ``default``."""
    value = facts
    for key in path.split("."):
        if not isinstance(value, dict):
            return default
        value = value.get(key, _MISSING)
        if value is _MISSING:
            return default
    return value


def as_list(value):
    """``value`` when it is a list, else an empty list (a collector ``null``)."""
    return value if isinstance(value, list) else []


def as_dict(value):
    """``value`` when it is a dict, else an empty dict."""
    return value if isinstance(value, dict) else {}
