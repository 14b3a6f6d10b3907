# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared by the target-side collectors: reading host files under a test root, users and groups.

Stdlib only, Python 3.8 syntax (runs on the target). Must not import ``linux_facts`` (it imports
the section collectors, which import this module).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

MAX_BYTES = 1024 * 1024


def describe(exc):
    """``Type: message`` (or only ``Type`` when the message is empty)."""
    text = str(exc)
    return "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__


def describe_os_error(exc, logical):
    """An OS error worded with the host path (``logical``), never the real path under a test root."""
    if getattr(exc, "errno", None) and getattr(exc, "strerror", None):
        return "%s: [Errno %s] %s: %r" % (type(exc).__name__, exc.errno, exc.strerror, logical)
    return describe(exc)


class HostFiles(object):
    """Reads host paths under ``root``, recording unreadable ones in ``errors``.

    A missing path is a fact (None, no error); any other failure is None plus
    ``{where, error}`` in ``errors``, worded by ``wording(exc, logical)``. ``missing`` and
    ``failures`` say which exceptions count as which (each collector keeps its own choice).
    """

    def __init__(self, root, errors, wording=describe_os_error, missing=(FileNotFoundError,), failures=(OSError,)):
        self.root = root or "/"
        self.errors = errors
        self.wording = wording
        self.missing = missing
        self.failures = failures

    def path(self, logical):
        """The real path of a host path under ``root``."""
        if self.root in ("/", ""):
            return logical
        return os.path.join(self.root, logical.lstrip("/"))

    def error(self, where, message):
        self.errors.append({"where": where, "error": message})

    def os_error(self, where, exc, logical):
        self.error(where, self.wording(exc, logical))

    def attempt(self, where, logical, action):
        """``(value, exists)`` of ``action(real_path)``: exists is False when missing, None when it failed."""
        try:
            return action(self.path(logical)), True
        except self.missing:
            return None, False
        except self.failures as exc:
            self.os_error(where, exc, logical)
            return None, None

    def read(self, where, logical, limit=MAX_BYTES):
        """``(at most limit bytes or None, exists)``, as :meth:`attempt`."""
        return self.attempt(where, logical, lambda real: _read(real, limit))

    def read_bytes(self, where, logical, limit=MAX_BYTES):
        return self.read(where, logical, limit)[0]

    def read_text(self, where, logical, limit=MAX_BYTES):
        data = self.read_bytes(where, logical, limit)
        return None if data is None else data.decode("utf-8", "replace")

    def stat(self, where, logical):
        """``(os.stat_result or None, exists)`` (follows symlinks)."""
        return self.attempt(where, logical, os.stat)

    def listdir(self, where, logical):
        """Sorted names in a directory, or None."""
        return self.attempt(where, logical, lambda real: sorted(os.listdir(real)))[0]

    def exists(self, logical):
        return os.path.exists(self.path(logical))

    def lexists(self, logical):
        return os.path.lexists(self.path(logical))


def _read(real, limit):
    with open(real, "rb") as handle:
        return handle.read(limit)


# --------------------------------------------------------------------------- users and groups
# From <root>/etc/passwd and <root>/etc/group, never the running system's NSS (tests use trees).


def _colon_file(text, fields):
    """Lines of /etc/passwd or /etc/group as lists of at least ``fields`` items."""
    out = []
    for line in (text or "").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("+") or line.startswith("-"):
            continue
        parts = line.split(":")
        if len(parts) >= fields:
            out.append(parts)
    return out


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_passwd(text):
    """name -> {uid, gid, home, shell} (first entry wins, as getpwnam)."""
    users = {}
    for parts in _colon_file(text, 7):
        users.setdefault(parts[0], {"uid": _int(parts[2]), "gid": _int(parts[3]),
                                    "home": parts[5], "shell": parts[6]})
    return users


def parse_group(text):
    """name -> {gid, members (the member list of the line)}."""
    groups = {}
    for parts in _colon_file(text, 4):
        members = [m.strip() for m in parts[3].split(",") if m.strip()]
        groups.setdefault(parts[0], {"gid": _int(parts[2]), "members": members})
    return groups


def can_read(info, user, groups_of_user):
    """Whether ``user`` (a passwd entry) can read a path by its mode bits; None when unknown.

    :param info: ``{exists, mode ("0644"), uid, gid}`` of the path.
    :param groups_of_user: the gids of the user (primary and supplementary).
    """
    if not info.get("exists") or info.get("mode") is None or user is None:
        return None
    mode = int(info["mode"], 8)
    if user.get("uid") == 0:
        return True
    if info.get("uid") == user.get("uid"):
        return bool(mode & 0o400)
    if info.get("gid") in groups_of_user:
        return bool(mode & 0o040)
    return bool(mode & 0o004)
