# -*- coding: utf-8 -*-
"""The ``system`` collector against temporary trees.

Probes only reach servers on 127.0.0.1, and names are always answered by an injected resolver:
no test resolves a real name or contacts a real host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import importlib.util
import os
import ssl

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import linux_facts
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import linux_system as ls
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.probe import static_resolver

LOCAL = "127.0.0.1"


def _load_probe_tests():
    """The throw-away PKI and local servers of test_probe.py, loaded by path."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_probe.py")
    spec = importlib.util.spec_from_file_location("hrw_test_probe_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PT = _load_probe_tests()


def write(root, logical, text=""):
    path = os.path.join(str(root), logical.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    return path


def collect(root, **options):
    errors = []
    opts = {"probe_endpoints": False, "probe_timeout": 2.0}
    opts.update(options)
    return ls.collect_system(str(root), errors, {}, opts), errors


def apt_host(root, sources=""):
    write(root, "/var/lib/dpkg/status", "Package: dpkg\nStatus: install ok installed\n")
    for name in ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock", "/var/lib/apt/lists/lock",
                 "/var/cache/apt/archives/lock"):
        write(root, name)
    os.makedirs(os.path.join(str(root), "var/lib/dpkg/updates"), exist_ok=True)
    os.symlink("/proc", os.path.join(str(root), "proc"))  # the real /proc/locks and pids
    write(root, "/etc/apt/sources.list", sources)


# --------------------------------------------------------------------------- shape


def test_empty_tree_never_raises_and_reports_nothing_known(tmp_path):
    system, errors = collect(tmp_path)
    assert system["package_manager"] == {"name": None, "locks": [], "lock_held": None, "interrupted": None,
                                         "interrupted_evidence": []}
    assert system["repositories"] is None and system["repositories_probed"] is False
    assert system["update_log"] == {"path": ls.UPDATE_LOG, "exists": False, "size_bytes": None, "mtime": None}
    assert system["cpu"]["usable"] == os.cpu_count() and system["cpu"]["source"] == "cpu_count"
    assert errors == []


def test_real_root_uses_the_affinity_mask():
    cpu = ls.collect_cpu("/")
    assert cpu == {"usable": len(os.sched_getaffinity(0)), "online": os.cpu_count(), "source": "sched_getaffinity"}


def test_collect_puts_system_in_the_document_without_probing_anything(tmp_path):
    apt_host(tmp_path, "deb https://archive.ubuntu.invalid/ubuntu jammy main\n")
    doc = linux_facts.collect(root=str(tmp_path), probe_endpoints=False)
    assert doc["system"]["package_manager"]["name"] == "apt"
    assert doc["system"]["repositories_probed"] is False
    assert doc["system"]["repositories"][0]["probe"] is None


# --------------------------------------------------------------------------- package manager


@pytest.mark.parametrize("files, name", [
    (["/usr/bin/apt-get"], "apt"),
    (["/var/lib/dpkg/status"], "apt"),
    (["/usr/bin/dnf", "/usr/bin/yum"], "dnf"),
    (["/usr/bin/yum"], "yum"),
    (["/usr/bin/zypper"], "zypper"),
    ([], None),
])
def test_detect_package_manager(tmp_path, files, name):
    for logical in files:
        write(tmp_path, logical)
    assert ls.detect_package_manager(str(tmp_path)) == name


def test_apt_lock_free(tmp_path):
    apt_host(tmp_path)
    system, errors = collect(tmp_path)
    pm = system["package_manager"]
    assert pm["name"] == "apt" and pm["lock_held"] is False and pm["interrupted"] is False
    assert [lk["path"] for lk in pm["locks"]] == [p for _kind, p in ls.LOCKS["apt"]]
    assert all(lk["exists"] and lk["held"] is False for lk in pm["locks"])
    assert errors == []


def test_apt_lock_held_is_found_in_proc_locks_without_taking_it(tmp_path):
    apt_host(tmp_path)
    lock = os.path.join(str(tmp_path), "var/lib/dpkg/lock-frontend")
    with open(lock, "w") as handle:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as apt does (fcntl F_SETLK)
        system, errors = collect(tmp_path)
    pm = system["package_manager"]
    assert pm["lock_held"] is True
    held = [lk for lk in pm["locks"] if lk["held"]]
    assert [lk["path"] for lk in held] == ["/var/lib/dpkg/lock-frontend"]
    assert held[0]["pid"] == os.getpid()
    assert errors == []
    # released: free again (the collector never kept a lock of its own)
    system, errors = collect(tmp_path)
    assert system["package_manager"]["lock_held"] is False


def test_missing_lock_files_are_not_held(tmp_path):
    apt_host(tmp_path)
    os.remove(os.path.join(str(tmp_path), "var/lib/dpkg/lock"))
    system, errors = collect(tmp_path)
    lock = [lk for lk in system["package_manager"]["locks"] if lk["path"] == "/var/lib/dpkg/lock"][0]
    assert lock == {"path": "/var/lib/dpkg/lock", "kind": "fcntl", "exists": False, "held": False, "pid": None}
    assert system["package_manager"]["lock_held"] is False


def test_unreadable_proc_locks_is_unknown_with_an_error(tmp_path):
    write(tmp_path, "/var/lib/dpkg/status")
    write(tmp_path, "/var/lib/dpkg/lock-frontend")
    os.makedirs(os.path.join(str(tmp_path), "proc/locks"))  # a directory where the file should be
    system, errors = collect(tmp_path)
    assert system["package_manager"]["lock_held"] is None
    assert [e["where"] for e in errors] == ["system.package_manager.locks"]


def test_unstatable_lock_is_unknown_with_an_error(tmp_path):
    write(tmp_path, "/usr/bin/apt-get")
    write(tmp_path, "/var/lib/dpkg", "a file where a directory should be")
    system, errors = collect(tmp_path)
    assert system["package_manager"]["lock_held"] is None
    assert "system.package_manager.locks" in [e["where"] for e in errors]


def test_interrupted_dpkg(tmp_path):
    apt_host(tmp_path)
    write(tmp_path, "/var/lib/dpkg/updates/0001", "Package: foo\n")
    write(tmp_path, "/var/lib/dpkg/updates/tmp.i")  # dpkg's scratch file is not an entry
    system, errors = collect(tmp_path)
    assert system["package_manager"]["interrupted"] is True
    assert system["package_manager"]["interrupted_evidence"] == ["/var/lib/dpkg/updates/0001"]


def test_pidfile_locks(tmp_path):
    write(tmp_path, "/usr/bin/yum")
    os.symlink("/proc", os.path.join(str(tmp_path), "proc"))
    write(tmp_path, "/var/run/yum.pid", "%d\n" % os.getpid())
    system, errors = collect(tmp_path)
    pm = system["package_manager"]
    assert pm["name"] == "yum" and pm["lock_held"] is True and pm["locks"][0]["pid"] == os.getpid()
    assert pm["interrupted"] is None
    write(tmp_path, "/var/run/yum.pid", "999999999\n")  # beyond pid_max: no such process
    system, errors = collect(tmp_path)
    assert system["package_manager"]["lock_held"] is False


# --------------------------------------------------------------------------- repositories


def test_apt_sources_one_line_and_deb822(tmp_path):
    apt_host(tmp_path, "# comment\n"
             "deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] https://Mirror.Example.invalid/ubuntu jammy main\n"
             "deb-src http://src.example.invalid/ubuntu jammy main  # trailing comment\n"
             "deb https://mirror.example.invalid/ubuntu jammy-updates main\n"   # same host: once
             "deb cdrom:[Ubuntu 22.04]/ jammy main\n")
    write(tmp_path, "/etc/apt/sources.list.d/extra.list", "deb http://extra.example.invalid:8080/debian stable main\n")
    write(tmp_path, "/etc/apt/sources.list.d/ubuntu.sources",
          "Types: deb\nURIs: https://a.example.invalid/ubuntu/\n https://b.example.invalid/ubuntu/\nSuites: jammy\n"
          "Components: main\n\nTypes: deb\nURIs: https://disabled.example.invalid/\nEnabled: no\n")
    write(tmp_path, "/etc/apt/sources.list.d/ignored.save", "deb https://ignored.example.invalid/ x main\n")
    system, errors = collect(tmp_path)
    got = [(r["scheme"], r["host"], r["port"], r["source"]) for r in system["repositories"]]
    assert got == [
        ("https", "mirror.example.invalid", 443, "/etc/apt/sources.list"),
        ("http", "src.example.invalid", 80, "/etc/apt/sources.list"),
        ("http", "extra.example.invalid", 8080, "/etc/apt/sources.list.d/extra.list"),
        ("https", "a.example.invalid", 443, "/etc/apt/sources.list.d/ubuntu.sources"),
        ("https", "b.example.invalid", 443, "/etc/apt/sources.list.d/ubuntu.sources"),
    ]
    assert all(r["probe"] is None for r in system["repositories"])
    assert errors == []


def test_yum_repos(tmp_path):
    write(tmp_path, "/usr/bin/yum")
    write(tmp_path, "/etc/yum.repos.d/base.repo",
          "[base]\nname=Base\nbaseurl=https://repo.example.invalid/el8/base/\n"
          "        http://second.example.invalid/el8/base/\nenabled=1\n\n"
          "[off]\nbaseurl=https://off.example.invalid/\nenabled=0\n\n"
          "[epel]\nmetalink=https://mirrors.example.invalid/metalink?repo=epel-8\n")
    system, errors = collect(tmp_path)
    assert [r["host"] for r in system["repositories"]] == [
        "repo.example.invalid", "second.example.invalid", "mirrors.example.invalid"]


def test_zypper_repos(tmp_path):
    write(tmp_path, "/usr/bin/zypper")
    write(tmp_path, "/etc/zypp/repos.d/sle.repo", "[sle]\nenabled=1\nbaseurl=https://updates.suse.invalid/SLE15/\n")
    system, errors = collect(tmp_path)
    assert [(r["host"], r["port"]) for r in system["repositories"]] == [("updates.suse.invalid", 443)]


def test_unreadable_sources_file_is_an_error_not_a_crash(tmp_path):
    apt_host(tmp_path)
    os.remove(os.path.join(str(tmp_path), "etc/apt/sources.list"))
    os.makedirs(os.path.join(str(tmp_path), "etc/apt/sources.list"))
    system, errors = collect(tmp_path)
    assert system["repositories"] == []
    assert [e["where"] for e in errors] == ["system.repositories"]


# --------------------------------------------------------------------------- probes (127.0.0.1 only)


@pytest.fixture
def tls_repo(tmp_path):
    ca = PT._CA("HRW Repo Test CA")
    cert, key = ca.issue(["repo.example.invalid"])
    chain = PT._write_chain(tmp_path, "repo", cert, key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*chain)
    server = PT._Server("tls", context)
    yield {"port": server.port, "cafile": ca.write(tmp_path / "repo-ca.crt")}
    server.close()


@pytest.fixture
def closed_port():
    import socket
    sock = socket.socket()
    sock.bind((LOCAL, 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_repositories_are_probed_only_when_asked(tmp_path, tls_repo, closed_port):
    root = tmp_path / "root"
    sources = ("deb https://repo.example.invalid:%d/ubuntu jammy main\n"
               "deb http://plain.example.invalid:%d/ubuntu jammy main\n"
               "deb http://closed.example.invalid:%d/ubuntu jammy main\n"
               "deb https://unknown.example.invalid/ubuntu jammy main\n")
    apt_host(root, sources % (tls_repo["port"], tls_repo["port"], closed_port))
    resolver = static_resolver({"repo.example.invalid": LOCAL, "plain.example.invalid": LOCAL,
                                "closed.example.invalid": LOCAL})
    system, errors = collect(root, probe_endpoints=True, resolver=resolver, cafile=tls_repo["cafile"])
    assert system["repositories_probed"] is True
    probes = dict((r["host"], r["probe"]) for r in system["repositories"])
    assert probes["repo.example.invalid"]["error_class"] is None
    assert probes["repo.example.invalid"]["tls"]["ok"] is True
    assert probes["plain.example.invalid"]["error_class"] is None   # http: TCP is enough
    assert probes["plain.example.invalid"]["tls"] is None
    assert probes["closed.example.invalid"]["error_class"] == "refused"
    assert probes["unknown.example.invalid"]["error_class"] == "dns"
    assert errors == []

    # the same tree without probes: nothing is contacted, nothing is probed
    system, errors = collect(root, probe_endpoints=False, resolver=resolver)
    assert system["repositories_probed"] is False
    assert all(r["probe"] is None for r in system["repositories"])


def test_untrusted_repository_certificate_is_tls(tmp_path, tls_repo):
    root = tmp_path / "root"
    apt_host(root, "deb https://repo.example.invalid:%d/ubuntu jammy main\n" % tls_repo["port"])
    other_ca = PT._CA("Someone Else").write(tmp_path / "other.crt")
    system, errors = collect(root, probe_endpoints=True, cafile=other_ca,
                             resolver=static_resolver({"repo.example.invalid": LOCAL}))
    probe = system["repositories"][0]["probe"]
    assert probe["error_class"] == "tls" and probe["tls"]["issuer"].endswith("CN=HRW Repo Test CA")


def test_probe_failure_is_an_error_not_a_crash(tmp_path):
    apt_host(tmp_path, "deb https://repo.example.invalid/ubuntu jammy main\n")
    system, errors = collect(tmp_path, probe_endpoints=True, probe_timeout=-1,
                             resolver=static_resolver({}))
    assert system["repositories"][0]["probe"] is None
    assert [e["where"] for e in errors] == ["system.repositories"]


# --------------------------------------------------------------------------- update log


def test_update_log(tmp_path):
    path = write(tmp_path, ls.UPDATE_LOG, "x" * 1234)
    os.utime(path, (1795000000, 1795000000))
    system, errors = collect(tmp_path)
    assert system["update_log"] == {"path": ls.UPDATE_LOG, "exists": True, "size_bytes": 1234,
                                    "mtime": "2026-11-18T11:06:40Z"}  # 1795000000 s after the epoch


def test_update_log_unstatable(tmp_path):
    write(tmp_path, "/var/opt/microsoft/omsagent/run", "a file where a directory should be")
    system, errors = collect(tmp_path)
    assert system["update_log"]["exists"] is None
    assert [e["where"] for e in errors] == ["system.update_log"]
