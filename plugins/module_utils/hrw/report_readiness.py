# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readiness of one host as update-agent-issues.md defines it, from local evidence
(placeholder, filled by issue 7)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

STATES = ("Ready", "Disconnected", "Not configured", "Unknown")


def readiness(facts, findings):
    """``{state, reason, evidence}`` of one host (placeholder: always Unknown)."""
    return {"state": "Unknown", "reason": "not derived yet", "evidence": {}}
