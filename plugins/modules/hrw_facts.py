#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: hrw_facts
short_description: Collect read-only facts about an agent-based (V1) Linux Hybrid Runbook Worker
version_added: 0.1.0
author:
  - azure_hrw.doctor contributors (@azure-hrw)
description:
  - Reads, in one round trip and without changing anything on the host, what the diagnosis rules
    of this collection need to know about an Azure Automation Hybrid Runbook Worker that runs on
    the Log Analytics (OMS) agent for Linux
    (V1, C(nxOMSAutomationWorker)).
  - Reads files and C(/proc) only (no subprocess) to report the host, the OMS agent configuration
    (C(omsadmin.conf)), the worker configuration (C(oms.conf), the system and user C(worker.conf)),
    the agent and worker processes with their roles, and a bounded tail of C(omsconfig.log).
  - Derives the endpoints the worker must reach (agent service, JRDS, Log Analytics) and probes
    them concurrently (DNS, TCP connect to port 443, verified TLS handshake), so the whole probe
    phase takes about one O(probe_timeout) however many endpoints are unreachable.
  - Returns the facts document, schema 1 (see C(docs/adr/0001-facts-document.md)), as the fact
    C(hrw_facts). The module reports what it saw; it never decides health. Use
    M(azure_hrw.doctor.hrw_diagnose) to evaluate the rules on it.
  - A file that does not exist is reported as C(null); a file that exists but cannot be read is
    reported as C(null) and adds an entry to C(errors). The module does not fail on either.
  - Run it with privilege escalation (C(become=true)) to read the agent's files and every
    process's command line; unprivileged runs report what they could read.
options:
  automation_account_id:
    description:
      - The Automation account's id (a GUID). When given, the account-specific endpoints
        (C(<accountId>.jrds.<region>.azure-automation.net) and the like) are derived and probed too.
    type: str
  automation_account_region:
    description:
      - The Automation account's region (for example V(westeurope)), used with
        O(automation_account_id) to derive the account-specific endpoints.
    type: str
extends_documentation_fragment:
  - azure_hrw.doctor.probe
attributes:
  check_mode:
    support: full
    description: The module never changes the host; it behaves the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
  facts:
    support: full
    description: The document is returned as the fact C(hrw_facts).
  platform:
    support: full
    platforms: posix
    description: Linux targets; the Windows collector serves Windows targets.
notes:
  - Targets need Python 3.8 or later; only the standard library is used.
  - For Windows hosts use the Windows collector of this collection; the action plugins choose it.
seealso:
  - name: Troubleshoot agent-based Hybrid Runbook Worker issues
    description: Microsoft's troubleshooting guide this collection implements.
    link: https://learn.microsoft.com/azure/automation/troubleshoot/hybrid-runbook-worker
"""

EXAMPLES = r"""
- name: Collect the Hybrid Runbook Worker facts
  azure_hrw.doctor.hrw_facts:
  become: true

- name: Collect quickly, without any network probe
  azure_hrw.doctor.hrw_facts:
    probe_endpoints: false
  become: true

- name: Allow slow networks more time
  azure_hrw.doctor.hrw_facts:
    probe_timeout: 10
  become: true

- name: Show the endpoints that failed
  ansible.builtin.debug:
    msg: "{{ item.purpose }} {{ item.host }}: {{ item.error_class }}"
  loop: "{{ ansible_facts.hrw_facts.endpoints | selectattr('error_class') | list }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to the host's facts.
  returned: always
  type: dict
  contains:
    hrw_facts:
      description:
        - The facts document, schema 1. Every key is always present; a value that could not be
          read is V(null). Times are UTC ISO-8601 with a trailing C(Z). Paths are absolute.
      returned: always
      type: dict
      contains:
        schema:
          description: Version of the document's layout.
          type: int
          returned: always
          sample: 1
        platform:
          description: V(linux) for this module.
          type: str
          returned: always
          sample: linux
        collector:
          description: Which collector produced the document.
          type: dict
          returned: always
          contains:
            name:
              description: Always V(hrw_facts).
              type: str
              returned: always
              sample: hrw_facts
            version:
              description: Version of the collector.
              type: str
              returned: always
              sample: 0.1.0
            elapsed_ms:
              description: Time the collection took on the host, in milliseconds.
              type: int
              returned: always
              sample: 412
        host:
          description: The host.
          type: dict
          returned: always
          contains:
            hostname:
              description: Host name (C(/proc/sys/kernel/hostname)).
              type: str
              returned: always
              sample: hrw-healthy
            machine_id:
              description:
                - The machine id, from C(/etc/machine-id), else C(/var/lib/dbus/machine-id) when the first is absent;
                  stripped and lower-cased.
                - V(null) when both are absent, the file is empty or says C(uninitialized), or it could not be read.
                - Hosts cloned from one image without generalising it share it (the fleet rule C(Fleet.ClonedMachineCheck)).
              type: str
              returned: always
              sample: b7e3c1a94f2d4e8a9c6b0d5f3e2a1c48
            utc_now:
              description: The host's clock, read once at the start of the collection.
              type: str
              returned: always
              sample: "2026-11-25T20:00:00Z"
            os:
              description: From C(/etc/os-release) (else C(/usr/lib/os-release)); each value V(null) when unknown.
              type: dict
              returned: always
              contains:
                id:
                  description: C(ID).
                  type: str
                  returned: always
                  sample: debian
                version_id:
                  description: C(VERSION_ID).
                  type: str
                  returned: always
                  sample: "12"
                pretty_name:
                  description: C(PRETTY_NAME).
                  type: str
                  returned: always
                  sample: Debian GNU/Linux 12 (bookworm)
            python:
              description: Version of the Python that ran the module.
              type: str
              returned: always
              sample: 3.11.2
            cpu_count:
              description: Number of CPUs.
              type: int
              returned: always
              sample: 2
            memory:
              description: From C(/proc/meminfo); each value V(null) when unknown.
              type: dict
              returned: always
              contains:
                total_kb:
                  description: C(MemTotal) in kB.
                  type: int
                  returned: always
                  sample: 24000000
                available_kb:
                  description: C(MemAvailable) in kB.
                  type: int
                  returned: always
                  sample: 23000000
            load:
              description: The 1, 5 and 15 minute load averages (C(/proc/loadavg)), or V(null).
              type: list
              elements: float
              returned: always
              sample: [0.1, 0.2, 0.3]
        agent:
          description: The Log Analytics (OMS) agent for Linux.
          type: dict
          returned: always
          contains:
            files:
              description:
                - Whether each of exactly these paths exists
                  (C(/etc/opt/microsoft/omsagent/conf/omsadmin.conf),
                  C(/var/opt/microsoft/omsagent/log/omsagent.log),
                  C(/opt/microsoft/omsagent/bin/service_control)); path to boolean.
              type: dict
              returned: always
              sample:
                /etc/opt/microsoft/omsagent/conf/omsadmin.conf: true
                /var/opt/microsoft/omsagent/log/omsagent.log: true
                /opt/microsoft/omsagent/bin/service_control: true
            omsadmin:
              description:
                - The C(KEY=VALUE) lines of C(/etc/opt/microsoft/omsagent/conf/omsadmin.conf)
                  (values verbatim, they may contain C(=)), or V(null) when it could not be read.
              type: dict
              returned: always
              sample:
                WORKSPACE_ID: 0b4a1a9e-5c55-4d0b-9f1a-2f4d8c1e7a11
                AGENT_GUID: 7e1f0c55-2b8e-4c1d-9d8e-0a3b4c5d6e7f
                OMS_ENDPOINT: https://<ws>.oms.opinsights.azure.com/OperationalData.svc/PostJsonDataItems
                DSC_ENDPOINT: https://<ws>.agentsvc.azure-automation.net/Accounts/<ws>/Nodes(AgentId='<agent guid>')
                URL_TLD: opinsights.azure.com
            workspace_id:
              description: C(WORKSPACE_ID) of omsadmin.conf, lower-cased, or V(null).
              type: str
              returned: always
              sample: 0b4a1a9e-5c55-4d0b-9f1a-2f4d8c1e7a11
            workspace_dirs:
              description:
                - Names under C(/var/opt/microsoft/omsagent) that are GUIDs and directories, sorted
                  (more than one means multihoming); V(null) when that directory could not be listed.
              type: list
              elements: str
              returned: always
              sample: [0b4a1a9e-5c55-4d0b-9f1a-2f4d8c1e7a11]
        worker:
          description: The agent-based worker (C(nxOMSAutomationWorker)).
          type: dict
          returned: always
          contains:
            version:
              description: C(/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/VERSION), stripped, or V(null).
              type: str
              returned: always
              sample: 1.7.5.0
            oms_conf:
              description:
                - C(/var/opt/microsoft/omsagent/state/automationworker/oms.conf) as
                  a dictionary of sections, each a dictionary of keys and values, or V(null).
              type: dict
              returned: always
              sample:
                oms-worker-conf:
                  auto_registered_worker_conf_path: /var/opt/microsoft/omsagent/state/automationworker/worker.conf
                oms-global:
                  workspace_id: 0b4a1a9e-5c55-4d0b-9f1a-2f4d8c1e7a11
            system_worker_conf:
              description:
                - The system (Update Management) worker's
                  C(/var/opt/microsoft/omsagent/state/automationworker/worker.conf), same shape, or V(null).
              type: dict
              returned: always
            user_worker_conf:
              description:
                - The user (DIY) worker's C(/home/nxautomation/state/worker.conf), else the legacy
                  C(/var/opt/microsoft/omsagent/<ws>/state/automationworker/diy/worker.conf), same shape, or V(null).
              type: dict
              returned: always
            user_worker_conf_path:
              description: Which user worker.conf was read, or V(null).
              type: str
              returned: always
              sample: /home/nxautomation/state/worker.conf
        processes:
          description:
            - Every process with a role, sorted by pid; V(null) when C(/proc) could not be listed.
            - C(omsagent) an argv item ends with C(/omsagent/bin/omsagent) or contains C(omsagent.conf)
              or C(omsagent.log); C(manager) an item ends with C(/worker/main.py); C(system_worker) an
              item ends with C(hybridworker.py) and its config argument is
              C(/var/opt/microsoft/omsagent[/<ws>]/state/automationworker/worker.conf);
              C(user_worker) the same script with any other config argument.
          type: list
          elements: dict
          returned: always
          contains:
            pid:
              description: Process id.
              type: int
              returned: always
              sample: 123
            user:
              description: Name of the real user (numeric string when the uid has no name; V(null) if unreadable).
              type: str
              returned: always
              sample: nxautomation
            argv:
              description: The command line (C(/proc/<pid>/cmdline)).
              type: list
              elements: str
              returned: always
            role:
              description: One of V(omsagent), V(manager), V(system_worker), V(user_worker).
              type: str
              returned: always
              sample: manager
            workspace_id:
              description: From an argv item C(rworkspace:<guid>), lower-cased, or V(null).
              type: str
              returned: always
            version:
              description: From an argv item C(rversion:<version>), or V(null).
              type: str
              returned: always
              sample: 1.7.5.0
        logs:
          description: Known errors found in the agent's logs.
          type: dict
          returned: always
          contains:
            omsconfig:
              description: C(/var/opt/microsoft/omsconfig/omsconfig.log).
              type: dict
              returned: always
              contains:
                path:
                  description: Path of the log.
                  type: str
                  returned: always
                  sample: /var/opt/microsoft/omsconfig/omsconfig.log
                exists:
                  description: Whether the log exists.
                  type: bool
                  returned: always
                tail_bytes:
                  description: How many bytes of the end of the log were read (at most 1 MiB), or V(null).
                  type: int
                  returned: always
                  sample: 1048576
                matches:
                  description:
                    - Matching lines, at most 20 per pattern (the newest), oldest first (in log order); V(null) when not read.
                    - Pattern V(class_does_not_exist) is the text C(The specified class does not exist).
                    - Pattern V(consistency_check_succeeded) is the text C(Operation PerformRequiredConfigurationChecks completed
                      successfully) (a DSC consistency check that worked); only the newest such line is kept.
                  type: list
                  elements: dict
                  returned: always
                  contains:
                    pattern:
                      description: Name of the pattern.
                      type: str
                      returned: always
                      sample: class_does_not_exist
                    line:
                      description: The log line (cut at 2000 characters).
                      type: str
                      returned: always
        system:
          description:
            - Operating system support data, hardware, package manager state and the update log.
            - The OS identity, memory and load are in RV(ansible_facts.hrw_facts.host) and are not repeated here.
          type: dict
          returned: always
          contains:
            cpu:
              description: CPUs the collector may run on.
              type: dict
              returned: always
              contains:
                usable:
                  description:
                    - Size of the scheduler affinity mask (C(taskset), cpusets limit it), else C(os.cpu_count()).
                  type: int
                  returned: always
                  sample: 2
                online:
                  description: C(os.cpu_count()), or V(null).
                  type: int
                  returned: always
                  sample: 2
                source:
                  description: V(sched_getaffinity) or V(cpu_count).
                  type: str
                  returned: always
            package_manager:
              description: The package manager and its state, read only (no lock is ever taken).
              type: dict
              returned: always
              contains:
                name:
                  description: V(apt), V(dnf), V(yum), V(zypper) (by its files), or V(null).
                  type: str
                  returned: always
                  sample: apt
                locks:
                  description:
                    - Its lock files. apt's are looked up by inode in C(/proc/locks); the others are pid files.
                  type: list
                  elements: dict
                  returned: always
                  contains:
                    path:
                      description: The lock file.
                      type: str
                      returned: always
                      sample: /var/lib/dpkg/lock-frontend
                    kind:
                      description: V(fcntl) or V(pidfile).
                      type: str
                      returned: always
                    exists:
                      description: Whether the file exists (V(null) when it could not be checked).
                      type: bool
                      returned: always
                    held:
                      description: Whether a process holds it (V(null) when it could not be told).
                      type: bool
                      returned: always
                    pid:
                      description: The holder's pid as the host sees it, or V(null).
                      type: int
                      returned: always
                lock_held:
                  description: Whether any lock is held (V(null) when unknown).
                  type: bool
                  returned: always
                interrupted:
                  description: apt only, dpkg journal entries in C(/var/lib/dpkg/updates/) (an interrupted dpkg run); else V(null).
                  type: bool
                  returned: always
                interrupted_evidence:
                  description: The journal entries found (at most 20).
                  type: list
                  elements: str
                  returned: always
            repositories:
              description:
                - Configured repositories, one per scheme, host and port (at most 16), or V(null) when the package
                  manager is unknown. apt reads C(/etc/apt/sources.list) and C(sources.list.d/*.list) and C(*.sources)
                  (deb822); dnf/yum C(/etc/yum.repos.d/*.repo); zypper C(/etc/zypp/repos.d/*.repo).
              type: list
              elements: dict
              returned: always
              contains:
                url:
                  description: The URL as configured.
                  type: str
                  returned: always
                  sample: https://azure.archive.ubuntu.com/ubuntu/
                scheme:
                  description: V(http) or V(https).
                  type: str
                  returned: always
                host:
                  description: Host name, lower-case.
                  type: str
                  returned: always
                port:
                  description: TCP port (443 for https, 80 for http unless given).
                  type: int
                  returned: always
                source:
                  description: The file it was read from.
                  type: str
                  returned: always
                probe:
                  description:
                    - The probe as for RV(ansible_facts.hrw_facts.endpoints) (https with TLS, http by TCP only, C(tls)
                      V(null)), or V(null) when not probed.
                  type: dict
                  returned: always
                  contains:
                    dns:
                      description: Name resolution (C(ok), C(addresses), C(error)).
                      type: dict
                      returned: when the parent is not null
                      contains:
                        ok:
                          description: Whether the name resolved.
                          type: bool
                          returned: when the parent is not null
                        addresses:
                          description: The addresses.
                          type: list
                          elements: str
                          returned: when the parent is not null
                        error:
                          description: The resolver error, or V(null).
                          type: str
                          returned: when the parent is not null
                    tcp:
                      description: TCP connect (C(ok), C(error)), or V(null) when DNS failed.
                      type: dict
                      returned: when the parent is not null
                      contains:
                        ok:
                          description: Whether a connection was established.
                          type: bool
                          returned: when the parent is not null
                        error:
                          description: Per-address errors, or V(null).
                          type: str
                          returned: when the parent is not null
                    tls:
                      description: The verified TLS handshake (https only), or V(null).
                      type: dict
                      returned: when the parent is not null
                      contains:
                        ok:
                          description: Whether the handshake succeeded and the certificate verified.
                          type: bool
                          returned: when the parent is not null
                        error:
                          description: The TLS error, or V(null).
                          type: str
                          returned: when the parent is not null
                        subject:
                          description: Subject of the presented certificate, or V(null).
                          type: str
                          returned: when the parent is not null
                        issuer:
                          description: Issuer of the presented certificate, or V(null).
                          type: str
                          returned: when the parent is not null
                        not_after:
                          description: End of validity of the presented certificate, or V(null).
                          type: str
                          returned: when the parent is not null
                    elapsed_ms:
                      description: Time spent on this probe.
                      type: int
                      returned: when the parent is not null
                    error_class:
                      description: V(null) when reachable, else V(dns), V(refused), V(timeout), V(tls) or V(other).
                      type: str
                      returned: when the parent is not null
            repositories_probed:
              description: Whether the repositories were probed (O(probe_endpoints) and a known package manager).
              type: bool
              returned: always
            update_log:
              description: The Update Management run log C(/var/opt/microsoft/omsagent/run/automationworker/omsupdatemgmt.log).
              type: dict
              returned: always
              contains:
                path:
                  description: Its path.
                  type: str
                  returned: always
                exists:
                  description: Whether it exists (V(null) when it could not be checked).
                  type: bool
                  returned: always
                size_bytes:
                  description: Its size, or V(null).
                  type: int
                  returned: always
                mtime:
                  description: Its last modification (UTC ISO-8601), or V(null).
                  type: str
                  returned: always
                  sample: "2026-11-25T18:30:02Z"
        accounts:
          description:
            - "The users, groups, sudoers entries, gpg, home directory, python3 and worker trees the worker needs"
            - "(read under the root path, never from NSS); V(null) when the collector failed."
          type: dict
          returned: always
          contains:
            users:
              description: "C(nxautomation) and C(omsagent) from C(/etc/passwd) (each V(null) when absent); V(null) when the file is unreadable."
              type: dict
              returned: always
              contains:
                nxautomation:
                  description: "The nxautomation user, or V(null)."
                  type: dict
                  returned: always
                  contains:
                    uid:
                      description: "uid."
                      type: int
                      returned: always
                      sample: 998
                    gid:
                      description: "Primary gid."
                      type: int
                      returned: always
                      sample: 997
                    home:
                      description: "Home directory."
                      type: str
                      returned: always
                      sample: "/home/nxautomation/run"
                    shell:
                      description: "Login shell."
                      type: str
                      returned: always
                      sample: "/bin/bash"
                    primary_group:
                      description: "Name of the primary group (V(null) when C(/etc/group) is unreadable)."
                      type: str
                      returned: always
                      sample: "nxautomation"
                omsagent:
                  description: "The omsagent user, or V(null)."
                  type: dict
                  returned: always
                  contains:
                    uid:
                      description: "uid."
                      type: int
                      returned: always
                      sample: 998
                    gid:
                      description: "Primary gid."
                      type: int
                      returned: always
                      sample: 997
                    home:
                      description: "Home directory."
                      type: str
                      returned: always
                      sample: "/home/nxautomation/run"
                    shell:
                      description: "Login shell."
                      type: str
                      returned: always
                      sample: "/bin/bash"
                    primary_group:
                      description: "Name of the primary group (V(null) when C(/etc/group) is unreadable)."
                      type: str
                      returned: always
                      sample: "nxautomation"
            groups:
              description: "C(omiusers), C(nxautomation), C(omsagent) from C(/etc/group) (each V(null) when absent); V(null) when unreadable."
              type: dict
              returned: always
              contains:
                omiusers:
                  description: "The omiusers group, or V(null)."
                  type: dict
                  returned: always
                  contains:
                    gid:
                      description: "gid."
                      type: int
                      returned: always
                      sample: 996
                    members:
                      description: "Members, including users whose primary group it is, sorted."
                      type: list
                      elements: str
                      returned: always
                      sample: ["nxautomation", "omsagent"]
                nxautomation:
                  description: "The nxautomation group, or V(null)."
                  type: dict
                  returned: always
                  contains:
                    gid:
                      description: "gid."
                      type: int
                      returned: always
                      sample: 996
                    members:
                      description: "Members, including users whose primary group it is, sorted."
                      type: list
                      elements: str
                      returned: always
                      sample: ["nxautomation", "omsagent"]
                omsagent:
                  description: "The omsagent group, or V(null)."
                  type: dict
                  returned: always
                  contains:
                    gid:
                      description: "gid."
                      type: int
                      returned: always
                      sample: 996
                    members:
                      description: "Members, including users whose primary group it is, sorted."
                      type: list
                      elements: str
                      returned: always
                      sample: ["nxautomation", "omsagent"]
            sudoers:
              description: "What sudo reads for nxautomation and omsagent (C(/etc/sudoers) and, when included, C(/etc/sudoers.d))."
              type: dict
              returned: always
              contains:
                sudoers:
                  description: "Owner and mode of C(/etc/sudoers)."
                  type: dict
                  returned: always
                  contains:
                    path:
                      description: "The path checked."
                      type: str
                      returned: always
                      sample: "/etc/sudoers"
                    exists:
                      description: "Whether it exists (following symlinks); V(null) when it could not be checked."
                      type: bool
                      returned: always
                      sample: true
                    type:
                      description: "V(file), V(directory) or V(other); V(null) when missing."
                      type: str
                      returned: always
                      sample: "file"
                    owner:
                      description: "Owner name from the host's C(/etc/passwd) (the uid as a string when unknown)."
                      type: str
                      returned: always
                      sample: "root"
                    group:
                      description: "Group name from the host's C(/etc/group) (the gid as a string when unknown)."
                      type: str
                      returned: always
                      sample: "root"
                    uid:
                      description: "Owner uid."
                      type: int
                      returned: always
                      sample: 0
                    gid:
                      description: "Group gid."
                      type: int
                      returned: always
                      sample: 0
                    mode:
                      description: "Permission bits as four octal digits."
                      type: str
                      returned: always
                      sample: "0440"
                dropin:
                  description: "Owner and mode of C(/etc/sudoers.d/omsagent)."
                  type: dict
                  returned: always
                  contains:
                    path:
                      description: "The path checked."
                      type: str
                      returned: always
                      sample: "/etc/sudoers.d/omsagent"
                    exists:
                      description: "Whether it exists (following symlinks); V(null) when it could not be checked."
                      type: bool
                      returned: always
                      sample: true
                    type:
                      description: "V(file), V(directory) or V(other); V(null) when missing."
                      type: str
                      returned: always
                      sample: "file"
                    owner:
                      description: "Owner name from the host's C(/etc/passwd) (the uid as a string when unknown)."
                      type: str
                      returned: always
                      sample: "root"
                    group:
                      description: "Group name from the host's C(/etc/group) (the gid as a string when unknown)."
                      type: str
                      returned: always
                      sample: "root"
                    uid:
                      description: "Owner uid."
                      type: int
                      returned: always
                      sample: 0
                    gid:
                      description: "Group gid."
                      type: int
                      returned: always
                      sample: 0
                    mode:
                      description: "Permission bits as four octal digits."
                      type: str
                      returned: always
                      sample: "0440"
                includedir:
                  description: "C(/etc/sudoers) has C(#includedir) or C(@includedir /etc/sudoers.d); V(null) when unreadable."
                  type: bool
                  returned: always
                  sample: true
                block_in_sudoers:
                  description: "C(/etc/sudoers) has the C(# Begin sudo configuration for omsagent) block."
                  type: bool
                  returned: always
                  sample: false
                entries:
                  description: "Lines that name nxautomation or omsagent in the files sudo reads (and in the drop-in when it is not included)."
                  type: list
                  elements: dict
                  returned: always
                  contains:
                    file:
                      description: "Sudoers file."
                      type: str
                      returned: always
                      sample: "/etc/sudoers.d/omsagent"
                    line:
                      description: "The line (continuations joined, comment removed)."
                      type: str
                      returned: always
                      sample: "nxautomation ALL=(ALL) NOPASSWD: ALL"
                    in_block:
                      description: "Whether it is between the C(# Begin/End sudo configuration for omsagent) markers."
                      type: bool
                      returned: always
                      sample: false
                nxautomation_nopasswd_all:
                  description: "A C(nxautomation ... NOPASSWD: ALL) line is read by sudo."
                  type: bool
                  returned: always
                  sample: true
                nxautomation_requiretty_exempt:
                  description: "A C(Defaults:nxautomation !requiretty) line is read by sudo."
                  type: bool
                  returned: always
                  sample: true
                global_requiretty:
                  description: "Global C(Defaults requiretty) lines read by sudo (empty when none)."
                  type: list
                  elements: dict
                  returned: always
                  contains:
                    file:
                      description: "Sudoers file."
                      type: str
                      returned: always
                      sample: "/etc/sudoers"
                    line:
                      description: "The line."
                      type: str
                      returned: always
                      sample: "Defaults requiretty"
            gpg:
              description: "gpg and the runbook-signing keyring of each worker."
              type: dict
              returned: always
              contains:
                binaries:
                  description: "C(gpg)/C(gpg2) found executable in the standard C(PATH) directories."
                  type: list
                  elements: str
                  returned: always
                  sample: ["/usr/bin/gpg"]
                keyrings:
                  description: "One per worker.conf read (user first, then system)."
                  type: list
                  elements: dict
                  returned: always
                  contains:
                    worker:
                      description: "V(user) or V(system)."
                      type: str
                      returned: always
                      sample: "user"
                    path:
                      description: "C([worker-optional] gpg_public_keyring_path), else the default C(/etc/opt/omi/conf/omsconfig/keyring.gpg)."
                      type: str
                      returned: always
                      sample: "/etc/opt/omi/conf/omsconfig/keyring.gpg"
                    enforce_runbook_signature_validation:
                      description: "The setting as a boolean (true when absent, as the worker does)."
                      type: bool
                      returned: always
                      sample: false
                    enforce_setting:
                      description: "The setting verbatim, or V(null) when absent."
                      type: str
                      returned: always
                      sample: "False"
                    file:
                      description: "Owner and mode of the keyring."
                      type: dict
                      returned: always
                      contains:
                        path:
                          description: "The path checked."
                          type: str
                          returned: always
                          sample: "/etc/opt/omi/conf/omsconfig/keyring.gpg"
                        exists:
                          description: "Whether it exists (following symlinks); V(null) when it could not be checked."
                          type: bool
                          returned: always
                          sample: true
                        type:
                          description: "V(file), V(directory) or V(other); V(null) when missing."
                          type: str
                          returned: always
                          sample: "file"
                        owner:
                          description: "Owner name from the host's C(/etc/passwd) (the uid as a string when unknown)."
                          type: str
                          returned: always
                          sample: "root"
                        group:
                          description: "Group name from the host's C(/etc/group) (the gid as a string when unknown)."
                          type: str
                          returned: always
                          sample: "root"
                        uid:
                          description: "Owner uid."
                          type: int
                          returned: always
                          sample: 0
                        gid:
                          description: "Group gid."
                          type: int
                          returned: always
                          sample: 0
                        mode:
                          description: "Permission bits as four octal digits."
                          type: str
                          returned: always
                          sample: "0440"
                    nxautomation_can_read:
                      description: "Whether nxautomation can read it, by mode bits, its groups and the parent directories; V(null) when unknown."
                      type: bool
                      returned: always
                      sample: true
            home:
              description: "Owner and mode of C(/home/nxautomation) and its C(run) and C(state) directories."
              type: dict
              returned: always
              contains:
                home:
                  description: "C(/home/nxautomation)."
                  type: dict
                  returned: always
                  contains:
                    path:
                      description: "The path checked."
                      type: str
                      returned: always
                      sample: "/home/nxautomation"
                    exists:
                      description: "Whether it exists (following symlinks); V(null) when it could not be checked."
                      type: bool
                      returned: always
                      sample: true
                    type:
                      description: "V(file), V(directory) or V(other); V(null) when missing."
                      type: str
                      returned: always
                      sample: "file"
                    owner:
                      description: "Owner name from the host's C(/etc/passwd) (the uid as a string when unknown)."
                      type: str
                      returned: always
                      sample: "root"
                    group:
                      description: "Group name from the host's C(/etc/group) (the gid as a string when unknown)."
                      type: str
                      returned: always
                      sample: "root"
                    uid:
                      description: "Owner uid."
                      type: int
                      returned: always
                      sample: 0
                    gid:
                      description: "Group gid."
                      type: int
                      returned: always
                      sample: 0
                    mode:
                      description: "Permission bits as four octal digits."
                      type: str
                      returned: always
                      sample: "0440"
                run:
                  description: "C(/home/nxautomation/run)."
                  type: dict
                  returned: always
                  contains:
                    path:
                      description: "The path checked."
                      type: str
                      returned: always
                      sample: "/home/nxautomation/run"
                    exists:
                      description: "Whether it exists (following symlinks); V(null) when it could not be checked."
                      type: bool
                      returned: always
                      sample: true
                    type:
                      description: "V(file), V(directory) or V(other); V(null) when missing."
                      type: str
                      returned: always
                      sample: "file"
                    owner:
                      description: "Owner name from the host's C(/etc/passwd) (the uid as a string when unknown)."
                      type: str
                      returned: always
                      sample: "root"
                    group:
                      description: "Group name from the host's C(/etc/group) (the gid as a string when unknown)."
                      type: str
                      returned: always
                      sample: "root"
                    uid:
                      description: "Owner uid."
                      type: int
                      returned: always
                      sample: 0
                    gid:
                      description: "Group gid."
                      type: int
                      returned: always
                      sample: 0
                    mode:
                      description: "Permission bits as four octal digits."
                      type: str
                      returned: always
                      sample: "0440"
                state:
                  description: "C(/home/nxautomation/state)."
                  type: dict
                  returned: always
                  contains:
                    path:
                      description: "The path checked."
                      type: str
                      returned: always
                      sample: "/home/nxautomation/state"
                    exists:
                      description: "Whether it exists (following symlinks); V(null) when it could not be checked."
                      type: bool
                      returned: always
                      sample: true
                    type:
                      description: "V(file), V(directory) or V(other); V(null) when missing."
                      type: str
                      returned: always
                      sample: "file"
                    owner:
                      description: "Owner name from the host's C(/etc/passwd) (the uid as a string when unknown)."
                      type: str
                      returned: always
                      sample: "root"
                    group:
                      description: "Group name from the host's C(/etc/group) (the gid as a string when unknown)."
                      type: str
                      returned: always
                      sample: "root"
                    uid:
                      description: "Owner uid."
                      type: int
                      returned: always
                      sample: 0
                    gid:
                      description: "Group gid."
                      type: int
                      returned: always
                      sample: 0
                    mode:
                      description: "Permission bits as four octal digits."
                      type: str
                      returned: always
                      sample: "0440"
            python3:
              description: "C(/usr/bin/python3), which the 3.x worker runs on."
              type: dict
              returned: always
              contains:
                path:
                  description: "Always C(/usr/bin/python3)."
                  type: str
                  returned: always
                  sample: "/usr/bin/python3"
                exists:
                  description: "The path exists (a dangling symlink counts)."
                  type: bool
                  returned: always
                  sample: true
                is_file:
                  description: "It is (or points to) a regular file."
                  type: bool
                  returned: always
                  sample: true
                executable:
                  description: "It is a regular file with an execute bit."
                  type: bool
                  returned: always
                  sample: true
                link_target:
                  description: "The symlink target, or V(null)."
                  type: str
                  returned: always
                  sample: "python3.11"
            worker_trees:
              description: "The two nxOMSAutomationWorker trees."
              type: dict
              returned: always
              contains:
                py3:
                  description: "The Python 3 tree C(automationworker/3.x/worker)."
                  type: dict
                  returned: always
                  contains:
                    path:
                      description: "The tree's directory."
                      type: str
                      returned: always
                      sample: "/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/DSCResources/.../automationworker/3.x/worker"
                    files:
                      description: "C(main.py), C(hybridworker.py), C(configuration.py) to whether each is a file."
                      type: dict
                      returned: always
                      sample: {"main.py": true, "hybridworker.py": true, "configuration.py": true}
                    complete:
                      description: "All three files are there."
                      type: bool
                      returned: always
                      sample: true
                py2:
                  description: "The Python 2 tree C(automationworker/worker)."
                  type: dict
                  returned: always
                  contains:
                    path:
                      description: "The tree's directory."
                      type: str
                      returned: always
                      sample: "/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/DSCResources/.../automationworker/worker"
                    files:
                      description: "C(main.py), C(hybridworker.py), C(configuration.py) to whether each is a file."
                      type: dict
                      returned: always
                      sample: {"main.py": true, "hybridworker.py": true, "configuration.py": true}
                    complete:
                      description: "All three files are there."
                      type: bool
                      returned: always
                      sample: true

        worker_state:
          description:
            - The system and user worker's state beyond their configuration files (collector C(linux_worker_state.py)).
            - V(null) when the collector failed (with an entry in C(errors)).
          type: dict
          returned: always
          contains:
            current_mof:
              description: The nxOMSAutomationWorker settings of C(/etc/opt/omi/conf/omsconfig/configuration/Current.mof).
              type: dict
              returned: always
              contains:
                path:
                  description: Path of the MOF.
                  type: str
                  returned: always
                  sample: /etc/opt/omi/conf/omsconfig/configuration/Current.mof
                exists:
                  description: Whether the file exists.
                  type: bool
                  returned: always
                encoding:
                  description: V(utf-16-le), V(utf-16-be) (BOM or NUL bytes) or V(utf-8); V(null) when not read.
                  type: str
                  returned: always
                  sample: utf-16-le
                resource_present:
                  description: Whether the MOF has an C(instance of MSFT_nxOMSAutomationWorkerResource).
                  type: bool
                  returned: always
                resource_settings:
                  description: The parsed ResourceSettings JSON (a list of settings objects), or V(null).
                  type: raw
                  returned: always
                workspace_id:
                  description: C(WorkspaceId) of the settings (the entry of the agent's workspace, else the first), lower-cased, or V(null).
                  type: str
                  returned: always
                agent_svc_zone:
                  description: C(AzureDnsAgentSvcZone), or V(null).
                  type: str
                  returned: always
                  sample: agentsvc.azure-automation.net
                updates_enabled:
                  description: C(Solutions.Updates.Enabled), or V(null) when absent.
                  type: bool
                  returned: always
                automation_enabled:
                  description: C(Solutions.AzureAutomation.Enabled), or V(null) when absent.
                  type: bool
                  returned: always
            agent_certificate:
              description:
                - The agent certificate C(/etc/opt/microsoft/omsagent/certs/oms.crt).
              type: dict
              returned: always
              contains:
                path:
                  description: Path of the certificate.
                  type: str
                  returned: always
                  sample: /etc/opt/microsoft/omsagent/certs/oms.crt
                exists:
                  description: Whether the file exists.
                  type: bool
                  returned: always
                thumbprint:
                  description: SHA1 of the DER certificate, upper-case hex (as C(jrds_cert_thumbprint)), or V(null) when not read.
                  type: str
                  returned: always
                  sample: 3F8A9C1D2E4B5A6C7D8E9F0A1B2C3D4E5F6A7B8C
                subject:
                  description: Subject, C(CN=x, O=y) in certificate order, or V(null).
                  type: str
                  returned: always
                issuer:
                  description: Issuer, or V(null).
                  type: str
                  returned: always
                not_after:
                  description: End of validity, UTC ISO-8601, or V(null).
                  type: str
                  returned: always
                  sample: "2027-06-01T10:00:00Z"
            system_worker_cert_path:
              description: C([worker-required] jrds_cert_path) of the system worker.conf, or V(null).
              type: str
              returned: always
            user_worker_certificate:
              description:
                - The user (DIY) worker's certificate (C([worker-required] jrds_cert_path) of its worker.conf); V(null) when no DIY worker is registered.
              type: dict
              returned: always
              contains:
                path:
                  description: Path of the certificate.
                  type: str
                  returned: always
                  sample: /home/nxautomation/state/worker_diy.crt
                exists:
                  description: Whether the file exists.
                  type: bool
                  returned: always
                thumbprint:
                  description: SHA1 of the DER certificate, upper-case hex (as C(jrds_cert_thumbprint)), or V(null) when not read.
                  type: str
                  returned: always
                  sample: 3F8A9C1D2E4B5A6C7D8E9F0A1B2C3D4E5F6A7B8C
                subject:
                  description: Subject, C(CN=x, O=y) in certificate order, or V(null).
                  type: str
                  returned: always
                issuer:
                  description: Issuer, or V(null).
                  type: str
                  returned: always
                not_after:
                  description: End of validity, UTC ISO-8601, or V(null).
                  type: str
                  returned: always
                  sample: "2027-06-01T10:00:00Z"
            expected_oms_conf:
              description: The oms.conf values the agent and Current.mof imply (what nxOMSAutomationWorker would write).
              type: dict
              returned: always
              contains:
                oms-worker-conf:
                  description: Expected C([oms-worker-conf]) keys.
                  type: dict
                  returned: always
                  contains:
                    auto_registered_worker_conf_path:
                      description: The system worker.conf.
                      type: str
                      returned: always
                    manually_registered_worker_conf_path:
                      description: The DIY worker.conf.
                      type: str
                      returned: always
                oms-global:
                  description: Expected C([oms-global]) keys.
                  type: dict
                  returned: always
                  contains:
                    workspace_id:
                      description: The MOF's WorkspaceId, else the agent's.
                      type: str
                      returned: always
                    resource_version:
                      description: The installed worker version.
                      type: str
                      returned: always
            logs:
              description: Bounded tails of the worker logs with their recent error lines.
              type: dict
              returned: always
              contains:
                worker:
                  description: C(/var/opt/microsoft/omsagent/run/automationworker/worker.log).
                  type: dict
                  returned: always
                  contains:
                    path:
                      description: Path of the log.
                      type: str
                      returned: always
                      sample: /var/opt/microsoft/omsagent/run/automationworker/worker.log
                    exists:
                      description: Whether the log exists.
                      type: bool
                      returned: always
                    tail_bytes:
                      description: How many bytes of the end of the log were read (at most 256 KiB), or V(null).
                      type: int
                      returned: always
                    error_count:
                      description: How many error lines the tail holds, or V(null) when not read.
                      type: int
                      returned: always
                    error_lines:
                      description:
                        - The newest error lines (C(ERROR), C(CRITICAL), C(FATAL), a traceback, C(...Exception:) or C(...Error:)).
                        - At most 20, oldest first, each cut at 2000 characters; V(null) when not read.
                      type: list
                      elements: str
                      returned: always
                    last_line:
                      description: The last non-empty line of the tail, or V(null).
                      type: str
                      returned: always
                resource:
                  description: C(/var/opt/microsoft/omsagent/log/nxOMSAutomationWorker.log).
                  type: dict
                  returned: always
                  contains:
                    path:
                      description: Path of the log.
                      type: str
                      returned: always
                      sample: /var/opt/microsoft/omsagent/log/nxOMSAutomationWorker.log
                    exists:
                      description: Whether the log exists.
                      type: bool
                      returned: always
                    tail_bytes:
                      description: How many bytes of the end of the log were read (at most 256 KiB), or V(null).
                      type: int
                      returned: always
                    error_count:
                      description: How many error lines the tail holds, or V(null) when not read.
                      type: int
                      returned: always
                    error_lines:
                      description:
                        - The newest error lines (C(ERROR), C(CRITICAL), C(FATAL), a traceback, C(...Exception:) or C(...Error:)).
                        - At most 20, oldest first, each cut at 2000 characters; V(null) when not read.
                      type: list
                      elements: str
                      returned: always
                    last_line:
                      description: The last non-empty line of the tail, or V(null).
                      type: str
                      returned: always
        network:
          description:
            - The agent's proxy, Azure VM detection and IMDS (ADR 0001, C(network)).
          type: dict
          returned: always
          contains:
            proxy:
              description:
                - The agent's proxy from C(/etc/opt/microsoft/omsagent/proxy.conf) (preferred) or
                  C(/etc/opt/microsoft/omsagent/conf/proxy.conf). The password is never returned.
              type: dict
              returned: always
              contains:
                configured:
                  description: Whether a non-empty proxy.conf was read.
                  type: bool
                  returned: always
                path:
                  description: The proxy.conf that was read, or V(null) when none exists.
                  type: str
                  returned: always
                  sample: /etc/opt/microsoft/omsagent/proxy.conf
                files:
                  description: Each candidate path -> C({exists, owner, group, mode}) (mode as 4 octal digits).
                  type: dict
                  returned: always
                scheme:
                  description: The protocol (C(http) when none is written), or V(null).
                  type: str
                  returned: always
                  sample: http
                host:
                  description: The proxy host, lower-case, or V(null).
                  type: str
                  returned: always
                  sample: proxy.contoso.com
                port:
                  description: The proxy port (80 for http, 443 for https when none is written), or V(null).
                  type: int
                  returned: always
                  sample: 3128
                user:
                  description: The proxy user name, or V(null). The password is never returned.
                  type: str
                  returned: always
                has_credentials:
                  description: Whether proxy.conf holds a user (and password).
                  type: bool
                  returned: always
                url:
                  description: C(scheme://[user@]host:port), without the password, or V(null).
                  type: str
                  returned: always
                  sample: http://proxy.contoso.com:3128
                error:
                  description: Why the setting is not usable (unparsable, empty, unreadable), or V(null).
                  type: str
                  returned: always
                omsagent_can_read:
                  description: Whether the omsagent user can read the proxy.conf read, from its owner, group
                    and mode; V(null) when unknown.
                  type: bool
                  returned: always
            azure_vm:
              description: Azure VM detection from the DMI files (no dmidecode).
              type: dict
              returned: always
              contains:
                detected:
                  description:
                    - V(true) when C(/sys/class/dmi/id/chassis_asset_tag) is C(7783-7084-3265-9085-8269-3286-77),
                      V(false) when it is something else, V(null) when it could not be read.
                  type: bool
                  returned: always
                source:
                  description: The file the decision comes from.
                  type: str
                  returned: always
                chassis_asset_tag:
                  description: The chassis asset tag, or V(null).
                  type: str
                  returned: always
                sys_vendor:
                  description: C(/sys/class/dmi/id/sys_vendor), or V(null).
                  type: str
                  returned: always
                  sample: Microsoft Corporation
                product_name:
                  description: C(/sys/class/dmi/id/product_name), or V(null).
                  type: str
                  returned: always
                  sample: Virtual Machine
            imds:
              description:
                - The instance metadata service, asked directly (never through a proxy) with a bounded
                  timeout, only on a detected Azure VM and only when probing is on.
              type: dict
              returned: always
              contains:
                probed:
                  description: Whether a request was sent.
                  type: bool
                  returned: always
                reason:
                  description: Why not, when not probed (e.g. C(not an Azure VM)), else V(null).
                  type: str
                  returned: always
                url:
                  description: The URL asked, or V(null).
                  type: str
                  returned: always
                ok:
                  description: Whether it answered 200, or V(null) when not probed.
                  type: bool
                  returned: always
                status:
                  description: The HTTP status, or V(null).
                  type: int
                  returned: always
                error:
                  description: The error, or V(null).
                  type: str
                  returned: always
                elapsed_ms:
                  description: Time spent, or V(null).
                  type: int
                  returned: always
            automation_account:
              description: The O(automation_account_id) and O(automation_account_region) given, or V(null) each.
              type: dict
              returned: always
              contains:
                id:
                  description: The Automation account id, or V(null).
                  type: str
                  returned: always
                region:
                  description: Its region, or V(null).
                  type: str
                  returned: always
        endpoints:
          description:
            - The endpoints the worker must reach and, when probed, what was seen.
            - C(agentsvc) is the host of C(DSC_ENDPOINT) (else of any omsadmin.conf value containing
              C(agentsvc) or C(agentservice), else C(<ws>.agentsvc.azure-automation.<net|us|cn>));
              C(jrds) the host of C([worker-required] jrds_base_uri) of the system worker.conf, else
              of the user worker.conf; C(log_analytics) the official troubleshooter's list for the
              cloud (public, US Government C(.us), China C(.cn)).
          type: list
          elements: dict
          returned: always
          contains:
            purpose:
              description: One of V(agentsvc), V(jrds), V(log_analytics), V(jrds_user) (the user worker's
                JRDS), V(account_agentsvc), V(account_jrds) (from the account id and region), V(internet)
                (bing.com, Microsoft's internet check).
              type: str
              returned: always
              sample: agentsvc
            index:
              description: 1..n within a purpose (the official C(LogAnalyticsConnectivityCheck<index>)).
              type: int
              returned: always
              sample: 1
            host:
              description: Host name, lower-case.
              type: str
              returned: always
              sample: 0b4a1a9e-5c55-4d0b-9f1a-2f4d8c1e7a11.agentsvc.azure-automation.net
            port:
              description: TCP port.
              type: int
              returned: always
              sample: 443
            source:
              description: Where the host name came from.
              type: str
              returned: always
              sample: omsadmin.conf DSC_ENDPOINT
            dns:
              description: Name resolution, or V(null) when not probed.
              type: dict
              returned: always
              contains:
                ok:
                  description: Whether the name resolved.
                  type: bool
                  returned: when the parent is not null
                addresses:
                  description: The addresses, in resolver order.
                  type: list
                  returned: when the parent is not null
                  elements: str
                error:
                  description: The resolver error, or V(null).
                  type: str
                  returned: when the parent is not null
            tcp:
              description: TCP connect, or V(null) when not probed or not attempted (DNS failed).
              type: dict
              returned: always
              contains:
                ok:
                  description: Whether a connection was established.
                  type: bool
                  returned: when the parent is not null
                error:
                  description: Per-address errors, or V(null).
                  type: str
                  returned: when the parent is not null
            tls:
              description:
                - TLS handshake with certificate and host name verification, or V(null) when TCP failed
                  or not probed.
              type: dict
              returned: always
              contains:
                ok:
                  description: Whether the handshake succeeded and the certificate verified.
                  type: bool
                  returned: when the parent is not null
                error:
                  description: The TLS error (e.g. the certificate verification failure), or V(null).
                  type: str
                  returned: when the parent is not null
                subject:
                  description:
                    - Subject of the certificate the peer presented (C(CN=..., O=...), certificate order), or V(null).
                    - When verification failed it comes from a second, unverified handshake, so a
                      TLS-inspecting proxy shows up by its own names.
                  type: str
                  returned: when the parent is not null
                issuer:
                  description: Issuer of the presented certificate, or V(null).
                  type: str
                  returned: when the parent is not null
                not_after:
                  description: End of validity of the presented certificate, or V(null).
                  type: str
                  returned: when the parent is not null
                  sample: "2027-06-27T23:59:59Z"
            elapsed_ms:
              description: Time spent probing this endpoint, or V(null) when not probed.
              type: int
              returned: always
              sample: 12
            error_class:
              description:
                - V(null) when TCP and TLS succeeded (or when not probed), else one of V(dns),
                  V(refused), V(timeout), V(tls), V(proxy) (the proxy did not open the tunnel), V(other).
              type: str
              returned: always
            direct:
              description:
                - The probe result of the direct path (C({dns, tcp, tls, elapsed_ms, error_class}) as
                  above), or V(null) when not probed.
                - The top-level probe keys are the path the agent uses, through its proxy when proxy.conf
                  configures one, else direct.
              type: dict
              returned: always
              contains: &probe_result
                dns:
                  description: As the endpoint's C(dns).
                  type: dict
                  returned: when the parent is not null
                  contains:
                    ok:
                      description: Whether the name (of the proxy, through a proxy) resolved.
                      type: bool
                      returned: always
                    addresses:
                      description: The addresses.
                      type: list
                      elements: str
                      returned: always
                    error:
                      description: The resolver error, or V(null).
                      type: str
                      returned: always
                tcp:
                  description: As the endpoint's C(tcp) (to the proxy, through a proxy).
                  type: dict
                  returned: when the parent is not null
                  contains:
                    ok:
                      description: Whether a connection was established.
                      type: bool
                      returned: always
                    error:
                      description: The errors, or V(null).
                      type: str
                      returned: always
                tls:
                  description: As the endpoint's C(tls).
                  type: dict
                  returned: when the parent is not null
                  contains:
                    ok:
                      description: Whether the handshake succeeded and the certificate verified.
                      type: bool
                      returned: always
                    error:
                      description: The TLS error, or V(null).
                      type: str
                      returned: always
                    subject:
                      description: Subject of the presented certificate, or V(null).
                      type: str
                      returned: always
                    issuer:
                      description: Issuer of the presented certificate (a TLS-intercepting proxy's own CA), or V(null).
                      type: str
                      returned: always
                    not_after:
                      description: End of validity of the presented certificate, or V(null).
                      type: str
                      returned: always
                elapsed_ms:
                  description: Time spent.
                  type: int
                  returned: when the parent is not null
                error_class:
                  description: As the endpoint's C(error_class).
                  type: str
                  returned: when the parent is not null
                proxy:
                  description: Through a proxy only, the CONNECT step (never the user or password).
                  type: dict
                  returned: in C(via_proxy)
                  contains:
                    host:
                      description: The proxy host.
                      type: str
                      returned: always
                    port:
                      description: The proxy port.
                      type: int
                      returned: always
                    ok:
                      description: Whether the proxy opened the tunnel (2xx), or V(null) when not reached.
                      type: bool
                      returned: always
                    status:
                      description: The proxy's HTTP status to CONNECT, or V(null).
                      type: int
                      returned: always
                    error:
                      description: Why the tunnel was not opened, or V(null).
                      type: str
                      returned: always
            via_proxy:
              description: The probe result through the agent's proxy (HTTP CONNECT), or V(null) when no
                proxy is configured or not probed. Same keys as C(direct), plus C(proxy).
              type: dict
              returned: always
              contains: *probe_result
        endpoint_errors:
          description: Endpoints that could not be derived.
          type: list
          elements: dict
          returned: always
          contains:
            purpose:
              description: The purpose of the missing endpoint.
              type: str
              returned: always
              sample: jrds
            reason:
              description: Why it could not be derived.
              type: str
              returned: always
              sample: no jrds_base_uri in worker.conf (system worker.conf)
        errors:
          description: Non-fatal collector errors (files that exist but could not be read, ...).
          type: list
          elements: dict
          returned: always
          contains:
            where:
              description: The part of the document affected.
              type: str
              returned: always
              sample: logs.omsconfig
            error:
              description: The error.
              type: str
              returned: always
              sample: "PermissionError: [Errno 13] Permission denied: '/var/opt/microsoft/omsconfig/omsconfig.log'"
"""

import math

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.linux_facts import collect

_MAX_PROBE_TIMEOUT = 60.0


def _run_module():
    module = AnsibleModule(
        argument_spec=dict(
            probe_timeout=dict(type="float", default=3.0),
            probe_endpoints=dict(type="bool", default=True),
            automation_account_id=dict(type="str"),
            automation_account_region=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    timeout = module.params["probe_timeout"]
    if math.isnan(timeout) or not 0 < timeout <= _MAX_PROBE_TIMEOUT:
        module.fail_json(
            msg="probe_timeout must be a number of seconds greater than 0 and at most %g, got %r"
                % (_MAX_PROBE_TIMEOUT, timeout))
    account = {
        "id": module.params["automation_account_id"],
        "region": module.params["automation_account_region"],
    }
    facts = collect(probe_timeout=timeout, probe_endpoints=module.params["probe_endpoints"], account=account)
    module.exit_json(changed=False, ansible_facts={"hrw_facts": facts})


def main():
    _run_module()


if __name__ == "__main__":
    main()
