# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Collector: proxy configuration, Azure VM detection (DMI) and IMDS.

Target side: stdlib only, Python 3.8 syntax, read-only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def collect_network(root, errors, facts, options):
    """The ``network`` section of the facts document (ADR 0001)."""
    return {}
