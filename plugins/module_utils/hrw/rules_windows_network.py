# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows rules (placeholder, filled by issue 4)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

RULES = ()
