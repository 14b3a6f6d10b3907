# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keeping a secret (the Automation account key) out of results, messages and diffs.

Pure Python (3.8, stdlib only): used on the host by hrw_onboarding and on the controller by the
hrw_registration action, which scrubs whatever the host returns a second time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:  # Python 3 (the target needs 3.8); the import guard keeps sanity's compile tests quiet
    from urllib.parse import quote, quote_plus
except ImportError:  # pragma: no cover
    quote = quote_plus = None

MASK = "********"


_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def secret_forms(*secrets):
    """Every secret as given and URL-encoded (a base64 key has + / =), the encoded forms also with
    lower-case hex (``%2b``, as some HTTP stacks print them), longest first."""
    forms = []
    for secret in secrets:
        if not secret:
            continue
        encoded = [quote(secret, safe=""), quote_plus(secret)]
        lower = [_ESCAPE.sub(lambda match: match.group(0).lower(), form) for form in encoded]
        for form in [secret] + encoded + lower:
            if form and form not in forms:
                forms.append(form)
    return sorted(forms, key=len, reverse=True)


def scrub(value, *secrets):
    """``value`` (str, dict, list, nested) with every form of every secret replaced by ``MASK``."""
    forms = secret_forms(*secrets)

    def walk(item):
        if isinstance(item, str):
            for form in forms:
                item = item.replace(form, MASK)
            return item
        if isinstance(item, dict):
            return dict((walk(k), walk(v)) for k, v in item.items())
        if isinstance(item, (list, tuple)):
            return [walk(v) for v in item]
        return item
    return walk(value) if forms else value
