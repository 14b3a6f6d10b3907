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
  probe_timeout:
    description:
      - Seconds allowed for the whole probe phase (DNS, TCP and TLS of all endpoints,
        which run concurrently). An endpoint still unanswered at the deadline is reported with
        C(error_class=timeout).
      - Must be greater than 0 and at most 60.
    type: float
    default: 3.0
  probe_endpoints:
    description:
      - Probe the derived endpoints.
      - When V(false), the endpoints are still derived and returned, with C(dns), C(tcp), C(tls),
        C(elapsed_ms) and C(error_class) set to C(null); no network traffic is sent.
    type: bool
    default: true
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
                    - Matching lines, at most 20 per pattern (the newest), oldest first; V(null) when not read.
                    - Pattern V(class_does_not_exist) is the text C(The specified class does not exist).
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
          type: dict
          returned: always
          contains: {}
        accounts:
          description:
            - The users, groups, sudoers entries, gpg and home directory the worker needs.
          type: dict
          returned: always
          contains: {}
        worker_state:
          description:
            - The system and user worker's state beyond their configuration files.
          type: dict
          returned: always
          contains: {}
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
