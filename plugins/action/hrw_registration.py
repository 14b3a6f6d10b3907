# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ``azure_hrw.doctor.hrw_registration``.

Checks every input before the host is touched, then makes one call of the host module
(``hrw_onboarding`` on Linux, ``win_hrw_registration`` on a Windows shell), which reads the
current registration, decides, and registers or deregisters. The account key goes to the host
module as a no_log option and is scrubbed from whatever comes back.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.secrets import scrub
from ansible_collections.azure_hrw.doctor.plugins.plugin_utils._diagnose import is_windows_connection, module_error_text
from ansible_collections.azure_hrw.doctor.plugins.plugin_utils._registration import (
    checked_options,
    digest,
    module_call,
    registration_argument_spec,
)

_ACTION_NAME = "hrw_registration"


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_diff = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        if task_vars is None:
            task_vars = {}

        dummy, args = self.validate_argument_spec(argument_spec=registration_argument_spec())
        windows = is_windows_connection(self._connection)
        options = checked_options(args, windows)
        secrets = [options["key"], args.get("account_key")]

        module_name, module_args = module_call(windows, options)
        outcome = self._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars)
        outcome = scrub(outcome, *secrets)
        if outcome.get("failed") and not outcome.get("unreachable"):
            outcome["msg"] = "%s: %s" % (_ACTION_NAME, module_error_text(outcome))
        outcome.pop("invocation", None)  # the key is masked there, but nothing of it needs to go back
        if not outcome.get("unreachable"):
            outcome["digest"] = digest(outcome)
        result.update(outcome)
        return result
