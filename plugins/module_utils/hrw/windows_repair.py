# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Placeholder until the Windows primitives land (issue 5, branch i5-win)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def primitives_for(action, facts, options=None):
    raise NotImplementedError("the Windows primitives of %s are not written yet" % action)
