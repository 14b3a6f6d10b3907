# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Linux rules: operating system, hardware, clock and registration (403), package manager.

Pure rules over the facts document (DESIGN §2): stdlib only, Python 3.8 syntax, no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

RULES = []
