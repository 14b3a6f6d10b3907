# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""secrets: the forms of a secret and scrubbing them."""

import base64

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.secrets import MASK, scrub, secret_forms

KEY = base64.b64encode(bytes(range(250, 256)) + bytes(range(64))).decode()  # has + / and =


def test_the_key_has_the_characters_that_url_encoding_changes():
    assert "+" in KEY and "/" in KEY and KEY.endswith("=")


def test_upper_and_lower_case_percent_encodings_are_forms_of_the_key():
    upper = KEY.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    lower = KEY.replace("+", "%2b").replace("/", "%2f").replace("=", "%3d")
    forms = secret_forms(KEY)
    assert KEY in forms and upper in forms and lower in forms
    for text in (upper, lower):
        assert scrub("POST /register?key=%s HTTP/1.1" % text, KEY) == "POST /register?key=%s HTTP/1.1" % MASK


def test_lower_casing_touches_only_the_escapes_not_the_key_itself():
    forms = secret_forms(KEY)
    assert KEY.lower() not in forms  # base64 is case-sensitive: only %XX escapes change case
    assert len(forms) == len(set(forms))


def test_no_secret_no_forms():
    assert secret_forms(None, "") == [] and scrub("text", None) == "text"
