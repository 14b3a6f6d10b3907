# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared set-up of the ``hrw_diagnose`` action plugin tests (Linux and Windows shells).

The plugin is built with a mocked task and connection as ansible.windows' action tests do,
and the module execution is replaced at the ``_execute_module`` boundary (DESIGN §6) by a
fake that records every call and returns a canned result. Each test module keeps its own
defaults (which recorded document, which shell) and imports this one through the collection
package: ``ansible_collections.azure_hrw.doctor.tests.unit.plugins.action.action_harness``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

from unittest.mock import MagicMock

from ansible.playbook.task import Task

from ansible_collections.azure_hrw.doctor.plugins.action.hrw_diagnose import ActionModule
from ansible_collections.azure_hrw.doctor.plugins.plugin_utils import _diagnose

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "facts")


def recorded(name, utc_now=None):
    """The recorded facts document ``name`` of tests/unit/fixtures/facts, parsed afresh.

    A recording is old by the time a test runs: with ``utc_now`` its ``host.utc_now`` is
    stamped with that time, as the collector would, so the clock rule compares it with a live
    controller time.
    """
    with open(os.path.join(FIXTURES, name)) as f:
        facts = json.load(f)
    if utc_now is not None:
        facts["host"]["utc_now"] = utc_now
    return facts


class FakeExecuteModule:
    """Stands in for ActionBase._execute_module: records every call, returns a canned result.

    ``result`` is a dict (every call gets it) or a callable ``(module_name, module_args) -> dict``
    for plugins that call several modules (hrw_repair: collector, executor, collector).
    """

    def __init__(self, result):
        self.result = result
        self.calls = []

    def __call__(self, module_name=None, module_args=None, tmp=None, task_vars=None, **kwargs):
        self.calls.append({"module_name": module_name, "module_args": copy.deepcopy(module_args or {}),
                           "task_vars": task_vars, "kwargs": kwargs})
        if callable(self.result):
            return copy.deepcopy(self.result(module_name, copy.deepcopy(module_args or {})))
        return copy.deepcopy(self.result)


def module_ok(facts, **ansible_facts):
    """A collector's successful result: ``facts`` as ``hrw_facts``, beside any other ``ansible_facts``."""
    return {"changed": False, "ansible_facts": dict(hrw_facts=facts, **ansible_facts)}


def mock_task_and_connection(action, args, check_mode=False, windows=False):
    """(task, connection) mocks for an action plugin of ``action`` on a Linux or Windows shell."""
    task = MagicMock(Task)
    task.args = dict(args or {})
    task.async_val = 0
    task.check_mode = check_mode
    task.action = action
    task.environment = []

    connection = MagicMock()
    connection._shell._IS_WINDOWS = windows
    if windows:
        connection._shell.SHELL_FAMILY = "powershell"
    connection._shell.tmpdir = None
    return task, connection


def make_action(args, module_result, windows=False, check_mode=False, action_class=ActionModule,
                action="azure_hrw.doctor.hrw_diagnose", diff=False):
    """(plugin, fake): the action plugin (hrw_diagnose unless ``action_class`` says otherwise) on a
    Linux or Windows shell, whose module calls return ``module_result`` (see FakeExecuteModule)."""
    task, connection = mock_task_and_connection(action, args, check_mode, windows)
    task.diff = diff
    plugin = action_class(task, connection, MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    fake = FakeExecuteModule(module_result)
    plugin._execute_module = fake
    return plugin, fake


def canned_findings(monkeypatch):
    """Replace rule evaluation with a settable list of findings; returns the holder.

    Set ``holder["findings"]``; after a run the holder also has the ``facts``, ``context`` and
    rule ids (``rules``) evaluation was called with. The test modules wrap this in a fixture.
    """
    holder = {"findings": []}

    def fake_evaluate(facts, rules, context=None):
        holder["facts"] = facts
        holder["context"] = context
        holder["rules"] = [r.rule_id for r in rules]
        return copy.deepcopy(holder["findings"])

    monkeypatch.setattr(_diagnose, "evaluate", fake_evaluate)
    return holder
