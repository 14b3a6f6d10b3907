# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows endpoint derivation on the controller (ADR 0002 "Endpoint purposes on Windows")."""

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import endpoints
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.windows_endpoints import (
    LEGACY_JRDS_REGIONS,
    WORKSPACE_PLACEHOLDER,
    cloud_of_region,
    derive_windows_endpoints,
)

ACC = "9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f"


def by_purpose(eps):
    return dict(((e["purpose"], e["index"]), e) for e in eps)


def hosts(eps):
    return [(e["purpose"], e["index"], e["host"]) for e in eps]


def test_unknown_region_is_public_assumed_and_jrds_is_an_error_not_eus2():
    eps, errors = derive_windows_endpoints()
    assert hosts(eps) == [
        ("agentsvc", 1, "{workspace_id}.agentsvc.azure-automation.net"),
        ("log_analytics", 1, "{workspace_id}.ods.opinsights.azure.com"),
        ("log_analytics", 2, "{workspace_id}.oms.opinsights.azure.com"),
    ]
    assert all("cloud public, assumed" in e["source"] for e in eps)
    assert all(e["port"] == 443 for e in eps)
    assert [e["purpose"] for e in errors] == ["jrds"]
    assert "automation_account_region" in errors[0]["reason"]
    assert not any("eus2" in e["host"] for e in eps)


@pytest.mark.parametrize("region, agentsvc, jrds, la", [
    ("westeurope", "azure-automation.net", "we-jobruntimedata-prod-su1.azure-automation.net", "opinsights.azure.com"),
    ("East US 2", "azure-automation.net", "eus2-jobruntimedata-prod-su1.azure-automation.net", "opinsights.azure.com"),
    ("switzerlandnorth", "azure-automation.net", "stzn-jobruntimedata-prod-su1.azure-automation.net", "opinsights.azure.com"),
    ("usgovvirginia", "azure-automation.us", "usge-jobruntimedata-prod-su1.azure-automation.us", "opinsights.azure.us"),
    ("usgovarizona", "azure-automation.us", "phx-jobruntimedata-prod-su1.azure-automation.us", "opinsights.azure.us"),
    ("chinaeast2", "azure-automation.cn", "sha2-jobruntimedata-prod-su1.azure-automation.cn", "opinsights.azure.cn"),
])
def test_legacy_jrds_and_cloud_domains(region, agentsvc, jrds, la):
    eps, errors = derive_windows_endpoints(account_region=region)
    got = by_purpose(eps)
    assert errors == []
    assert got[("agentsvc", 1)]["host"] == WORKSPACE_PLACEHOLDER + ".agentsvc." + agentsvc
    assert got[("jrds", 1)]["host"] == jrds
    assert "legacy regional record" in got[("jrds", 1)]["source"]
    assert got[("log_analytics", 1)]["host"] == WORKSPACE_PLACEHOLDER + ".ods." + la
    assert got[("log_analytics", 2)]["host"] == WORKSPACE_PLACEHOLDER + ".oms." + la
    assert "from region" in got[("agentsvc", 1)]["source"]
    assert not any(p.startswith("account_") for p, i in got)  # no account id: no account records


@pytest.mark.parametrize("region, cloud", [
    ("usgovtexas", "usgov"), ("chinanorth2", "china"), ("chinaeast", "china"), ("westus3", "public"),
    ("germanywestcentral", "public"), (None, "public"), ("", "public"),
])
def test_cloud_of_region(region, cloud):
    assert cloud_of_region(region)[0] == cloud


def test_region_without_legacy_record_and_no_account_id_says_what_to_give():
    eps, errors = derive_windows_endpoints(account_region="usgovtexas")
    assert "jrds" not in [e["purpose"] for e in eps]
    assert errors[0]["purpose"] == "jrds"
    assert "ussc" in errors[0]["reason"] and "automation_account_id" in errors[0]["reason"]
    assert by_purpose(eps)[("log_analytics", 1)]["host"].endswith(".ods.opinsights.azure.us")


def test_region_without_legacy_record_falls_back_to_the_account_record():
    eps, errors = derive_windows_endpoints(account_id=ACC, account_region="chinanorth2")
    got = by_purpose(eps)
    assert errors == []
    assert got[("jrds", 1)]["host"] == ACC + ".jrds.bjs2.azure-automation.cn"
    assert "account-specific record" in got[("jrds", 1)]["source"]
    assert got[("account_jrds", 1)]["host"] == ACC + ".jrds.bjs2.azure-automation.cn"
    assert got[("account_agentsvc", 1)]["host"] == ACC + ".agentsvc.bjs2.azure-automation.cn"
    assert got[("agentsvc", 1)]["host"] == "{workspace_id}.agentsvc.azure-automation.cn"


def test_account_records_reuse_the_linux_derivation():
    eps, errors = derive_windows_endpoints(account_id=ACC.upper(), account_region="West Europe")
    account = [e for e in eps if e["purpose"].startswith("account_")]
    expected, dummy = endpoints.account_endpoints({"id": ACC.upper(), "region": "West Europe"})
    assert account == expected
    assert [e["purpose"] for e in eps] == ["agentsvc", "jrds", "log_analytics", "log_analytics",
                                           "account_agentsvc", "account_jrds"]
    assert errors == []


def test_account_id_not_a_guid_is_an_error_for_the_account_records():
    eps, errors = derive_windows_endpoints(account_id="nope", account_region="westeurope")
    assert sorted(e["purpose"] for e in errors) == ["account_agentsvc", "account_jrds"]
    assert by_purpose(eps)[("jrds", 1)]["host"] == "we-jobruntimedata-prod-su1.azure-automation.net"


def test_region_without_moniker_is_an_error():
    eps, errors = derive_windows_endpoints(account_region="chinaeast")
    assert [e["purpose"] for e in errors] == ["jrds"]
    assert "moniker" in errors[0]["reason"]


def test_legacy_regions_all_have_monikers():
    for region in LEGACY_JRDS_REGIONS:
        assert endpoints.region_moniker(region) is not None, region
