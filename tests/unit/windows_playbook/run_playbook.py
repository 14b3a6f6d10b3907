# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-playbook with the Windows collector replaced by recorded facts documents (tests only).

    python run_playbook.py <ansible-playbook arguments...>

Environment:
  HRW_RECORDED_FACTS  JSON object {inventory_hostname: path of a recorded facts document}
  HRW_CALLS_LOG       a file; one JSON line per collector call and per attempted connection

It runs the real ``ansible-playbook`` (ansible.cli.playbook) after patching, in this process:

- ``ActionBase._execute_module``: a call for ``azure_hrw.doctor.win_hrw_facts`` returns the
  host's recorded document (``host.utc_now`` stamped with the current time, as the collector
  would) and is logged with its arguments and whether the connection's shell is Windows. Any
  other module on a Windows shell is logged as a violation and fails; other modules (the
  role's file/copy on the controller) run for real.
- ``Connection._connect`` of the psrp and winrm plugins: logged and refused, so the test can
  prove nothing tried to reach a Windows host.

ansible-core runs tasks in forked workers (``ansible.utils.multiprocessing`` uses the ``fork``
context), so the patches made here are inherited by every worker.
"""

import datetime
import json
import os
import sys

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.action import ActionBase

COLLECTOR = "azure_hrw.doctor.win_hrw_facts"
_ORIGINAL = ActionBase._execute_module


def _log(entry):
    with open(os.environ["HRW_CALLS_LOG"], "a") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")


def _recorded(host):
    paths = json.loads(os.environ["HRW_RECORDED_FACTS"])
    with open(paths[host]) as f:
        facts = json.load(f)
    facts["host"]["utc_now"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return facts


def _execute_module(self, module_name=None, module_args=None, tmp=None, task_vars=None, persist_files=False,
                    delete_remote_tmp=None, wrap_async=False, ignore_unknown_opts=False):
    host = (task_vars or {}).get("inventory_hostname")
    windows = bool(getattr(self._connection._shell, "_IS_WINDOWS", False))
    if module_name == COLLECTOR or windows:
        _log({"event": "module", "host": host, "module_name": module_name, "module_args": module_args,
              "windows_shell": windows, "connection": self._connection.transport,
              "pid": os.getpid()})
        if module_name != COLLECTOR:
            return {"failed": True, "msg": "test shim: %s must not run on a Windows host here" % module_name}
        return {"changed": False, "ansible_facts": {"hrw_facts": _recorded(host)}}
    return _ORIGINAL(self, module_name=module_name, module_args=module_args, tmp=tmp, task_vars=task_vars,
                     persist_files=persist_files, delete_remote_tmp=delete_remote_tmp, wrap_async=wrap_async,
                     ignore_unknown_opts=ignore_unknown_opts)


def _refuse(name):
    def _connect(self):
        _log({"event": "connect", "plugin": name, "remote_addr": getattr(self._play_context, "remote_addr", None)})
        raise AnsibleConnectionFailure("test shim: %s connections are not allowed in this test" % name)
    return _connect


def patch():
    ActionBase._execute_module = _execute_module
    from ansible.plugins.connection import psrp, winrm
    psrp.Connection._connect = _refuse("psrp")
    winrm.Connection._connect = _refuse("winrm")


def main(argv):
    patch()
    from ansible.cli.playbook import main as playbook_main
    sys.argv = ["ansible-playbook"] + list(argv)
    return playbook_main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
