# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure regions and the supported Log Analytics workspace <-> Automation account links.

Pure, stdlib only, Python 3.8+. Source: Microsoft Learn, "Supported regions for linked Log
Analytics workspace" (articles/automation/how-to/region-mappings.md, ms.date 09/03/2020, the
newest revision we could read): only these pairs can be linked, and a worker of an account
linked across another pair fails registration with 403 (seed
hybrid-runbook-worker-troubleshoot.ko.md#error-403-on-registration).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

#: (workspace region, Automation account region), canonical names. EastUS workspaces link
#: to EastUS2 accounts (Microsoft: "not an exact region to region mapping, but the correct one").
LINKED_PAIRS = (
    ("eastus", "eastus2"),
    ("westus2", "westus2"),
    ("westcentralus", "westcentralus"),
    ("canadacentral", "canadacentral"),
    ("australiasoutheast", "australiasoutheast"),
    ("southeastasia", "southeastasia"),
    ("centralindia", "centralindia"),
    ("chinaeast2", "chinaeast2"),
    ("japaneast", "japaneast"),
    ("uksouth", "uksouth"),
    ("westeurope", "westeurope"),
    ("usgovvirginia", "usgovvirginia"),
    ("usgovarizona", "usgovarizona"),
)

MAPPING_SOURCE = ("https://learn.microsoft.com/azure/automation/how-to/region-mappings "
                  "(Supported regions for linked Log Analytics workspace)")

#: Azure regions (canonical names) accepted for the region options.
REGIONS = (
    "australiacentral", "australiacentral2", "australiaeast", "australiasoutheast",
    "brazilsouth", "brazilsoutheast", "canadacentral", "canadaeast", "centralindia",
    "centralus", "chinaeast", "chinaeast2", "chinaeast3", "chinanorth", "chinanorth2",
    "chinanorth3", "eastasia", "eastus", "eastus2", "francecentral", "francesouth",
    "germanynorth", "germanywestcentral", "israelcentral", "italynorth", "japaneast",
    "japanwest", "koreacentral", "koreasouth", "mexicocentral", "northcentralus",
    "northeurope", "norwayeast", "norwaywest", "polandcentral", "qatarcentral",
    "southafricanorth", "southafricawest", "southcentralus", "southindia", "southeastasia",
    "spaincentral", "swedencentral", "switzerlandnorth", "switzerlandwest", "uaecentral",
    "uaenorth", "uksouth", "ukwest", "usgovarizona", "usgovtexas", "usgovvirginia",
    "westcentralus", "westeurope", "westindia", "westus", "westus2", "westus3",
)


def normalize(name):
    """``"West Europe"`` / ``"west-europe"`` / ``"WestEurope"`` -> ``"westeurope"``; None stays None."""
    if name is None:
        return None
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def is_known(name):
    return normalize(name) in REGIONS


def linked_workspace_regions(account_region):
    """The workspace regions an account in ``account_region`` may link to (sorted)."""
    account = normalize(account_region)
    return sorted(ws for ws, acc in LINKED_PAIRS if acc == account)


def linked_account_regions(workspace_region):
    """The account regions a workspace in ``workspace_region`` may link to (sorted)."""
    workspace = normalize(workspace_region)
    return sorted(acc for ws, acc in LINKED_PAIRS if ws == workspace)


def is_supported_pair(account_region, workspace_region):
    return (normalize(workspace_region), normalize(account_region)) in LINKED_PAIRS
