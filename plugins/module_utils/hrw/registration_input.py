# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the registration inputs, before anything touches a host (DESIGN §5).

Pure Python (3.8, stdlib only). Each check raises ``ValueError`` with a message that names the
field and the expected form, and never repeats a secret: a bad account key is described by its
length and alphabet, not shown.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import re

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported, this keeps the import tidy
    from urlparse import urlsplit

#: The Automation host suffixes of the clouds the registration endpoint lives in
#: (official-troubleshooters.md §5): public, US Government, China (21Vianet), Germany (legacy).
CLOUDS = (
    ("public", "azure-automation.net"),
    ("usgov", "azure-automation.us"),
    ("china", "azure-automation.cn"),
    ("germany", "azure-automation.de"),
)

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_GUID_RE = re.compile(r"^%s$" % _GUID)
_PATH_RE = re.compile(r"^/accounts/(%s)/?$" % _GUID)
# <accountId>.agentsvc.<region moniker>.azure-automation.<tld>: the account-specific form.
_ACCOUNT_HOST_RE = re.compile(r"^(%s)\.agentsvc\.[a-z0-9]+\.$" % _GUID)
# <region>-agentservice-prod-<n>.azure-automation.<tld>: the legacy regional form.
_REGIONAL_HOST_RE = re.compile(r"^[a-z0-9]+-agentservice-prod-[0-9]+\.$")
_BASE64_RE = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")

URL_FORM = ("https://<accountId>.agentsvc.<region>.azure-automation.net/accounts/<accountId> (account-specific) or "
            "https://<region>-agentservice-prod-1.azure-automation.net/accounts/<accountId> (regional); .us, .cn "
            "and .de for the other clouds; the account's Keys page shows it as the URL")

#: An Automation account access key is 64 random bytes in base64 (88 characters).
KEY_BYTES = 64

GROUP_NAME_MAX = 128
_GROUP_FORBIDDEN = '<>*%&:\\?.+/#'


def check_workspace_id(value, field="workspace_id"):
    """The workspace id in lower case; it must be a GUID."""
    text = (value or "").strip()
    if not _GUID_RE.match(text):
        raise ValueError("%s must be a Log Analytics workspace id, a GUID such as "
                         "0f5ac2de-1234-4cde-9f00-5d6c7e8f9a0b, got %r" % (field, value))
    return text.lower()


def check_registration_url(value, field="registration_url"):
    """``{url, account_id, host, cloud, form}`` of an Automation registration URL."""
    text = (value or "").strip()

    def bad(why):
        return ValueError("%s must be the Automation account's registration URL, %s; got %r: %s"
                          % (field, URL_FORM, value, why))

    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise bad("it does not parse as a URL (%s)" % exc)
    if parts.scheme != "https":
        raise bad("the scheme must be https")
    if parts.username or parts.password:
        raise bad("it must not carry a user name or password")
    if port not in (None, 443):
        raise bad("the port must be 443")
    if parts.query or parts.fragment:
        raise bad("it must not have a query or fragment")
    host = (parts.hostname or "").lower()
    cloud = prefix = None
    for name, suffix in CLOUDS:
        if host.endswith("." + suffix):
            cloud, prefix = name, host[:-len(suffix)]
            break
    if cloud is None:
        raise bad("the host must be an Automation host ending in %s" % " / ".join(s for dummy, s in CLOUDS))
    path = _PATH_RE.match(parts.path or "")
    if not path:
        raise bad("the path must be /accounts/<Automation account id>")
    account_id = path.group(1).lower()
    specific = _ACCOUNT_HOST_RE.match(prefix)
    if specific:
        if specific.group(1).lower() != account_id:
            raise bad("the account id in the host (%s) and in the path (%s) differ" % (specific.group(1), account_id))
        form = "account"
    elif _REGIONAL_HOST_RE.match(prefix):
        form = "regional"
    else:
        raise bad("the host must be <accountId>.agentsvc.<region>.%s or <region>-agentservice-prod-<n>.%s"
                  % (host[len(prefix):], host[len(prefix):]))
    url = "https://%s/accounts/%s" % (host, account_id)
    return {"url": url, "account_id": account_id, "host": host, "cloud": cloud, "form": form}


def check_account_key(value, field="account_key"):
    """The key, unchanged, when it looks like an Automation account key; the message of a bad
    key says what is wrong with it without repeating it."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("%s must be the Automation account's primary or secondary access key (88 base64 "
                         "characters, from the account's Keys page); it is empty" % field)
    text = value.strip()
    problem = None
    if not _BASE64_RE.match(text) or len(text) % 4:
        problem = "it is not base64 (%d characters%s)" % (
            len(text), ", with characters outside A-Z a-z 0-9 + / =" if not _BASE64_RE.match(text) else "")
    else:
        try:
            size = len(base64.b64decode(text.encode("ascii"), validate=True))
        except (binascii.Error, ValueError):
            size = None
        if size is None:
            problem = "it is not base64"
        elif size != KEY_BYTES:
            problem = "it decodes to %d bytes, an account key has %d" % (size, KEY_BYTES)
    if problem:
        raise ValueError("%s must be the Automation account's primary or secondary access key (88 base64 "
                         "characters, from the account's Keys page): %s (the value is not shown)" % (field, problem))
    return text


def check_group_name(value, field="group_name"):
    """The hybrid worker group name, stripped; Azure's rules: 1-128 characters, none of
    < > * % & : \\ ? . + / # and no control characters."""
    name = (value or "").strip() if isinstance(value, str) else ""
    bad = sorted(set(c for c in name if c in _GROUP_FORBIDDEN or ord(c) < 32 or ord(c) == 127))
    if not name:
        why = "it is empty"
    elif len(name) > GROUP_NAME_MAX:
        why = "it is %d characters long" % len(name)
    elif bad:
        why = "it contains %s" % ", ".join(repr(c) for c in bad)
    else:
        return name
    raise ValueError("%s must be a hybrid worker group name: 1 to %d characters, none of < > * %% & : \\ ? . + / # "
                     "and no control characters (for example hrw-group-1), got %r: %s"
                     % (field, GROUP_NAME_MAX, value, why))
