"""Session fixture ``lab``: the lab of simulated Linux hybrid workers (tests/lab/README.md).

The lab is brought up once per session in its own state dir under the repo's ``.tmp/``
and ALWAYS taken down (by the ids it started), also when a test fails or the run gets
SIGTERM. A lab left by a killed run (SIGKILL) is ended at the start of the next session.
HRW_LAB_FAULTS=healthy,agent_stopped limits the hosts; HRW_LAB_NET=N picks the lab network
(127.N.1.x) instead of the first free one, for labs that come up side by side.
"""
import os
import signal

import pytest

from tests.lab import DEFAULT_STATE_DIR
from tests.lab.lab import Lab, LabError, find_labs, free_net, preflight, running


def _end_stale_labs():
    for state_dir in find_labs():
        owner = Lab(state_dir)._load().get("owner_pid")
        if owner and not running(owner):  # a SIGKILLed owner may linger as a zombie
            Lab(state_dir).down()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt("SIGTERM")  # so pytest runs the session finalizers


@pytest.fixture(scope="session")
def lab():
    """Lab object: .inventory (path), .hosts (name -> ip), .faults (name -> Fault), .state_dir."""
    try:
        preflight()
    except LabError as exc:
        pytest.fail(str(exc), pytrace=False)
    _end_stale_labs()
    state_dir = os.path.join(os.path.dirname(DEFAULT_STATE_DIR), "lab-pytest-%d" % os.getpid())
    net = int(os.environ["HRW_LAB_NET"]) if os.environ.get("HRW_LAB_NET") else free_net()
    the_lab = Lab(state_dir, net=net)
    faults = [f for f in os.environ.get("HRW_LAB_FAULTS", "").split(",") if f] or None
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        the_lab.up(faults, owner_pid=os.getpid())
        yield the_lab
    finally:
        try:
            the_lab.down()
        finally:
            signal.signal(signal.SIGTERM, previous)
