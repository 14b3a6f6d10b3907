# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which endpoints a Linux V1 Hybrid Runbook Worker must reach (ADR 0001, "Endpoints").

PURE: no I/O, stdlib only, Python 3.8+ syntax. The collector (``linux_facts``) calls
:func:`derive_endpoints` on the facts it has read so far and probes the result; the rules
may call it on a facts document to know what *should* have been probed.

Rules, in order of the returned list:

- ``agentsvc`` (one endpoint): the host of ``DSC_ENDPOINT`` in ``omsadmin.conf``, else of the
  first other ``omsadmin.conf`` line whose value contains ``agentsvc`` or ``agentservice``
  (so the old ``<rgn>-agentservice-prod-1`` form works, unlike the official script); else
  ``<ws>.agentsvc.azure-automation.<net|us|cn>`` from the workspace id and the cloud.
- ``jrds`` (one endpoint): the host of ``[worker-required] jrds_base_uri`` of the system
  ``worker.conf``, else of the user (DIY) ``worker.conf``.
- ``log_analytics`` (as the official troubleshooter, indexes are its check numbers):
  public ``<ws>.ods.opinsights.azure.com`` (1), ``<ws>.oms.opinsights.azure.com`` (2);
  US Government ``usge-jobruntimedata-prod-1.usgovtrafficmanager.net`` (1),
  ``usge-agentservice-prod-1.usgovtrafficmanager.net`` (2), ``<ws>.ods.opinsights.azure.us`` (3),
  ``<ws>.oms.opinsights.azure.us`` (4); China ``<ws>.ods.opinsights.azure.cn`` (1),
  ``<ws>.oms.opinsights.azure.cn`` (2).

The cloud (:func:`cloud_of`) is ``usgov`` when the host of ``URL_TLD`` (else ``OMS_ENDPOINT``)
ends in ``.us``, ``china`` when it ends in ``.cn``, else ``public``.

Added by issue 3 (after the three above, in this order):

- ``jrds_user`` (one endpoint): the host of ``[worker-required] jrds_base_uri`` of the user
  (DIY) ``worker.conf``; nothing (and no error) when there is no user worker.conf.
- ``account_agentsvc`` and ``account_jrds`` (one each), only when the Automation account id
  and region are given (``account``): ``<accountId>.agentsvc.<moniker>.azure-automation.<tld>``
  and ``<accountId>.jrds.<moniker>.azure-automation.<tld>`` with the region moniker of
  :data:`REGION_MONIKERS` (reference §5; ``tld`` is ``us`` for the US Government regions,
  ``cn`` for China, ``de`` for Germany West Central, else ``net``). An unknown region or an
  account id that is not a GUID gives an ``endpoint_errors`` entry naming it.
- ``internet`` (one endpoint, only with ``internet=True``, as the collector asks):
  ``bing.com:443``, the host of Microsoft's ``Linux.InternetConnectionCheck``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from urllib.parse import urlsplit

DEFAULT_PORT = 443

PURPOSES = ("agentsvc", "jrds", "log_analytics", "jrds_user", "account_agentsvc", "account_jrds", "internet")

#: Microsoft's internet check host (Linux.InternetConnectionCheck).
INTERNET_HOST = "bing.com"

#: Region (lower-case, no spaces) -> (moniker, top-level domain) of the Automation records
#: (reference §5, "Region monikers"): legacy and account-specific records, then
#: account-specific records only.
REGION_MONIKERS = {
    "australiacentral": ("ac", "net"), "australiaeast": ("ae", "net"), "australiasoutheast": ("ase", "net"),
    "canadacentral": ("cc", "net"), "centralindia": ("cid", "net"), "eastus2": ("eus2", "net"),
    "japaneast": ("jpe", "net"), "northeurope": ("ne", "net"), "southcentralus": ("scus", "net"),
    "southeastasia": ("sea", "net"), "switzerlandnorth": ("stzn", "net"), "uksouth": ("uks", "net"),
    "westcentralus": ("wcus", "net"), "westeurope": ("we", "net"), "westus2": ("wus2", "net"),
    "usgovvirginia": ("usge", "us"),
    "southafricanorth": ("san", "net"), "eastasia": ("ea", "net"), "australiacentral2": ("cbr2", "net"),
    "brazilsouth": ("brs", "net"), "brazilsoutheast": ("brse", "net"), "chinaeast2": ("sha2", "cn"),
    "chinanorth": ("bjb", "cn"), "chinanorth2": ("bjs2", "cn"), "francecentral": ("fc", "net"),
    "francesouth": ("mrs", "net"), "germanywestcentral": ("dewc", "de"), "southindia": ("ma", "net"),
    "japanwest": ("jpw", "net"), "koreacentral": ("kc", "net"), "koreasouth": ("ps", "net"),
    "norwayeast": ("noe", "net"), "norwaywest": ("now", "net"), "switzerlandwest": ("stzw", "net"),
    "uaecentral": ("auh", "net"), "uaenorth": ("uaen", "net"), "ukwest": ("cw", "net"),
    "centralus": ("cus", "net"), "eastus": ("eus", "net"), "northcentralus": ("ncus", "net"),
    "westus": ("wus", "net"), "westus3": ("usw3", "net"), "usgovtexas": ("ussc", "us"),
    "usgovarizona": ("phx", "us"),
}
_MONIKERS = dict((moniker, (moniker, tld)) for moniker, tld in REGION_MONIKERS.values())

CLOUD_PUBLIC = "public"
CLOUD_USGOV = "usgov"
CLOUD_CHINA = "china"

_GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)

AUTOMATION_SUFFIX = {
    CLOUD_PUBLIC: "azure-automation.net",
    CLOUD_USGOV: "azure-automation.us",
    CLOUD_CHINA: "azure-automation.cn",
}

LA_SUFFIX = {
    CLOUD_PUBLIC: "opinsights.azure.com",
    CLOUD_USGOV: "opinsights.azure.us",
    CLOUD_CHINA: "opinsights.azure.cn",
}

_USGOV_FIXED = (
    "usge-jobruntimedata-prod-1.usgovtrafficmanager.net",
    "usge-agentservice-prod-1.usgovtrafficmanager.net",
)


def is_guid(value):
    """True when ``value`` is a string of the form ``xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`` (hex)."""
    return isinstance(value, str) and bool(_GUID_RE.match(value))


def url_host_port(value):
    """Return ``(host, port)`` of a URL or bare ``host[:port][/path]``; ``(None, None)`` when none.

    The host is lower-cased; the port is the URL's explicit port, else 443.
    """
    if not isinstance(value, str):
        return None, None
    value = value.strip()
    if not value:
        return None, None
    if "://" not in value:
        value = "https://" + value
    try:
        parts = urlsplit(value)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None, None
    if not host:
        return None, None
    return host.lower(), (port or DEFAULT_PORT)


def cloud_of(omsadmin):
    """The cloud of an ``omsadmin.conf`` dict: ``public`` | ``usgov`` | ``china``.

    Decided by the host of ``URL_TLD`` (e.g. ``opinsights.azure.us``), else of
    ``OMS_ENDPOINT``; ``public`` when neither says otherwise (or ``omsadmin`` is None).
    """
    if not isinstance(omsadmin, dict):
        return CLOUD_PUBLIC
    for key in ("URL_TLD", "OMS_ENDPOINT"):
        host, _port = url_host_port(omsadmin.get(key))
        if not host:
            continue
        host = host.rstrip(".")
        if host.endswith(".us") or host == "us":
            return CLOUD_USGOV
        if host.endswith(".cn") or host == "cn":
            return CLOUD_CHINA
        return CLOUD_PUBLIC
    return CLOUD_PUBLIC


def _endpoint(purpose, index, host, port, source):
    return {"purpose": purpose, "index": index, "host": host, "port": port, "source": source}


def _error(purpose, reason):
    return {"purpose": purpose, "reason": reason}


def _get(mapping, *keys):
    """Nested ``.get`` that tolerates missing keys and non-dict values."""
    value = mapping
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _workspace(facts):
    """(workspace id or None, error reason or None) from ``agent.workspace_id``."""
    ws = _get(facts, "agent", "workspace_id")
    if not ws:
        if _get(facts, "agent", "omsadmin") is None:
            return None, "no workspace id (omsadmin.conf was not read)"
        return None, "no workspace id (no WORKSPACE_ID in omsadmin.conf)"
    if not is_guid(ws):
        return None, "workspace id is not a GUID: %r" % (ws,)
    return ws.lower(), None


def _agentsvc(facts, ws, ws_error, cloud):
    omsadmin = _get(facts, "agent", "omsadmin")
    if isinstance(omsadmin, dict):
        keys = [k for k in omsadmin if k == "DSC_ENDPOINT"]
        keys += [k for k in omsadmin if k != "DSC_ENDPOINT"]
        for key in keys:
            value = omsadmin.get(key)
            if not isinstance(value, str):
                continue
            lowered = value.lower()
            if "agentsvc" not in lowered and "agentservice" not in lowered:
                continue
            host, port = url_host_port(value)
            if host:
                return _endpoint("agentsvc", 1, host, port, "omsadmin.conf %s" % key), None
    if ws is None:
        return None, _error("agentsvc", "no agentsvc endpoint in omsadmin.conf and %s" % ws_error)
    host = "%s.agentsvc.%s" % (ws, AUTOMATION_SUFFIX[cloud])
    return _endpoint("agentsvc", 1, host, DEFAULT_PORT, "WORKSPACE_ID (cloud %s)" % cloud), None


def _jrds(facts):
    confs = (
        ("system worker.conf", _get(facts, "worker", "system_worker_conf")),
        ("user worker.conf", _get(facts, "worker", "user_worker_conf")),
    )
    seen = []
    for name, conf in confs:
        if not isinstance(conf, dict):
            continue
        seen.append(name)
        value = _get(conf, "worker-required", "jrds_base_uri")
        host, port = url_host_port(value)
        if host:
            return _endpoint("jrds", 1, host, port, "%s [worker-required] jrds_base_uri" % name), None
    if not seen:
        return None, _error("jrds", "no worker.conf (system or user) was read")
    return None, _error("jrds", "no jrds_base_uri in worker.conf (%s)" % ", ".join(seen))


def _log_analytics(ws, ws_error, cloud):
    endpoints = []
    errors = []
    index = 0
    if cloud == CLOUD_USGOV:
        for host in _USGOV_FIXED:
            index += 1
            endpoints.append(_endpoint("log_analytics", index, host, DEFAULT_PORT, "fixed (cloud usgov)"))
    if ws is None:
        errors.append(_error("log_analytics", ws_error))
        return endpoints, errors
    for service in ("ods", "oms"):
        index += 1
        host = "%s.%s.%s" % (ws, service, LA_SUFFIX[cloud])
        endpoints.append(_endpoint("log_analytics", index, host, DEFAULT_PORT, "WORKSPACE_ID (cloud %s)" % cloud))
    return endpoints, errors


def region_moniker(region):
    """``(moniker, tld)`` of an Azure region name (``West Europe``, ``westeurope``) or of a
    moniker itself (``we``); None when unknown."""
    if not isinstance(region, str):
        return None
    key = "".join(region.split()).replace("-", "").lower()
    return REGION_MONIKERS.get(key) or _MONIKERS.get(key)


def _jrds_user(facts):
    conf = _get(facts, "worker", "user_worker_conf")
    if not isinstance(conf, dict):
        return None, None
    host, port = url_host_port(_get(conf, "worker-required", "jrds_base_uri"))
    if not host:
        return None, _error("jrds_user", "no jrds_base_uri in the user worker.conf")
    return _endpoint("jrds_user", 1, host, port, "user worker.conf [worker-required] jrds_base_uri"), None


def account_endpoints(account):
    """Account-specific endpoints from ``{id, region}``; nothing when either is not given."""
    account = account if isinstance(account, dict) else {}
    account_id, region = account.get("id"), account.get("region")
    if not account_id or not region:
        return [], []
    purposes = ("account_agentsvc", "account_jrds")
    if not is_guid(account_id):
        reason = "the Automation account id is not a GUID: %r" % (account_id,)
        return [], [_error(p, reason) for p in purposes]
    known = region_moniker(region)
    if known is None:
        reason = "unknown Automation account region %r (no region moniker for it)" % (region,)
        return [], [_error(p, reason) for p in purposes]
    moniker, tld = known
    source = "automation account %s (region %s, moniker %s)" % (account_id.lower(), region, moniker)
    endpoints = [
        _endpoint(purpose, 1, "%s.%s.%s.azure-automation.%s" % (account_id.lower(), service, moniker, tld),
                  DEFAULT_PORT, source)
        for purpose, service in zip(purposes, ("agentsvc", "jrds"))]
    return endpoints, []


def derive_endpoints(facts, account=None, internet=False):
    """Derive the endpoints a V1 Linux worker must reach from a (partial) facts document.

    Reads only ``agent.omsadmin``, ``agent.workspace_id``, ``worker.system_worker_conf`` and
    ``worker.user_worker_conf``; any of them may be missing or None.

    :param facts: a facts document (schema 1) or the part of it collected so far.
    :param account: ``{"id": <Automation account id>, "region": <its region>}`` or None.
    :param internet: add Microsoft's internet check host (``internet``, bing.com:443); the
        collector does, so the rule ``Linux.InternetConnectionCheck`` has a probe to read.
    :returns: ``(endpoints, endpoint_errors)`` where ``endpoints`` is a list of
        ``{purpose, index, host, port, source}`` (purpose one of :data:`PURPOSES`, index 1..n
        within a purpose, host lower-case, port int) in the order of :data:`PURPOSES`; and ``endpoint_errors`` is a list of
        ``{purpose, reason}`` for each endpoint that could not be derived.
    """
    endpoints = []
    errors = []
    ws, ws_error = _workspace(facts)
    cloud = cloud_of(_get(facts, "agent", "omsadmin"))

    endpoint, error = _agentsvc(facts, ws, ws_error, cloud)
    if endpoint:
        endpoints.append(endpoint)
    if error:
        errors.append(error)

    endpoint, error = _jrds(facts)
    if endpoint:
        endpoints.append(endpoint)
    if error:
        errors.append(error)

    la_endpoints, la_errors = _log_analytics(ws, ws_error, cloud)
    endpoints.extend(la_endpoints)
    errors.extend(la_errors)

    endpoint, error = _jrds_user(facts)
    if endpoint:
        endpoints.append(endpoint)
    if error:
        errors.append(error)

    account_eps, account_errors = account_endpoints(account)
    endpoints.extend(account_eps)
    errors.extend(account_errors)

    if internet:
        endpoints.append(_endpoint("internet", 1, INTERNET_HOST, DEFAULT_PORT, "Microsoft's internet check"))
    return endpoints, errors
