# -*- coding: utf-8 -*-
"""The accounts collector (linux_accounts.py) against temporary root trees."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import linux_accounts as la

AW = la.AW
UID = os.getuid()

PASSWD = (
    "root:x:0:0:root:/root:/bin/bash\n"
    "omsagent:x:998:997:OMS agent:/var/opt/microsoft/omsagent/run:/bin/bash\n"
    "nxautomation:x:997:996::/home/nxautomation/run:/bin/sh\n"
    "# a comment\n"
    "broken-line\n"
)
GROUP = (
    "root:x:0:\n"
    "omiusers:x:999:omsagent,nxautomation\n"
    "omsagent:x:997:nxautomation\n"
    "nxautomation:x:996:\n"
)
DROPIN = (
    "# Begin sudo configuration for omsagent\n"
    "Defaults:omsagent !requiretty\n"
    "omsagent ALL=(nxautomation) NOPASSWD: /usr/bin/python3 \\\n"
    "    %s/3.x/worker/main.py\n"
    "# End sudo configuration for omsagent\n\n"
    "nxautomation ALL=(ALL) NOPASSWD: ALL\n"
    "Defaults:nxautomation !requiretty\n" % AW
)
SUDOERS = "Defaults\tenv_reset\nroot\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n"


class Tree(object):
    def __init__(self, root):
        self.root = str(root)

    def path(self, logical):
        return os.path.join(self.root, logical.lstrip("/"))

    def write(self, logical, text="", mode=0o644):
        p = self.path(logical)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def mkdir(self, logical, mode=0o755):
        p = self.path(logical)
        os.makedirs(p, exist_ok=True)
        os.chmod(p, mode)
        return p

    def healthy(self):
        self.write("/etc/passwd", PASSWD)
        self.write("/etc/group", GROUP)
        self.write("/etc/sudoers", SUDOERS, 0o440)
        self.write("/etc/sudoers.d/omsagent", DROPIN, 0o440)
        self.write("/etc/sudoers.d/README", "# comments only\n", 0o440)
        self.write("/usr/bin/gpg", "#!/bin/sh\n", 0o755)
        self.write("/usr/bin/python3.11", "#!/bin/sh\n", 0o755)
        os.symlink("python3.11", self.path("/usr/bin/python3"))
        self.write(la.DEFAULT_KEYRING, "", 0o644)
        for d in ("/home/nxautomation", "/home/nxautomation/run", "/home/nxautomation/state"):
            self.mkdir(d, 0o770)
        for tree in ("worker", "3.x/worker"):
            for name in la.WORKER_TREE_FILES:
                self.write(AW + "/" + tree + "/" + name, "")
        return self


def worker_facts(user=None, system=None):
    def conf(opts):
        return None if opts is None else {"worker-required": {}, "worker-optional": opts}
    return {"worker": {"user_worker_conf": conf(user), "system_worker_conf": conf(system)}}


@pytest.fixture
def tree(tmp_path):
    return Tree(tmp_path / "root").healthy()


def collect(tree, facts=None):
    errors = []
    section = la.collect_accounts(tree.root, errors, facts if facts is not None else worker_facts({}, {}), {})
    return section, errors


def test_healthy_tree(tree):
    acc, errors = collect(tree)
    assert errors == []
    assert sorted(acc) == ["gpg", "groups", "home", "python3", "sudoers", "users", "worker_trees"]
    assert acc["users"]["nxautomation"] == {"uid": 997, "gid": 996, "home": "/home/nxautomation/run",
                                            "shell": "/bin/sh", "primary_group": "nxautomation"}
    assert acc["users"]["omsagent"]["primary_group"] == "omsagent"
    # primary-group members count as members
    assert acc["groups"]["nxautomation"] == {"gid": 996, "members": ["nxautomation"]}
    assert acc["groups"]["omsagent"]["members"] == ["nxautomation", "omsagent"]
    assert acc["groups"]["omiusers"]["members"] == ["nxautomation", "omsagent"]
    sudo = acc["sudoers"]
    assert sudo["includedir"] is True and sudo["block_in_sudoers"] is False
    assert sudo["nxautomation_nopasswd_all"] is True
    assert sudo["nxautomation_requiretty_exempt"] is True
    assert sudo["global_requiretty"] == []
    assert sudo["dropin"]["mode"] == "0440" and sudo["dropin"]["exists"] is True
    assert sudo["dropin"]["uid"] == UID
    lines = [e["line"] for e in sudo["entries"]]
    assert "omsagent ALL=(nxautomation) NOPASSWD: /usr/bin/python3 %s/3.x/worker/main.py" % AW in lines
    assert [e["in_block"] for e in sudo["entries"]] == [True, True, False, False]
    assert acc["gpg"]["binaries"] == ["/usr/bin/gpg"]
    assert [k["worker"] for k in acc["gpg"]["keyrings"]] == ["user", "system"]
    keyring = acc["gpg"]["keyrings"][0]
    assert keyring["path"] == la.DEFAULT_KEYRING and keyring["enforce_runbook_signature_validation"] is True
    assert keyring["enforce_setting"] is None and keyring["file"]["mode"] == "0644"
    assert keyring["nxautomation_can_read"] is True
    assert acc["home"]["home"]["mode"] == "0770" and acc["home"]["run"]["type"] == "directory"
    assert acc["python3"] == {"path": "/usr/bin/python3", "exists": True, "is_file": True,
                              "executable": True, "link_target": "python3.11"}
    assert acc["worker_trees"]["py3"]["complete"] and acc["worker_trees"]["py2"]["complete"]
    assert acc["worker_trees"]["py3"]["path"] == AW + "/3.x/worker"


def test_block_in_sudoers_without_includedir(tree):
    os.unlink(tree.path("/etc/sudoers.d/omsagent"))
    tree.write("/etc/sudoers", "Defaults requiretty\nroot ALL=(ALL) ALL\n" + DROPIN, 0o440)
    sudo = collect(tree)[0]["sudoers"]
    assert sudo["includedir"] is False and sudo["block_in_sudoers"] is True
    assert sudo["dropin"]["exists"] is False
    assert sudo["nxautomation_nopasswd_all"] is True and sudo["nxautomation_requiretty_exempt"] is True
    assert sudo["global_requiretty"] == [{"file": "/etc/sudoers", "line": "Defaults requiretty"}]


def test_dropin_not_included_is_reported_but_not_in_effect(tree):
    tree.write("/etc/sudoers", "root ALL=(ALL) ALL\n", 0o440)
    sudo = collect(tree)[0]["sudoers"]
    assert sudo["includedir"] is False and sudo["dropin"]["exists"] is True
    assert sudo["nxautomation_nopasswd_all"] is False  # sudo never reads it
    assert [e["file"] for e in sudo["entries"]] == ["/etc/sudoers.d/omsagent"] * 4


def test_requiretty_in_another_dropin_and_missing_exemption(tree):
    tree.write("/etc/sudoers.d/omsagent", DROPIN.replace("Defaults:nxautomation !requiretty\n", ""), 0o440)
    tree.write("/etc/sudoers.d/10-tty", "Defaults    requiretty, env_reset  # site policy\n", 0o440)
    tree.write("/etc/sudoers.d/ignored.bak", "Defaults requiretty\n", 0o440)  # has a dot: sudo skips it
    sudo = collect(tree)[0]["sudoers"]
    assert sudo["nxautomation_requiretty_exempt"] is False
    assert sudo["global_requiretty"] == [{"file": "/etc/sudoers.d/10-tty", "line": "Defaults    requiretty, env_reset"}]


def test_negated_and_scoped_requiretty_are_not_global(tree):
    tree.write("/etc/sudoers.d/10-tty", "Defaults !requiretty\nDefaults:bob requiretty\n#Defaults requiretty\n", 0o440)
    assert collect(tree)[0]["sudoers"]["global_requiretty"] == []


def test_no_sudoers_at_all(tree):
    os.unlink(tree.path("/etc/sudoers"))
    os.unlink(tree.path("/etc/sudoers.d/omsagent"))
    sudo, errors = collect(tree)
    assert errors == []
    assert sudo["sudoers"]["sudoers"]["exists"] is False and sudo["sudoers"]["includedir"] is None


def test_unreadable_file_is_null_with_error_as_root_too(tree):
    # a directory where a file is expected: unreadable for anybody, root included
    os.unlink(tree.path("/etc/passwd"))
    tree.mkdir("/etc/passwd")
    acc, errors = collect(tree)
    assert acc["users"] is None
    assert acc["groups"]["nxautomation"]["members"] == []  # no primary-group info without passwd
    assert [e["where"] for e in errors] == ["accounts.users"]
    assert "/etc/passwd" in errors[0]["error"]


def test_missing_users_and_groups(tree):
    tree.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n")
    tree.write("/etc/group", "root:x:0:\nomiusers:x:999:\n")
    acc = collect(tree)[0]
    assert acc["users"] == {"nxautomation": None, "omsagent": None}
    assert acc["groups"] == {"omiusers": {"gid": 999, "members": []}, "nxautomation": None, "omsagent": None}


def test_owner_names_come_from_the_tree(tree):
    acc = collect(tree)[0]
    uid_name = {0: "root", 997: "nxautomation", 998: "omsagent"}.get(UID, str(UID))
    assert acc["home"]["home"]["owner"] == uid_name


def test_keyring_from_worker_conf_and_readability(tree):
    tree.write("/etc/custom/ring.gpg", "", 0o600)
    facts = worker_facts({"gpg_public_keyring_path": "/etc/custom/ring.gpg",
                          "enforce_runbook_signature_validation": "False"}, None)
    acc = collect(tree, facts)[0]
    [keyring] = acc["gpg"]["keyrings"]
    assert keyring["worker"] == "user" and keyring["path"] == "/etc/custom/ring.gpg"
    assert keyring["enforce_runbook_signature_validation"] is False and keyring["enforce_setting"] == "False"
    # owned by the test user (not nxautomation), mode 600: nxautomation cannot read it
    assert keyring["nxautomation_can_read"] is (UID == 997)
    assert keyring["file"]["mode"] == "0600"


def test_keyring_readable_by_group_only_when_nxautomation_is_in_it(tree):
    gid = os.getgid()
    os.chmod(tree.path(la.DEFAULT_KEYRING), 0o640)
    tree.write("/etc/group", GROUP + "ringgroup:x:%d:nxautomation\n" % gid)
    assert collect(tree)[0]["gpg"]["keyrings"][0]["nxautomation_can_read"] is True
    tree.write("/etc/group", GROUP + "ringgroup:x:%d:\n" % gid)
    expected = UID == 997 or gid in (996, 997, 999)
    assert collect(tree)[0]["gpg"]["keyrings"][0]["nxautomation_can_read"] is expected


def test_keyring_behind_a_closed_directory(tree):
    os.chmod(tree.path("/etc/opt/omi/conf/omsconfig"), 0o700)
    try:
        assert collect(tree)[0]["gpg"]["keyrings"][0]["nxautomation_can_read"] is (UID == 997)
    finally:
        os.chmod(tree.path("/etc/opt/omi/conf/omsconfig"), 0o755)


def test_keyring_missing(tree):
    os.unlink(tree.path(la.DEFAULT_KEYRING))
    keyring = collect(tree)[0]["gpg"]["keyrings"][0]
    assert keyring["file"]["exists"] is False and keyring["nxautomation_can_read"] is None


def test_no_worker_conf_no_keyrings(tree):
    assert collect(tree, {})[0]["gpg"]["keyrings"] == []
    assert la.collect_accounts(tree.root, [], None, {})["gpg"]["keyrings"] == []


def test_gpg2_and_no_gpg(tree):
    os.unlink(tree.path("/usr/bin/gpg"))
    assert collect(tree)[0]["gpg"]["binaries"] == []
    tree.write("/usr/local/bin/gpg2", "", 0o755)
    tree.write("/usr/bin/gpg", "", 0o644)  # not executable: does not count
    assert collect(tree)[0]["gpg"]["binaries"] == ["/usr/local/bin/gpg2"]


def test_python3_missing_dangling_and_not_executable(tree):
    os.unlink(tree.path("/usr/bin/python3.11"))
    py = collect(tree)[0]["python3"]
    assert py == {"path": "/usr/bin/python3", "exists": True, "is_file": False, "executable": False,
                  "link_target": "python3.11"}
    os.unlink(tree.path("/usr/bin/python3"))
    assert collect(tree)[0]["python3"]["exists"] is False
    tree.write("/usr/bin/python3", "", 0o644)
    py = collect(tree)[0]["python3"]
    assert py["exists"] and py["is_file"] and py["executable"] is False and py["link_target"] is None


def test_home_missing_and_modes(tree):
    os.chmod(tree.path("/home/nxautomation/run"), 0o755)
    home = collect(tree)[0]["home"]
    assert home["run"]["mode"] == "0755"
    for d in ("/home/nxautomation/run", "/home/nxautomation/state", "/home/nxautomation"):
        os.rmdir(tree.path(d))
    home, errors = collect(tree)
    assert errors == [] and home["home"]["home"]["exists"] is False and home["home"]["home"]["mode"] is None


def test_worker_trees_incomplete(tree):
    os.unlink(tree.path(AW + "/3.x/worker/configuration.py"))
    trees = collect(tree)[0]["worker_trees"]
    assert trees["py3"]["complete"] is False and trees["py3"]["files"]["configuration.py"] is False
    assert trees["py2"]["complete"] is True


def test_empty_root_never_raises(tmp_path):
    errors = []
    acc = la.collect_accounts(str(tmp_path), errors, {"worker": "junk"}, None)
    assert acc["users"] is None and acc["groups"] is None and errors == []
    assert acc["sudoers"]["includedir"] is None
    assert acc["python3"]["exists"] is False
    assert acc["worker_trees"]["py2"]["complete"] is False


def test_parsers():
    assert la.parse_passwd("a:x:1:2:g:/h:/s\na:x:5:5::/x:/y\n") == {"a": {"uid": 1, "gid": 2, "home": "/h", "shell": "/s"}}
    assert la.parse_group("g:x:7: a , b\n") == {"g": {"gid": 7, "members": ["a", "b"]}}
