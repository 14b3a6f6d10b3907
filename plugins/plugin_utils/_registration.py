# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side helpers of the registration action plugin.

FOR INTERNAL COLLECTION USE ONLY. This module may change or go away at any time; do not
import it from outside the azure_hrw.doctor collection.

The option spec, the checks that run before any round trip, the host module call, and the
scrubbing of the account key out of whatever comes back.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.registration_input import (
    check_account_key,
    check_group_name,
    check_registration_url,
    check_workspace_id,
)
from ansible_collections.azure_hrw.doctor.plugins.plugin_utils._repair import action_line, backup_line, check_backup_dir

LINUX_MODULE = "azure_hrw.doctor.hrw_onboarding"
WINDOWS_MODULE = "azure_hrw.doctor.win_hrw_registration"

STATES = ("present", "absent", "reregistered")


def registration_argument_spec():
    """The argument spec of ``azure_hrw.doctor.hrw_registration``."""
    return dict(
        state=dict(type="str", default="present", choices=list(STATES)),
        group_name=dict(type="str"),
        registration_url=dict(type="str"),
        account_key=dict(type="str", no_log=True),
        workspace_id=dict(type="str"),
        allow_destructive=dict(type="bool", default=False),
        backup_dir=dict(type="str"),
    )


def _required(args, fields, why):
    missing = [f for f in fields if args.get(f) in (None, "")]
    if missing:
        raise AnsibleActionFail("%s %s required %s" % (" and ".join(missing), "is" if len(missing) == 1 else "are", why))


def checked_options(args, windows):
    """The validated, normalised options; raises AnsibleActionFail naming the field and the form.

    Every state needs the URL and the key (deregistration signs its request too); present and
    reregistered need the group; Linux needs the workspace id (onboarding.py requires -w for both
    --register and --deregister).
    """
    state = args["state"]
    needed = ["registration_url", "account_key"]
    if state != "absent":
        needed.insert(0, "group_name")
    if not windows:
        needed.append("workspace_id")
    _required(args, needed, "for state=%s on a %s host" % (state, "Windows" if windows else "Linux"))
    try:
        url = check_registration_url(args["registration_url"])
        options = {"state": state, "url": url["url"], "account_id": url["account_id"],
                   "key": check_account_key(args["account_key"]),
                   "allow_destructive": bool(args["allow_destructive"])}
        if args.get("group_name") not in (None, ""):
            options["group_name"] = check_group_name(args["group_name"])
        if not windows:
            options["workspace_id"] = check_workspace_id(args["workspace_id"])
        elif args.get("workspace_id") not in (None, ""):
            check_workspace_id(args["workspace_id"])  # checked for the form, not used on Windows
    except ValueError as exc:
        raise AnsibleActionFail(str(exc)) from None
    backup_dir = check_backup_dir(args.get("backup_dir"), windows)
    if backup_dir:
        options["backup_dir"] = backup_dir
    return options


def module_call(windows, options):
    """``(module_name, module_args)`` of the one host call."""
    return (WINDOWS_MODULE if windows else LINUX_MODULE), dict(options)


def digest(outcome):
    """One readable line per action (``register: applied - <msg>``) and per backup."""
    lines = [action_line(item.get("action"), item.get("status"), item.get("msg"))
             for item in outcome.get("actions") or [] if isinstance(item, dict)]
    lines.extend(backup_line(b) for b in outcome.get("backups") or [] if isinstance(b, dict))
    return lines
