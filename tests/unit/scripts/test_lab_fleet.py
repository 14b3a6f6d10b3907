"""The lab's fleets of many hosts (issue 8: the benchmark's 50 hosts from 37 faults).

No root needed: only names, faults and addresses are checked, nothing is started.
"""
import importlib.util
import os

import pytest

from tests.lab.faults import FAULTS, fault_of, is_fault_host
from tests.lab.lab import Lab

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")


def _bench():
    spec = importlib.util.spec_from_file_location("bench", os.path.join(ROOT, "scripts", "bench.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_more_hosts_of_one_fault_are_that_fault_with_their_own_hostname():
    copy = fault_of("endpoints_blackholed-3")
    assert copy.endpoints == "blackhole" and copy.expected_failed == FAULTS["endpoints_blackholed"].expected_failed
    assert copy.hostname == "hrw-endpoints-blackholed-3"
    assert fault_of("healthy") is FAULTS["healthy"]


@pytest.mark.parametrize("name", ["healthy-1", "healthy-0", "healthy-x", "nosuch-2", "healthy-"])
def test_bad_host_names(name):
    assert not is_fault_host(name)


def test_bench_fleet_of_50_has_every_fault_and_unique_addresses(tmp_path):
    names = _bench().host_names(50)
    assert len(names) == len(set(names)) == 50
    assert set(FAULTS) <= set(names) and "endpoints_blackholed" in names
    assert all(is_fault_host(n) for n in names)
    lab = Lab(str(tmp_path / "lab"), net=61)
    lab.fault_names = names
    hosts = lab.hosts
    assert len(set(hosts.values())) == 50
    # the faults keep the addresses they always had; the further hosts are on 127.61.3.x
    assert hosts["healthy"] == "127.61.1.1" and hosts["healthy-2"] == "127.61.3.1"
