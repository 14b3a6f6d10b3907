# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which endpoints a Windows V1 Hybrid Runbook Worker must reach (ADR 0002, decision 5 and
"Endpoint purposes on Windows").

PURE: no I/O, stdlib only, Python 3.8+ syntax. The action plugin calls
:func:`derive_windows_endpoints` on the controller with the region/account options and passes
the list to ``win_hrw_facts`` as its option ``endpoints``. The workspace id is not known on the
controller: hosts carry the literal placeholder ``{workspace_id}``, which the collector fills
from ``agent.workspace_id`` (an entry it cannot fill goes to ``endpoint_errors``).

Returned, in this order:

- ``agentsvc`` 1: ``{workspace_id}.agentsvc.azure-automation.<net|us|cn>``
  (UMW ``AutomationAgentServiceConnectivityCheck1``).
- ``jrds`` 1: the legacy regional record ``<moniker>-jobruntimedata-prod-su1.azure-automation.<tld>``
  (UMW ``AutomationJobRuntimeDataServiceConnectivityCheck``), only when the Automation account
  region is given and has a legacy record: the 16 regions of reference §5 "Legacy records and
  account-specific records", plus US Gov Arizona (``phx``) and China East 2 (``sha2``) which
  Microsoft's script also maps. Unlike the script there is no silent ``eus2``: without a
  region, or for a region with account-specific records only, the entry is the
  account-specific ``<accountId>.jrds.<moniker>.azure-automation.<tld>`` when the account id is
  given, else an ``endpoint_errors`` entry says what to give.
- ``log_analytics`` 1 = ``{workspace_id}.ods.opinsights.azure.<com|us|cn>``, 2 = ``...oms...``
  (UMW ``LAOdsEndpointConnectivity`` / ``LAOmsEndpointConnectivity``; the cloud's domain for
  every Government and China region, where the script only knows usgovvirginia/chinaeast2).
- ``account_agentsvc`` / ``account_jrds``: :func:`endpoints.account_endpoints`, when the
  account id and region are given.

The cloud comes from the Automation account region (``usgov*`` -> US Government, ``china*``
-> China, any other known region -> public); without a region the cloud is assumed public
and every ``source`` says so.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import endpoints as _ep
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import regions

#: The placeholder the collector replaces with ``agent.workspace_id``.
WORKSPACE_PLACEHOLDER = "{workspace_id}"

#: Regions (canonical names) with a legacy ``<moniker>-jobruntimedata-prod-su1`` record:
#: reference §5 "Legacy records and account-specific records", plus usgovarizona and
#: chinaeast2, which Microsoft's UMW script maps to ``phx-`` / ``sha2-`` (reference §1).
LEGACY_JRDS_REGIONS = frozenset((
    "australiacentral", "australiaeast", "australiasoutheast", "canadacentral", "centralindia",
    "eastus2", "japaneast", "northeurope", "southcentralus", "southeastasia", "switzerlandnorth",
    "uksouth", "westcentralus", "westeurope", "westus2", "usgovvirginia",
    "usgovarizona", "chinaeast2",
))


def _canonical(region):
    if not isinstance(region, str) or not region.strip():
        return None
    return "".join(region.split()).replace("-", "").replace("_", "").lower()


def cloud_of_region(region):
    """``(cloud, how)``: the cloud of an Automation account region and the words that say how
    it was decided (for ``source``)."""
    key = _canonical(region)
    if key is None:
        return _ep.CLOUD_PUBLIC, "cloud public, assumed: no automation_account_region given"
    if not regions.is_known(key) and _ep.region_moniker(key) is None:
        return _ep.CLOUD_PUBLIC, "cloud public, assumed: region %r is not known" % (region,)
    if key.startswith("usgov") or key.startswith("usdod"):
        return _ep.CLOUD_USGOV, "cloud usgov, from region %s" % key
    if key.startswith("china"):
        return _ep.CLOUD_CHINA, "cloud china, from region %s" % key
    return _ep.CLOUD_PUBLIC, "cloud public, from region %s" % key


def _entry(purpose, index, host, source):
    return {"purpose": purpose, "index": index, "host": host, "port": _ep.DEFAULT_PORT, "source": source}


def _jrds(account_id, region, account_eps):
    """(entry or None, error or None) for the ``jrds`` purpose."""
    key = _canonical(region)
    if key is None:
        return None, {"purpose": "jrds", "reason": (
            "no automation_account_region given: the job runtime data (JRDS) record is regional, "
            "give automation_account_region (and automation_account_id for the account-specific record)")}
    known = _ep.region_moniker(key)
    if known is None:
        return None, {"purpose": "jrds", "reason": "unknown Automation account region %r (no region moniker for it)" % (region,)}
    moniker, tld = known
    if key in LEGACY_JRDS_REGIONS:
        host = "%s-jobruntimedata-prod-su1.azure-automation.%s" % (moniker, tld)
        return _entry("jrds", 1, host, "legacy regional record (region %s, moniker %s)" % (key, moniker)), None
    account_jrds = [e for e in account_eps if e["purpose"] == "account_jrds"]
    if account_jrds:
        return _entry("jrds", 1, account_jrds[0]["host"], "account-specific record: region %s has no legacy record" % key), None
    if account_id:
        reason = "region %s has no legacy JRDS record and the account-specific record could not be derived" % key
    else:
        reason = ("region %s has no legacy JRDS record (account-specific records only): give "
                  "automation_account_id to probe <accountId>.jrds.%s.azure-automation.%s" % (key, moniker, tld))
    return None, {"purpose": "jrds", "reason": reason}


def derive_windows_endpoints(account_id=None, account_region=None):
    """The endpoints a Windows V1 worker must reach, from the account options.

    :param account_id: the Automation account id (GUID) or None.
    :param account_region: the Automation account region (``westeurope``, ``West Europe``) or None.
    :returns: ``(endpoints, endpoint_errors)``: ``endpoints`` is a list of
        ``{purpose, index, host, port, source}`` (``host`` may contain ``{workspace_id}``);
        ``endpoint_errors`` a list of ``{purpose, reason}``.
    """
    cloud, how = cloud_of_region(account_region)
    eps = []
    errors = []
    account_eps, account_errors = _ep.account_endpoints({"id": account_id, "region": account_region})

    eps.append(_entry("agentsvc", 1, "%s.agentsvc.%s" % (WORKSPACE_PLACEHOLDER, _ep.AUTOMATION_SUFFIX[cloud]),
                      "workspace id (%s)" % how))

    entry, error = _jrds(account_id, account_region, account_eps)
    if entry:
        eps.append(entry)
    if error:
        errors.append(error)

    for index, service in enumerate(("ods", "oms"), 1):
        eps.append(_entry("log_analytics", index, "%s.%s.%s" % (WORKSPACE_PLACEHOLDER, service, _ep.LA_SUFFIX[cloud]),
                          "workspace id (%s)" % how))

    eps.extend(account_eps)
    errors.extend(account_errors)
    return eps, errors
