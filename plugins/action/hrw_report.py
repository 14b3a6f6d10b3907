# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ``azure_hrw.doctor.hrw_report``: the fleet report, written on the controller.

Reads every requested host's registered diagnosis from ``hostvars`` (unreachable and failed
hosts included), evaluates the fleet rules and each host's readiness, builds the report
model and writes the requested formats to ``dest``. Nothing runs on a managed host; use it
once per play (``run_once: true``, ``delegate_to: localhost``). The logic is in
plugins/plugin_utils/_report.py.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.azure_hrw.doctor.plugins.plugin_utils._report import report_argument_spec, run_report


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        if task_vars is None:
            task_vars = {}

        # Bad input fails before anything is written (DESIGN §5).
        dummy, args = self.validate_argument_spec(argument_spec=report_argument_spec())
        result.update(run_report(args, task_vars, check_mode=bool(self._task.check_mode)))
        return result
