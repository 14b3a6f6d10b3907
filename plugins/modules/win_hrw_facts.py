#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the module is win_hrw_facts.ps1 (PowerShell, Ansible.Basic).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: win_hrw_facts
short_description: Collect read-only facts about a Windows Hybrid Runbook Worker
version_added: 0.1.0
author:
  - azure_hrw.doctor contributors (@azure-hrw)
description:
  - Reads, in one round trip, what the Windows diagnosis rules of this collection need to know
    about an Azure Automation Hybrid Runbook Worker, both the agent-based (V1) worker on the
    Microsoft Monitoring Agent and the extension-based (V2) worker.
  - Read-only means the module itself writes nothing on the host - no file, no temporary file,
    no registry value, no service or ACL change; registry keys and the certificate store are
    opened read-only. The only write is not the module's - Ansible.Basic, which every Ansible
    Windows module runs on, logs an "Invoked with" entry to the Application event log (and on
    first use may register the C(Ansible) event source there).
  - Reports the host (OS, Windows PowerShell, .NET, cores, memory, CPU load, UTC clock), the
    C(HealthService), C(wuauserv) and C(HybridWorkerService) services, the agent's version,
    workspaces (C(AgentConfigManager.MgmtSvcCfg), else the registry C(Management Groups)) and
    its own proxy, the C(HKLM\SOFTWARE\Microsoft\HybridRunbookWorker) registration in all its
    layouts, the C(AzureAutomation) version folders, the C(Health Service State) folder, bounded
    event-log queries (Operations Manager, Microsoft-SMA, Windows Update), the SCHANNEL and .NET
    TLS settings, the Windows Update policy, the C(MachineKeys) and C(RSA) folder ACLs, the
    WinHTTP proxy, Azure VM detection and IMDS, and an optional Run As certificate.
  - Probes the endpoints it is given (see O(endpoints)) concurrently (DNS, TCP connect, TLS 1.2
    handshake with the presented certificate), directly and, when the agent has a proxy, through
    it with HTTP CONNECT; the whole probe phase is bounded by one O(probe_timeout).
  - Returns the Windows facts document, schema 1 (see C(docs/adr/0002-windows-facts.md)), as the
    fact C(hrw_facts). The module reports what it saw; it never decides health. Use
    M(azure_hrw.doctor.hrw_diagnose) to evaluate the rules on it.
  - Every key of the document is always present. A value that could not be read is V(null) and
    adds an entry to C(errors); the module does not fail because one read failed.
  - Never reads the workspace key or a proxy password; the proxy is reported without credentials
    and with C(has_credentials) only.
options:
  probe_endpoints:
    description:
      - Probe the endpoints and IMDS.
      - When V(false), the endpoints are still returned, with C(dns), C(tcp), C(tls),
        C(elapsed_ms), C(error_class), C(direct) and C(via_proxy) set to V(null) (as the Linux
        collector does), and C(network.imds.probed) is V(false); no network traffic is sent.
  endpoints:
    description:
      - The endpoints to probe, derived on the controller by the action plugin.
      - An entry whose O(endpoints[].host) contains V({workspace_id}) gets the agent's workspace
        id (C(agent.workspace_id)); when the agent has none or several, the entry is reported
        in C(endpoint_errors) instead.
    type: list
    elements: dict
    suboptions:
      purpose:
        description: What the endpoint is for (V(agentsvc), V(jrds), V(log_analytics), ...).
        type: str
        required: true
      index:
        description: Position of the endpoint within its purpose, from 1.
        type: int
        default: 1
      host:
        description: Host name, possibly with the placeholder V({workspace_id}).
        type: str
        required: true
      port:
        description: TCP port.
        type: int
        default: 443
      source:
        description: Where the host name came from (shown in findings).
        type: str
  automation_account_id:
    description: The Automation account's id, echoed in C(network.automation_account.id).
    type: str
  automation_account_region:
    description: The Automation account's region, echoed in C(network.automation_account.region).
    type: str
  run_as_certificate_thumbprint:
    description:
      - Thumbprint of the Run As certificate to look up in C(Cert:\LocalMachine\My). Spaces and
        invisible characters copied from the certificate dialog are ignored.
      - When not given, C(run_as_certificate) is V(null).
    type: str
  window_hours:
    description:
      - How many hours back the event-log queries look (Operations Manager 4502, Microsoft-SMA,
        Windows Update). Event 1210 has no window (it is logged when the agent starts).
      - From 1 to 8760.
    type: int
    default: 24
  max_events:
    description:
      - At most this many events are returned per query. The process-exit messages are looked
        for in at most ten times as many Microsoft-SMA events of the window, and never in more
        than the newest 5000 (every scanned message is rendered, which is slow), whatever this
        value.
      - From 1 to 10000.
    type: int
    default: 50
  max_files:
    description:
      - The walk of the C(Health Service State) folder stops after this many files and sets
        C(truncated) (size and count are then lower bounds).
      - From 1 to 10000000.
    type: int
    default: 20000
extends_documentation_fragment:
  - azure_hrw.doctor.probe
attributes:
  check_mode:
    support: full
    description: The module itself writes nothing on the host (see the description for the
      Application event log entry Ansible.Basic writes for every Windows module); it behaves the
      same in check mode.
  diff_mode:
    support: none
    description: The module changes nothing, so there is no diff.
  facts:
    support: full
    description: The document is returned as the fact C(hrw_facts).
  platform:
    support: full
    platforms: windows
    description: Windows Server 2012 R2 and later with Windows PowerShell 5.1; no external modules.
notes:
  - O(probe_timeout) is counted from when the probe runspaces are open; the IMDS request uses the
    smaller of O(probe_timeout) and 2 seconds per attempt.
  - Run it as an administrator (the default for WinRM and PSRP connections) to read the agent's
    registry keys, the C(Health Service State) folder and the event logs.
  - Values Microsoft does not document (the workspace properties C(ConnectionStatus) and
    C(AzureCloudType), the agent proxy properties, the order of the Microsoft-SMA 15003/15004
    event properties) are read when present and reported as V(null) otherwise.
  - The agent's proxy password is never read, so a probe through a proxy that needs
    authentication gets the proxy's C(407) answer (C(error_class=proxy)); C(agent.proxy.has_credentials)
    tells the rules why.
  - Event messages are rendered in the en-US culture (the rules match English text; on Windows
    PowerShell 5.1 a message can come back empty when the thread's regional culture has no message
    resources, as with de-CH or en-GB regional settings under WinRM). A message that still cannot
    be rendered is V(null), and each event log with such messages adds one entry to C(errors)
    (C(where=events), with the log name and count), because lists built by matching message text
    (C(agent.updates_workspace_ids), C(events.sma.process_exit_*)) may then be incomplete; an
    empty list is not proof that no such event was logged.
  - The TLS probe does not check revocation (no CRL or OCSP download). Windows PowerShell 5.1
    cannot stop Windows from downloading a missing intermediate or root certificate while it
    builds the chain; on a host whose network blocks that, the probe ends at the deadline with
    C(error_class=timeout) and a C(tls.error) saying the certificate chain was being built
    (an untrusted or incomplete chain, not a slow endpoint).
  - For Linux hosts use M(azure_hrw.doctor.hrw_facts); the action plugins choose the collector.
seealso:
  - module: azure_hrw.doctor.hrw_facts
  - name: Troubleshoot agent-based Hybrid Runbook Worker issues
    description: Microsoft's troubleshooting guide this collection implements.
    link: https://learn.microsoft.com/azure/automation/troubleshoot/hybrid-runbook-worker
"""

EXAMPLES = r"""
- name: Collect the Windows Hybrid Runbook Worker facts
  azure_hrw.doctor.win_hrw_facts:

- name: Collect quickly, without any network probe
  azure_hrw.doctor.win_hrw_facts:
    probe_endpoints: false

- name: Probe the agent service of the agent's workspace and look up the Run As certificate
  azure_hrw.doctor.win_hrw_facts:
    probe_timeout: 5
    endpoints:
      - purpose: agentsvc
        host: "{workspace_id}.agentsvc.azure-automation.net"
        source: workspace id (cloud public)
    run_as_certificate_thumbprint: 3F8A1C2D4E5F60718293A4B5C6D7E8F901234567

- name: Show the event 4502 sources of the last day
  ansible.builtin.debug:
    msg: "{{ ansible_facts.hrw_facts.events.operations_manager.events_4502 | map(attribute='provider') | list }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to the host's facts.
  returned: always
  type: dict
  contains:
    hrw_facts:
      description:
        - The Windows facts document, schema 1, exactly as C(docs/adr/0002-windows-facts.md)
          describes it. Every key is always present; a value that could not be read is V(null).
          Times are UTC ISO-8601 with a trailing C(Z).
      returned: always
      type: dict
      contains:
        schema:
          description: Version of the document's layout.
          type: int
          returned: always
          sample: 1
        platform:
          description: V(windows) for this module.
          type: str
          returned: always
          sample: windows
        collector:
          description: C({name, version, elapsed_ms}) of the collector.
          type: dict
          returned: always
          sample: {name: win_hrw_facts, version: "0.1.0", elapsed_ms: 812}
        host:
          description: Host name, FQDN, machine GUID, UTC clock, OS, Windows PowerShell, cores, memory and CPU load.
          type: dict
          returned: always
        dotnet:
          description: C(release) and C(version_key_exists) of C(NDP\v4\Full).
          type: dict
          returned: always
        agent:
          description: The Microsoft Monitoring Agent (service, version, install path, workspaces, management groups, proxy).
          type: dict
          returned: always
        health_service_state:
          description: Size, file count and age of the agent's C(Health Service State) folder (bounded by O(max_files)).
          type: dict
          returned: always
        registration:
          description: The C(HKLM\SOFTWARE\Microsoft\HybridRunbookWorker) key (root values, accounts, groups, user worker).
          type: dict
          returned: always
        azure_automation:
          description: The agent's C(AzureAutomation) version folders and the C(HybridRegistration) module.
          type: dict
          returned: always
        extension:
          description: The extension-based (V2) worker (service, plugin folder, registry keys).
          type: dict
          returned: always
        events:
          description: Bounded event-log queries (Operations Manager 4502, Microsoft-SMA, Windows Update client).
          type: dict
          returned: always
        tls:
          description: SCHANNEL TLS 1.2 client/server values and the .NET C(SchUseStrongCrypto)/C(SystemDefaultTlsVersions) values.
          type: dict
          returned: always
        windows_update:
          description: Windows Update policy values and the C(wuauserv) service.
          type: dict
          returned: always
        permissions:
          description: Owner and ACEs (identity, SID, type, rights mask, inherited) of the C(MachineKeys) and C(RSA) folders.
          type: dict
          returned: always
        run_as_certificate:
          description: The certificate found for O(run_as_certificate_thumbprint), or V(null) when none was given.
          type: dict
          returned: always
        network:
          description: WinHTTP proxy lines, Azure VM detection, IMDS and the echoed Automation account.
          type: dict
          returned: always
        endpoints:
          description: One entry per endpoint of O(endpoints) with its probe results (C(dns), C(tcp), C(tls), C(error_class), C(direct), C(via_proxy)).
          type: list
          elements: dict
          returned: always
        endpoint_errors:
          description: Endpoints that could not be probed, C([{purpose, reason}]).
          type: list
          elements: dict
          returned: always
        errors:
          description: Non-fatal collector errors, C([{where, error}]).
          type: list
          elements: dict
          returned: always
          sample: [{where: agent.workspaces, error: "COMException: Class not registered"}]
"""
