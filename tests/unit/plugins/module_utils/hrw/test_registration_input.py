# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the registration inputs: each names the field and the form, none repeats a key."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.registration_input import (
    check_account_key,
    check_group_name,
    check_registration_url,
    check_workspace_id,
)

ACCOUNT = "9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f"
KEY = base64.b64encode(bytes(range(64))).decode("ascii")


@pytest.mark.parametrize("url, cloud, form", [
    ("https://%s.agentsvc.we.azure-automation.net/accounts/%s" % (ACCOUNT, ACCOUNT), "public", "account"),
    ("https://%s.agentsvc.usgv.azure-automation.us/accounts/%s/" % (ACCOUNT, ACCOUNT), "usgov", "account"),
    ("https://%s.agentsvc.cne2.azure-automation.cn:443/accounts/%s" % (ACCOUNT, ACCOUNT), "china", "account"),
    ("https://we-agentservice-prod-1.azure-automation.net/accounts/%s" % ACCOUNT, "public", "regional"),
    ("https://gec-agentservice-prod-1.azure-automation.de/accounts/%s" % ACCOUNT.upper(), "germany", "regional"),
    ("  HTTPS://EUS2-AGENTSERVICE-PROD-1.Azure-Automation.net/accounts/%s  " % ACCOUNT, "public", "regional"),
])
def test_registration_urls_of_every_cloud_and_form(url, cloud, form):
    parsed = check_registration_url(url)
    assert parsed["account_id"] == ACCOUNT and parsed["cloud"] == cloud and parsed["form"] == form
    assert parsed["url"] == "https://%s/accounts/%s" % (parsed["host"], ACCOUNT)


@pytest.mark.parametrize("url, why", [
    ("http://we-agentservice-prod-1.azure-automation.net/accounts/%s" % ACCOUNT, "the scheme must be https"),
    ("https://we-agentservice-prod-1.azure-automation.com/accounts/%s" % ACCOUNT, "the host must be an Automation host"),
    ("https://evil.example/accounts/%s#.azure-automation.net" % ACCOUNT, "it must not have a query or fragment"),
    ("https://azure-automation.net.evil.example/accounts/%s" % ACCOUNT, "the host must be an Automation host"),
    ("https://we-agentservice-prod-1.azure-automation.net/accounts/not-a-guid", "the path must be /accounts/"),
    ("https://we-agentservice-prod-1.azure-automation.net/", "the path must be /accounts/"),
    ("https://u:p@we-agentservice-prod-1.azure-automation.net/accounts/%s" % ACCOUNT, "user name or password"),
    ("https://we-agentservice-prod-1.azure-automation.net:8443/accounts/%s" % ACCOUNT, "the port must be 443"),
    ("https://we-agentservice-prod-1.azure-automation.net/accounts/%s?a=1" % ACCOUNT, "query or fragment"),
    ("https://jrds.azure-automation.net/accounts/%s" % ACCOUNT, "<accountId>.agentsvc.<region>"),
    ("https://0f5ac2de-1234-4cde-9f00-5d6c7e8f9a0b.agentsvc.we.azure-automation.net/accounts/%s" % ACCOUNT,
     "the account id in the host (0f5ac2de-1234-4cde-9f00-5d6c7e8f9a0b) and in the path"),
    ("", "the scheme must be https"),
])
def test_bad_registration_urls_name_the_field_the_form_and_why(url, why):
    with pytest.raises(ValueError) as err:
        check_registration_url(url)
    text = str(err.value)
    assert text.startswith("registration_url must be the Automation account's registration URL, https://")
    assert why in text


def test_account_key_accepted_and_returned_unchanged():
    assert check_account_key(KEY) == KEY
    assert check_account_key(" %s\n" % KEY) == KEY


@pytest.mark.parametrize("key, why", [
    ("", "it is empty"),
    (None, "it is empty"),
    ("not base64 at all!", "it is not base64"),
    (KEY[:-4], "it decodes to 63 bytes, an account key has 64"),
    (base64.b64encode(b"x" * 32).decode(), "it decodes to 32 bytes"),
    (KEY[:-1], "it is not base64 (87 characters)"),
])
def test_bad_account_keys_are_described_never_shown(key, why):
    with pytest.raises(ValueError) as err:
        check_account_key(key, field="account_key")
    text = str(err.value)
    assert text.startswith("account_key must be the Automation account's primary or secondary access key")
    assert why in text
    if key:
        assert key.strip() not in text


def test_workspace_id_is_a_guid():
    assert check_workspace_id(" 5E1AB0C0-DE00-4A1B-9C2D-3E4F5A6B7C8D ") == "5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d"
    with pytest.raises(ValueError) as err:
        check_workspace_id("5e1ab0c0")
    assert str(err.value).startswith("workspace_id must be a Log Analytics workspace id, a GUID such as")


@pytest.mark.parametrize("name, why", [
    ("", "it is empty"), ("a" * 129, "it is 129 characters long"), ("ops/web", "it contains '/'"),
    ("ops.web", "it contains '.'"), ("tab\there", "it contains '\\t'"),
])
def test_group_names_follow_azure_rules(name, why):
    with pytest.raises(ValueError) as err:
        check_group_name(name)
    assert str(err.value).startswith("group_name must be a hybrid worker group name: 1 to 128 characters")
    assert why in str(err.value)
    assert check_group_name("  hrw-group_1 (prod)  ") == "hrw-group_1 (prod)"
