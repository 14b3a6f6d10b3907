# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: hresult
short_description: Explain a Windows HRESULT with the Update Management troubleshooting table
version_added: 0.1.0
author:
  - azure_hrw.doctor contributors
description:
  - Normalises an HRESULT and returns its explanation and recommended action from the HRESULT table of
    Microsoft's Update Management troubleshooting guide (C(update-management-troubleshoot.md), scenario
    "Machine shows as 'Not assessed' and shows an HResult exception").
  - The same table explains the HRESULTs the C(WindowsUpdateErrorCheck) rule of
    M(azure_hrw.doctor.hrw_diagnose) finds in event messages.
  - A code that is not in the table is returned with O(_input) normalised, RV(_value.known=false) and the
    guide's generic advice (search the Windows Update error code list).
options:
  _input:
    description:
      - The HRESULT.
      - C(0x) followed by up to eight hex digits, in either case (V(0x8024402C), V(0x8024402c)).
      - Exactly eight hex digits without C(0x) (V(8024402C)); they are read as hex.
      - A 32-bit integer, unsigned (V(2149859372)) or signed (V(-2145107924)), as an int or a string.
      - Anything else fails with an error naming the value and the expected form.
    type: raw
    required: true
seealso:
  - name: Update Management troubleshooting, HRESULT scenario
    description: The table the explanations come from.
    link: https://learn.microsoft.com/azure/automation/troubleshoot/update-management#hresult
  - name: Windows Update error code list
    description: Where to look up a code that is not in the table.
    link: https://support.microsoft.com/help/938205/windows-update-error-code-list
"""

EXAMPLES = r"""
- name: Explain an HRESULT found in a log
  ansible.builtin.debug:
    msg: "{{ '0x8024402C' | azure_hrw.doctor.hresult }}"
  # => {"code": "0x8024402C", "known": true, "explanation": "A network connectivity issue ...",
  #     "action": "These indicate network connectivity issues. ...",
  #     "source": "update-management-troubleshoot.md#hresult"}

- name: Signed and unsigned integers name the same code
  ansible.builtin.assert:
    that:
      - (-2145107924 | azure_hrw.doctor.hresult).code == '0x8024402C'
      - (2149859372 | azure_hrw.doctor.hresult).code == '0x8024402C'

- name: Print the action for every HRESULT of the Windows Update findings
  ansible.builtin.debug:
    msg: "{{ item.code }}: {{ (item.code | azure_hrw.doctor.hresult).action }}"
  loop: "{{ (findings | selectattr('RuleId', 'equalto', 'WindowsUpdateErrorCheck') | first).evidence.hresults }}"
"""

RETURN = r"""
_value:
  description: The explanation of the code.
  type: dict
  contains:
    code:
      description: The code, normalised to C(0x) and eight upper-case hex digits.
      type: str
      sample: "0x8024402C"
    known:
      description: Whether the code is in the table.
      type: bool
      sample: true
    explanation:
      description: What the code means, from the table; for an unknown code, a note that it is not in it.
      type: str
      sample: Windows Update service is disabled.
    action:
      description: The recommended action from the table; for an unknown code, the guide's generic advice.
      type: str
      sample: Make sure the Windows Update service (wuauserv) is running and not disabled.
    source:
      description: The document and anchor the table comes from.
      type: str
      sample: update-management-troubleshoot.md#hresult
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import hresult as _hresult


def hresult(value):
    """Explain the HRESULT ``value``: {code, known, explanation, action, source}."""
    try:
        return _hresult.explain(value)
    except ValueError as exc:
        raise AnsibleFilterError("azure_hrw.doctor.hresult: %s" % exc)


class FilterModule(object):
    """HRESULT filters."""

    def filters(self):
        return {"hresult": hresult}
