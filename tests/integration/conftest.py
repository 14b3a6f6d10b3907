"""Session fixture ``lab``: the lab of simulated Linux hybrid workers (tests/lab/README.md).

The lab is brought up once per session in its own state dir under the repo's ``.tmp/``
and ALWAYS taken down (by the ids it started), also when a test fails or the run gets
SIGTERM. A lab left by a killed run (SIGKILL) is ended at the start of the next session.
HRW_LAB_FAULTS=healthy,agent_stopped limits the hosts; HRW_LAB_NET=N picks the lab network
(127.N.1.x) instead of the first free one, for labs that come up side by side.

Fixture ``run_diagnose``: runs ``ansible-playbook azure_hrw.doctor.diagnose`` with this
checkout's collection and ansible.cfg, asserts it succeeded and returns its output.
"""
import os
import signal
import subprocess
import sys

import pytest

from tests.lab import DEFAULT_STATE_DIR
from tests.lab.lab import Lab, LabError, find_labs, free_net, preflight, running


_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def run_diagnose():
    """``run_diagnose(*args, timeout=600)``: the diagnose playbook with ``args``; its stdout."""
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(_ROOT, ".tmp", "collections"),
        "ANSIBLE_CONFIG": os.path.join(_ROOT, "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
    })
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

    def run(*args, timeout=600):
        proc = subprocess.run([playbook, "azure_hrw.doctor.diagnose"] + [str(a) for a in args], cwd=_ROOT,
                              env=env, capture_output=True, text=True, timeout=timeout, check=False)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
        return proc.stdout
    return run


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
