# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Callback of the benchmark (scripts/bench.py): per-host task timings and round trips.

Enabled only by the benchmark (ANSIBLE_CALLBACK_PLUGINS=scripts/bench/callback,
ANSIBLE_CALLBACKS_ENABLED=hrw_bench, HRW_BENCH_EVENTS=<file>). It appends one JSON line per
event to HRW_BENCH_EVENTS:

- ``start``/``end`` of each task on each host (from the callback hooks, in the controller's
  main process);
- ``module``: one per ``ActionBase._execute_module`` call, the module round trip an action
  plugin makes (an action plugin that runs a module twice counts 2);
- ``exec``/``put``/``fetch``: one per ``exec_command``/``put_file``/``fetch_file`` of the ssh
  connection plugin, i.e. every SSH session the controller opens to the host (with pipelining a
  module is one ``exec``; without it, mkdir + put + chmod/run + rm).

Those two methods run in the worker processes, which Ansible forks from the main process
after the callbacks are loaded (multiprocessing context ``fork``), so the wrappers installed
here are inherited. Each worker appends its lines with O_APPEND: one short write per line, so
lines of concurrent workers do not interleave.
"""

from __future__ import annotations

import json
import os
import time

from ansible.executor.task_executor import TaskExecutor
from ansible.plugins.action import ActionBase
from ansible.plugins.callback import CallbackBase
from ansible.plugins.connection import ssh

DOCUMENTATION = """
name: hrw_bench
type: aggregate
short_description: Benchmark events of azure_hrw.doctor (scripts/bench.py)
description: Writes task timings and module/SSH round trips per host to the file in HRW_BENCH_EVENTS.
requirements: [enable it in ANSIBLE_CALLBACKS_ENABLED]
"""

_STATE = {"host": None}


def _emit(kind, host, **extra):
    path = os.environ.get("HRW_BENCH_EVENTS")
    if not path:
        return
    extra.update(k=kind, h=host, t=time.time(), pid=os.getpid())
    line = (json.dumps(extra, sort_keys=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _wrap_task_executor(original):
    def run(self, *args, **kwargs):
        _STATE["host"] = self._host.name  # one worker process runs one task on one host
        return original(self, *args, **kwargs)
    return run


def _wrap_execute_module(original):
    def execute_module(self, *args, **kwargs):
        name = kwargs.get("module_name") or (args[0] if args else None) or self._task.action
        _emit("module", _STATE["host"], module=name)
        return original(self, *args, **kwargs)
    return execute_module


def _wrap_connection(kind, original):
    def method(self, *args, **kwargs):
        _emit(kind, _STATE["host"])
        return original(self, *args, **kwargs)
    return method


def _install():
    if getattr(ActionBase, "_hrw_bench", False):
        return
    TaskExecutor.run = _wrap_task_executor(TaskExecutor.run)
    ActionBase._execute_module = _wrap_execute_module(ActionBase._execute_module)
    for kind, attr in (("exec", "exec_command"), ("put", "put_file"), ("fetch", "fetch_file")):
        setattr(ssh.Connection, attr, _wrap_connection(kind, getattr(ssh.Connection, attr)))
    ActionBase._hrw_bench = True


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "hrw_bench"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        _install()

    def v2_runner_on_start(self, host, task):
        _emit("start", host.get_name(), task=task.get_name(), action=task.action)

    def _end(self, result, status):
        _emit("end", result._host.get_name(), task=result._task.get_name(), action=result._task.action, status=status)

    def v2_runner_on_ok(self, result):
        self._end(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._end(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._end(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._end(result, "unreachable")
