# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The repair actions: every remediation the rules name, with what the planner needs to know.

Pure data, no I/O (Python 3.8, stdlib only). A finding names its fix in
``remediation.action``; this catalog says on which platform that action runs, whether it
removes anything (destructive: only with ``allow_destructive``, and only after a backup), in
which order the planner runs it, and which task option it needs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections

LINUX = "linux"
WINDOWS = "windows"

#: ``handled_by``: a known action that another module carries out (it needs secrets this one
#: never takes); hrw_repair refuses it by name and says where to go.
RepairAction = collections.namedtuple(
    "RepairAction", "name platform destructive order description needs handled_by reboot")


def _action(name, platform, order, description, destructive=False, needs=(), handled_by=None, reboot=False):
    return RepairAction(name, platform, destructive, order, description, tuple(needs), handled_by, reboot)


# Order: the prerequisites first, then configuration, then whatever restarts the services, so
# that one restart at the end picks every change up.
_ALL = (
    _action("preserve_update_log", LINUX, 5,
            "Copy omsupdatemgmt.log into the backup directory with a UTC timestamp before the next update run "
            "(update-management-troubleshoot.md). Runs only when named: it fixes no finding."),
    _action("repair_prerequisites", LINUX, 10,
            "Recreate the nxautomation user and groups, the omsagent sudoers drop-in (with "
            "'Defaults:nxautomation !requiretty' where requiretty is on), and the owners and modes of "
            "/home/nxautomation and keyring.gpg as the agent's installer and omsutil.py --initialize set them."),
    _action("fix_proxy_conf", LINUX, 20,
            "Give /etc/opt/microsoft/omsagent/proxy.conf the owner omsagent:omiusers and mode 0640."),
    _action("reinstall_agent", LINUX, 30,
            "Reinstall (upgrade) the OMS Agent for Linux from the installer bundle the user names "
            "(path on the host, or a URL it fetches); the 'specified class does not exist' scenario.",
            needs=("installer",)),
    _action("restart_worker_manager", LINUX, 40,
            "End the worker manager and its workers, then run the DSC consistency check that starts the "
            "manager again (as nxautomation), which starts the workers."),
    _action("restart_agent", LINUX, 50,
            "service_control restart, then the DSC consistency check so that the worker manager starts "
            "without waiting for the next 15-minute run."),
    _action("reregister", LINUX, 90,
            "Deregister and register the worker again; it needs the Automation account key.",
            handled_by="azure_hrw.doctor.hrw_registration (role azure_hrw.doctor.reregister)"),

    _action("enable_tls12", WINDOWS, 10,
            "Enable TLS 1.2 for SCHANNEL (client and server) and .NET (SchUseStrongCrypto, "
            "SystemDefaultTlsVersions). Takes effect after a reboot, which it reports and never does.",
            reboot=True),
    _action("grant_machine_keys_system", WINDOWS, 20,
            "Grant SYSTEM full control of C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys."),
    _action("enable_windows_update_service", WINDOWS, 30,
            "Set the Windows Update service (wuauserv) to start manually and start it."),
    _action("set_auoptions_3", WINDOWS, 31,
            "Set the Windows Update policy AUOptions to 3 (download, notify to install)."),
    _action("remove_always_auto_reboot", WINDOWS, 32,
            "Remove the AlwaysAutoRebootAtScheduledTime(Minutes) Windows Update policy values."),
    _action("remove_hybrid_registration", WINDOWS, 40,
            "Export HKLM\\SOFTWARE\\Microsoft\\HybridRunbookWorker to a .reg file, remove it, restart "
            "HealthService ('Machine is already registered').", destructive=True),
    _action("purge_health_service_state", WINDOWS, 50,
            "Stop HealthService, archive and remove the Health Service State folder, start HealthService "
            "(a corrupt agent cache).", destructive=True),
    _action("restart_health_service", WINDOWS, 60, "Restart the Microsoft Monitoring Agent (HealthService)."),
    _action("start_health_service", WINDOWS, 61, "Start the Microsoft Monitoring Agent (HealthService)."),
)

ACTIONS = collections.OrderedDict((a.name, a) for a in _ALL)

#: The value of ``actions`` that means "every non-destructive fix of a failed finding".
AUTO = "auto"


def names(platform=None):
    """The action names (of one platform), in catalog order."""
    return [a.name for a in _ALL if platform is None or a.platform == platform]


def describe(platform=None):
    """``"name (platform[, destructive])"`` for every action, for error messages."""
    out = []
    for action in _ALL:
        if platform is None or action.platform == platform:
            tags = [action.platform] + (["destructive"] if action.destructive else [])
            out.append("%s (%s)" % (action.name, ", ".join(tags)))
    return ", ".join(out)
