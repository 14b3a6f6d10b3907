# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the host modules ship (issue 8: small payloads) and how many calls the playbooks make.

AnsiballZ ships a module with the collection module_utils it imports, found by reading its
imports (not by running it), as done here: a controller-only helper (rules, catalog, report,
planner) imported by the collector would be zipped and sent to every host on every run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os

import pytest
import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
PREFIX = "ansible_collections.azure_hrw.doctor.plugins.module_utils."
# Module utils that only the controller (action plugins, the report) uses. registration_input is
# not one: hrw_onboarding checks its inputs again on the host, as it can be called directly.
CONTROLLER_ONLY = ("catalog", "finding", "fleet_rules", "hresult", "regions", "repair_actions",
                   "repair_plan", "report_", "rules_", "windows_")


def _imports(path):
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + ["%s.%s" % (node.module, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name.startswith(PREFIX):
                relative = name[len(PREFIX):].replace(".", os.sep)
                candidate = os.path.join(ROOT, "plugins", "module_utils", relative + ".py")
                if os.path.isfile(candidate):
                    yield os.path.normpath(candidate)


def shipped(module):
    """The collection module_utils files the module's payload carries (transitive imports)."""
    seen, todo = set(), [os.path.join(ROOT, "plugins", "modules", module + ".py")]
    while todo:
        for found in _imports(todo.pop()):
            if found not in seen:
                seen.add(found)
                todo.append(found)
    return {os.path.relpath(p, os.path.join(ROOT, "plugins", "module_utils")) for p in seen}


def _host_modules():
    """The Python modules that run on a host (the others are documentation of action plugins)."""
    folder = os.path.join(ROOT, "plugins", "modules")
    out = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py") and name != "__init__.py":
            with open(os.path.join(folder, name)) as f:
                if "AnsibleModule(" in f.read():
                    out.append(name[:-3])
    return out


def test_the_host_modules_are_found():
    assert {"hrw_facts", "hrw_remediate"} <= set(_host_modules())


@pytest.mark.parametrize("module", _host_modules())
def test_host_modules_ship_no_controller_only_module_utils(module):
    files = shipped(module)
    assert files, "the import walk found nothing: it no longer matches the code"
    leaked = sorted(f for f in files if os.path.basename(f).startswith(CONTROLLER_ONLY))
    assert leaked == [], "%s would ship controller-only module_utils to every host: %s" % (module, leaked)


def test_collector_ships_exactly_its_collectors():
    assert shipped("hrw_facts") == {
        "hrw/_hostfs.py", "hrw/confparse.py", "hrw/endpoints.py", "hrw/linux_accounts.py", "hrw/linux_facts.py",
        "hrw/linux_network.py", "hrw/linux_system.py", "hrw/linux_worker_state.py", "hrw/probe.py"}
    assert "hrw/linux_repair.py" not in shipped("hrw_facts")  # the executor's code stays with the executor


def _tasks(items):
    for item in items or []:
        yield item
        for key in ("block", "rescue", "always"):
            for inner in _tasks(item.get(key)):
                yield dict(inner, delegate_to=inner.get("delegate_to", item.get("delegate_to")))


# Actions that run on the controller only (no connection to the host).
LOCAL_ACTIONS = {"ansible.builtin.debug", "ansible.builtin.fail", "ansible.builtin.assert", "ansible.builtin.meta",
                 "ansible.builtin.set_fact"}


def _remote_tasks(tasks):
    out = []
    for task in _tasks(tasks):
        if "block" in task or task.get("delegate_to") == "localhost":
            continue
        action = next(k for k in task if "." in k)
        if action not in LOCAL_ACTIONS:
            out.append(action)
    return out


def _load(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return yaml.safe_load(f)


def _plays(playbook):
    """The plays of ``playbook``, with those of the playbooks it imports (report.yml) in place."""
    plays = []
    for play in _load("playbooks", playbook):
        imported = play.get("ansible.builtin.import_playbook")
        plays.extend(_plays(imported) if imported else [play])
    return plays


@pytest.mark.parametrize("playbook, role, action", [
    ("diagnose.yml", "diagnose", "azure_hrw.doctor.hrw_diagnose"),
    ("repair.yml", "repair", "azure_hrw.doctor.hrw_repair"),
])
def test_playbook_makes_one_remote_task_per_host_and_gathers_no_facts(playbook, role, action):
    plays = _plays(playbook)
    assert any("azure_hrw.doctor.hrw_report" in (t or {}) for play in plays for t in play.get("tasks") or [])
    assert all(play.get("gather_facts") is False for play in plays)
    remote = _remote_tasks(_load("roles", role, "tasks", "main.yml"))
    for play in plays:
        remote += _remote_tasks(play.get("tasks"))
    assert remote == [action]  # the action plugin makes its module calls (one for diagnose); nothing else reaches the host


def test_no_sleeps_or_polling_in_the_playbooks_and_roles():
    for folder in ("playbooks", os.path.join("roles", "diagnose", "tasks"), os.path.join("roles", "repair", "tasks")):
        for name in os.listdir(os.path.join(ROOT, folder)):
            with open(os.path.join(ROOT, folder, name)) as f:
                text = f.read()
            for word in ("pause", "wait_for", "sleep", "until:", "retries:", "async:", "poll:"):
                assert word not in text, "%s/%s: %s" % (folder, name, word)
