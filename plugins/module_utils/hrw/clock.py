# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""UTC timestamps of the facts documents and the host-versus-controller clock comparison.

Shared by the Linux and the Windows clock rules (seed 403 scenario: the registration fails
when the host clock is more than 15 minutes off). Pure Python, stdlib only, Python 3.8+.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

#: Clock: the registration fails beyond +/-15 minutes (seed 403 scenario); warn from 5.
CLOCK_FAIL_SECONDS = 15 * 60
CLOCK_WARN_SECONDS = 5 * 60

# "2026-11-25T20:00:00Z", with optional fractional seconds of any length (.NET writes seven).
_UTC = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$")


def parse_utc(text):
    """A naive UTC datetime from an ISO-8601 UTC text ending in ``Z``; None otherwise."""
    if not isinstance(text, str):
        return None
    match = _UTC.match(text.strip())
    if not match:
        return None
    try:
        value = datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    fraction = match.group(2)
    if fraction:
        value += datetime.timedelta(microseconds=int((fraction + "000000")[:6]))
    return value


def compare(host_text, controller_text):
    """Compare the host clock with the controller's.

    Returns ``(state, skew_seconds)``: ``state`` is ``"no_controller"`` (no usable controller
    time), ``"no_host"`` (no usable host time), ``"fail"`` (beyond CLOCK_FAIL_SECONDS),
    ``"warn"`` (beyond CLOCK_WARN_SECONDS) or ``"ok"``; ``skew_seconds`` is host minus
    controller (positive: the host is ahead), None when not computed."""
    controller = parse_utc(controller_text)
    if controller is None:
        return "no_controller", None
    host = parse_utc(host_text)
    if host is None:
        return "no_host", None
    skew = (host - controller).total_seconds()
    if abs(skew) > CLOCK_FAIL_SECONDS:
        return "fail", skew
    if abs(skew) > CLOCK_WARN_SECONDS:
        return "warn", skew
    return "ok", skew
