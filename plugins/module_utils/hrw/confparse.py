# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tolerant parsers for the configuration files of the Linux V1 agent and worker.

Pure functions over text (no I/O), stdlib only, Python 3.8+ syntax. They never raise on
odd input: a line they cannot understand is skipped.

- :func:`parse_keyvalue` reads ``KEY=VALUE`` files (``omsadmin.conf``, ``/etc/os-release``).
- :func:`parse_ini` reads INI files (``oms.conf``, ``worker.conf``) into
  ``{section: {key: value}}``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

#: Section name used for ``key = value`` lines that appear before any ``[section]`` header.
NO_SECTION = "DEFAULT"

_COMMENT_PREFIXES = ("#", ";")


def _unquote(value):
    """Remove one pair of matching surrounding quotes (shell style), if present."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in ("'", '"'):
        inner = value[1:-1]
        if value[0] == '"':
            # the few escapes os-release(5) allows inside double quotes
            for esc in ('\\"', "\\$", "\\`", "\\\\"):
                inner = inner.replace(esc, esc[1])
        return inner
    return value


def parse_keyvalue(text, unquote=False):
    """Parse ``KEY=VALUE`` lines into a dict.

    Blank lines and lines starting with ``#`` are skipped, as are lines without ``=``.
    The key is everything before the first ``=`` (stripped); the value is everything after
    it (stripped), so values may themselves contain ``=``. A repeated key keeps its last
    value. With ``unquote=True`` one pair of surrounding single or double quotes is removed
    (``/etc/os-release`` style); ``omsadmin.conf`` values are taken literally.

    :param text: the file contents (str).
    :param unquote: strip shell-style quotes around values.
    :returns: dict of str to str, in file order.
    """
    result = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip()
        if not key:
            continue
        value = value.strip()
        if unquote:
            value = _unquote(value)
        result[key] = value
    return result


def _split_option(line):
    """Split ``key = value`` or ``key: value`` at the first delimiter; None when there is none."""
    positions = [p for p in (line.find("="), line.find(":")) if p >= 0]
    if not positions:
        return None
    pos = min(positions)
    key = line[:pos].strip()
    if not key:
        return None
    return key, line[pos + 1:].strip()


def parse_ini(text):
    """Parse an INI file into ``{section: {key: value}}``.

    Tolerant where :mod:`configparser` is strict: options before the first section header go
    to the section ``DEFAULT`` (:data:`NO_SECTION`), repeated sections are merged, a
    repeated key keeps its last value, comment lines (``#`` or ``;``) and lines that are
    neither a header nor an option are skipped. The delimiter is the first ``=`` or ``:`` on
    the line, so values such as URLs keep their ``=`` and ``:``. Key case is preserved.
    An indented line that follows an option continues its value (joined with a newline), as
    in configparser. Nothing is interpolated.

    :param text: the file contents (str).
    :returns: dict of section name to dict of key to value, in file order.
    """
    result = {}
    section = None
    last_key = None
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith(_COMMENT_PREFIXES):
            continue
        if raw[:1] in (" ", "\t") and last_key is not None and section is not None:
            # continuation of the previous value
            previous = result[section][last_key]
            result[section][last_key] = (previous + "\n" + stripped) if previous else stripped
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1].strip()
            result.setdefault(section, {})
            last_key = None
            continue
        option = _split_option(stripped)
        if option is None:
            last_key = None
            continue
        if section is None:
            section = NO_SECTION
            result.setdefault(section, {})
        key, value = option
        result[section][key] = value
        last_key = key
    return result
