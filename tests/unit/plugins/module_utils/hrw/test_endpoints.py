# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Endpoint derivation (pure): public, US Government and China clouds, and what is missing."""

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.endpoints import (
    cloud_of,
    derive_endpoints,
    is_guid,
    region_moniker,
    url_host_port,
)

WS = "0b4a1a9e-5c55-4d0b-9f1a-2f4d8c1e7a11"
DSC = "https://%s.agentsvc.azure-automation.net/Accounts/%s/Nodes(AgentId='x')" % (WS, WS)
JRDS = "https://eus2-jobruntimedata-prod-su1.azure-automation.net"
USER_JRDS = "https://c1d2e3f4-0000-4111-8222-933344455566.jrds.eus2.azure-automation.net"


def facts(omsadmin=None, workspace_id=WS, system=None, user=None):
    return {
        "agent": {"omsadmin": omsadmin, "workspace_id": workspace_id},
        "worker": {"system_worker_conf": system, "user_worker_conf": user},
    }


def conf(uri):
    return {"worker-required": {"jrds_base_uri": uri}}


def hosts(endpoints):
    return [(e["purpose"], e["index"], e["host"], e["port"]) for e in endpoints]


def test_public_cloud():
    endpoints, errors = derive_endpoints(facts(
        {"WORKSPACE_ID": WS, "DSC_ENDPOINT": DSC, "URL_TLD": "opinsights.azure.com",
         "OMS_ENDPOINT": "https://%s.ods.opinsights.azure.com/OperationalData.svc/PostJsonDataItems" % WS},
        system=conf(JRDS)))
    assert errors == []
    assert endpoints == [
        {"purpose": "agentsvc", "index": 1, "host": "%s.agentsvc.azure-automation.net" % WS, "port": 443,
         "source": "omsadmin.conf DSC_ENDPOINT"},
        {"purpose": "jrds", "index": 1, "host": "eus2-jobruntimedata-prod-su1.azure-automation.net", "port": 443,
         "source": "system worker.conf [worker-required] jrds_base_uri"},
        {"purpose": "log_analytics", "index": 1, "host": "%s.ods.opinsights.azure.com" % WS, "port": 443,
         "source": "WORKSPACE_ID (cloud public)"},
        {"purpose": "log_analytics", "index": 2, "host": "%s.oms.opinsights.azure.com" % WS, "port": 443,
         "source": "WORKSPACE_ID (cloud public)"},
    ]


def test_us_government_cloud():
    omsadmin = {"WORKSPACE_ID": WS, "URL_TLD": "opinsights.azure.us",
                "OMS_ENDPOINT": "https://%s.ods.opinsights.azure.us/OperationalData.svc/PostJsonDataItems" % WS}
    endpoints, errors = derive_endpoints(facts(omsadmin, system=conf(JRDS)))
    assert errors == []
    assert hosts(endpoints) == [
        ("agentsvc", 1, "%s.agentsvc.azure-automation.us" % WS, 443),
        ("jrds", 1, "eus2-jobruntimedata-prod-su1.azure-automation.net", 443),
        ("log_analytics", 1, "usge-jobruntimedata-prod-1.usgovtrafficmanager.net", 443),
        ("log_analytics", 2, "usge-agentservice-prod-1.usgovtrafficmanager.net", 443),
        ("log_analytics", 3, "%s.ods.opinsights.azure.us" % WS, 443),
        ("log_analytics", 4, "%s.oms.opinsights.azure.us" % WS, 443),
    ]
    assert endpoints[0]["source"] == "WORKSPACE_ID (cloud usgov)"
    assert endpoints[2]["source"] == "fixed (cloud usgov)"


def test_china_cloud():
    omsadmin = {"WORKSPACE_ID": WS, "URL_TLD": "opinsights.azure.cn"}
    endpoints, errors = derive_endpoints(facts(omsadmin, user=conf(USER_JRDS)))
    assert errors == []
    assert hosts(endpoints) == [
        ("agentsvc", 1, "%s.agentsvc.azure-automation.cn" % WS, 443),
        ("jrds", 1, "c1d2e3f4-0000-4111-8222-933344455566.jrds.eus2.azure-automation.net", 443),
        ("log_analytics", 1, "%s.ods.opinsights.azure.cn" % WS, 443),
        ("log_analytics", 2, "%s.oms.opinsights.azure.cn" % WS, 443),
        ("jrds_user", 1, "c1d2e3f4-0000-4111-8222-933344455566.jrds.eus2.azure-automation.net", 443),
    ]
    assert endpoints[1]["source"] == "user worker.conf [worker-required] jrds_base_uri"


@pytest.mark.parametrize("omsadmin, cloud", [
    (None, "public"),
    ({}, "public"),
    ({"URL_TLD": "opinsights.azure.com"}, "public"),
    ({"URL_TLD": "opinsights.azure.us"}, "usgov"),
    ({"URL_TLD": "OPINSIGHTS.AZURE.CN"}, "china"),
    ({"OMS_ENDPOINT": "https://x.ods.opinsights.azure.us/OperationalData.svc"}, "usgov"),
    ({"OMS_ENDPOINT": "https://x.ods.opinsights.azure.cn/OperationalData.svc"}, "china"),
    ({"OMS_ENDPOINT": "https://x.ods.opinsights.azure.com/.us/path"}, "public"),  # a path is not the host
    ({"URL_TLD": "", "OMS_ENDPOINT": "https://x.ods.opinsights.azure.us/"}, "usgov"),
    ({"URL_TLD": "opinsights.azure.com", "OMS_ENDPOINT": "https://x.ods.opinsights.azure.us/"}, "public"),
])
def test_cloud_of(omsadmin, cloud):
    assert cloud_of(omsadmin) == cloud


def test_agentsvc_from_legacy_agentservice_line():
    omsadmin = {"WORKSPACE_ID": WS,
                "CERTIFICATE_UPDATE_ENDPOINT": "https://x.oms.opinsights.azure.com/ConfigurationService.Svc",
                "LEGACY_DSC": "https://eus2-agentservice-prod-1.azure-automation.net/accounts/" + WS}
    endpoints, _errors = derive_endpoints(facts(omsadmin))
    assert endpoints[0] == {"purpose": "agentsvc", "index": 1,
                            "host": "eus2-agentservice-prod-1.azure-automation.net", "port": 443,
                            "source": "omsadmin.conf LEGACY_DSC"}


def test_dsc_endpoint_comes_first():
    omsadmin = {"WORKSPACE_ID": WS, "OTHER": "https://other.agentsvc.azure-automation.net/",
                "DSC_ENDPOINT": "https://EUS2-AgentService-Prod-1.azure-automation.net:8443/x"}
    endpoints, _errors = derive_endpoints(facts(omsadmin))
    assert (endpoints[0]["host"], endpoints[0]["port"], endpoints[0]["source"]) == (
        "eus2-agentservice-prod-1.azure-automation.net", 8443, "omsadmin.conf DSC_ENDPOINT")


def test_agentsvc_fallback_from_workspace():
    endpoints, errors = derive_endpoints(facts({"WORKSPACE_ID": WS}, system=conf(JRDS)))
    assert errors == []
    assert endpoints[0] == {"purpose": "agentsvc", "index": 1, "host": "%s.agentsvc.azure-automation.net" % WS,
                            "port": 443, "source": "WORKSPACE_ID (cloud public)"}


def test_no_workspace():
    endpoints, errors = derive_endpoints(facts({"AGENT_GUID": "x"}, workspace_id=None, system=conf(JRDS)))
    assert hosts(endpoints) == [("jrds", 1, "eus2-jobruntimedata-prod-su1.azure-automation.net", 443)]
    assert errors == [
        {"purpose": "agentsvc",
         "reason": "no agentsvc endpoint in omsadmin.conf and no workspace id (no WORKSPACE_ID in omsadmin.conf)"},
        {"purpose": "log_analytics", "reason": "no workspace id (no WORKSPACE_ID in omsadmin.conf)"},
    ]


def test_no_omsadmin_at_all():
    endpoints, errors = derive_endpoints(facts(None, workspace_id=None))
    assert endpoints == []
    assert errors == [
        {"purpose": "agentsvc",
         "reason": "no agentsvc endpoint in omsadmin.conf and no workspace id (omsadmin.conf was not read)"},
        {"purpose": "jrds", "reason": "no worker.conf (system or user) was read"},
        {"purpose": "log_analytics", "reason": "no workspace id (omsadmin.conf was not read)"},
    ]


def test_no_workspace_but_dsc_endpoint_still_gives_agentsvc():
    endpoints, errors = derive_endpoints(facts({"DSC_ENDPOINT": DSC}, workspace_id=None))
    assert hosts(endpoints) == [("agentsvc", 1, "%s.agentsvc.azure-automation.net" % WS, 443)]
    assert [e["purpose"] for e in errors] == ["jrds", "log_analytics"]


def test_us_government_without_workspace_keeps_fixed_hosts():
    endpoints, errors = derive_endpoints(facts({"URL_TLD": "opinsights.azure.us"}, workspace_id=None))
    assert hosts(endpoints) == [
        ("log_analytics", 1, "usge-jobruntimedata-prod-1.usgovtrafficmanager.net", 443),
        ("log_analytics", 2, "usge-agentservice-prod-1.usgovtrafficmanager.net", 443),
    ]
    assert {"purpose": "log_analytics", "reason": "no workspace id (no WORKSPACE_ID in omsadmin.conf)"} in errors


def test_malformed_workspace_is_not_used_for_host_names():
    endpoints, errors = derive_endpoints(facts({"WORKSPACE_ID": "not a guid"}, workspace_id="not a guid"))
    assert endpoints == []
    assert errors[-1] == {"purpose": "log_analytics", "reason": "workspace id is not a GUID: 'not a guid'"}


def test_no_jrds_base_uri():
    endpoints, errors = derive_endpoints(facts({"WORKSPACE_ID": WS}, system={"worker-required": {}},
                                               user={"metadata": {"worker_type": "diy"}}))
    assert [e["purpose"] for e in endpoints] == ["agentsvc", "log_analytics", "log_analytics"]
    assert errors == [{"purpose": "jrds",
                       "reason": "no jrds_base_uri in worker.conf (system worker.conf, user worker.conf)"},
                      {"purpose": "jrds_user", "reason": "no jrds_base_uri in the user worker.conf"}]


def test_jrds_falls_back_to_user_conf_and_keeps_explicit_port():
    endpoints, _errors = derive_endpoints(facts({"WORKSPACE_ID": WS}, system={"worker-required": {"x": "1"}},
                                                user=conf("https://acct.jrds.eus2.azure-automation.net:8443/")))
    jrds = [e for e in endpoints if e["purpose"] == "jrds"][0]
    assert (jrds["host"], jrds["port"]) == ("acct.jrds.eus2.azure-automation.net", 8443)


@pytest.mark.parametrize("partial", [{}, {"agent": None, "worker": None}, {"agent": {}, "worker": {}}])
def test_partial_documents_do_not_raise(partial):
    endpoints, errors = derive_endpoints(partial)
    assert endpoints == []
    assert [e["purpose"] for e in errors] == ["agentsvc", "jrds", "log_analytics"]


@pytest.mark.parametrize("value, expected", [
    ("https://Host.Example.invalid/path", ("host.example.invalid", 443)),
    ("host.example.invalid:8443/x", ("host.example.invalid", 8443)),
    ("https://[::1]:444/", ("::1", 444)),
    ("", (None, None)),
    (None, (None, None)),
    ("https://", (None, None)),
    ("https://h:notaport/", (None, None)),
])
def test_url_host_port(value, expected):
    assert url_host_port(value) == expected


def test_is_guid():
    assert is_guid(WS) and is_guid(WS.upper())
    assert not is_guid("0b4a1a9e5c554d0b9f1a2f4d8c1e7a11") and not is_guid(None)


# --------------------------------------------------------------------------- issue 3: network

ACCOUNT = "B2D4E6F8-1A3C-4E5F-9A7B-2C4D6E8F0A1B"


def test_user_worker_jrds_is_its_own_endpoint():
    endpoints, errors = derive_endpoints(facts({"WORKSPACE_ID": WS}, system=conf(JRDS), user=conf(USER_JRDS)))
    assert errors == []
    assert [e for e in hosts(endpoints) if e[0].startswith("jrds")] == [
        ("jrds", 1, "eus2-jobruntimedata-prod-su1.azure-automation.net", 443),
        ("jrds_user", 1, "c1d2e3f4-0000-4111-8222-933344455566.jrds.eus2.azure-automation.net", 443),
    ]


def test_no_user_worker_gives_no_jrds_user_and_no_error():
    endpoints, errors = derive_endpoints(facts({"WORKSPACE_ID": WS}, system=conf(JRDS)))
    assert "jrds_user" not in [e["purpose"] for e in endpoints]
    assert errors == []


@pytest.mark.parametrize("region, moniker, tld", [
    ("westeurope", "we", "net"),
    ("West Europe", "we", "net"),
    ("we", "we", "net"),
    ("eastus", "eus", "net"),
    ("usgovarizona", "phx", "us"),
    ("usgovvirginia", "usge", "us"),
    ("chinaeast2", "sha2", "cn"),
    ("germanywestcentral", "dewc", "de"),
    ("switzerlandnorth", "stzn", "net"),
])
def test_account_specific_records(region, moniker, tld):
    endpoints, errors = derive_endpoints(facts({"WORKSPACE_ID": WS}, system=conf(JRDS)),
                                         account={"id": ACCOUNT, "region": region})
    assert errors == []
    account = ACCOUNT.lower()
    assert [e for e in hosts(endpoints) if e[0].startswith("account_")] == [
        ("account_agentsvc", 1, "%s.agentsvc.%s.azure-automation.%s" % (account, moniker, tld), 443),
        ("account_jrds", 1, "%s.jrds.%s.azure-automation.%s" % (account, moniker, tld), 443),
    ]


def test_region_moniker_table():
    assert region_moniker("Japan West") == ("jpw", "net")
    assert region_moniker("mars") is None
    assert region_moniker(None) is None


@pytest.mark.parametrize("account, reason", [
    ({"id": ACCOUNT, "region": "marsnorth"}, "unknown Automation account region 'marsnorth'"),
    ({"id": "not-a-guid", "region": "westeurope"}, "the Automation account id is not a GUID: 'not-a-guid'"),
])
def test_account_errors_name_the_bad_value(account, reason):
    endpoints, errors = derive_endpoints(facts({"WORKSPACE_ID": WS}, system=conf(JRDS)), account=account)
    assert not [e for e in endpoints if e["purpose"].startswith("account_")]
    assert [e["purpose"] for e in errors] == ["account_agentsvc", "account_jrds"]
    assert all(e["reason"].startswith(reason) for e in errors)


@pytest.mark.parametrize("account", [None, {}, {"id": ACCOUNT, "region": None}, {"id": None, "region": "we"}])
def test_account_not_given_gives_nothing(account):
    endpoints, errors = derive_endpoints(facts({"WORKSPACE_ID": WS}, system=conf(JRDS)), account=account)
    assert not [e for e in endpoints if e["purpose"].startswith("account_")]
    assert errors == []


def test_internet_check_only_when_asked():
    endpoints, _errors = derive_endpoints(facts({"WORKSPACE_ID": WS}, system=conf(JRDS)))
    assert "internet" not in [e["purpose"] for e in endpoints]
    endpoints, _errors = derive_endpoints(facts({"WORKSPACE_ID": WS}, system=conf(JRDS)), internet=True)
    assert hosts(endpoints)[-1] == ("internet", 1, "bing.com", 443)
