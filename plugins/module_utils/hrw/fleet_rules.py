# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cross-host (fleet) rules over every host's facts document (placeholder, filled by issue 7)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

RULES = ()


def evaluate_fleet(facts_by_host, context=None):
    """Findings of the fleet rules over ``{host name: facts document}`` (placeholder)."""
    return []
