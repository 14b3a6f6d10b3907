"""Session fixture ``lab``: the lab of simulated Linux hybrid workers (tests/lab/README.md).

The lab is brought up once per session in its own state dir under the repo's ``.tmp/``
and ALWAYS taken down (by the ids it started), also when a test fails or the run gets
SIGTERM. A lab left by a killed run (SIGKILL) is ended at the start of the next session.
HRW_LAB_FAULTS=healthy,agent_stopped limits the hosts; HRW_LAB_NET=N picks the lab network
(127.N.1.x) instead of the first free one, for labs that come up side by side.

Fixture ``lab_factory``: ``lab_factory(faults)`` brings up a separate small lab (own state dir
and network) for one test module and takes it down at the module's end, for tests that stop
hosts and so must not touch the shared session lab.

Fixture ``run_diagnose``: runs ``ansible-playbook azure_hrw.doctor.diagnose`` with this
checkout's collection and ansible.cfg, asserts it succeeded and returns its output. Unless the
caller passes ``hrw_report_dir``, the fleet report goes to a temporary directory (not the
checkout).
"""
import contextlib
import itertools
import os
import signal
import subprocess
import sys

import pytest

from tests.lab import DEFAULT_STATE_DIR
from tests.lab.lab import Lab, LabError, find_labs, free_net, preflight, running


_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def run_diagnose(tmp_path_factory):
    """``run_diagnose(*args, timeout=600)``: the diagnose playbook with ``args``; its stdout."""
    report_dir = str(tmp_path_factory.mktemp("hrw-report"))
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(_ROOT, ".tmp", "collections"),
        "ANSIBLE_CONFIG": os.path.join(_ROOT, "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
    })
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

    def run(*args, timeout=600):
        args = [str(a) for a in args]
        if not any(a.startswith("hrw_report_dir=") for a in args):  # never into the checkout
            args += ["-e", "hrw_report_dir=%s" % report_dir]
        proc = subprocess.run([playbook, "azure_hrw.doctor.diagnose"] + args, cwd=_ROOT,
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


@contextlib.contextmanager
def _lab_up(state_dir, net, faults):
    """Bring a lab up in ``state_dir`` on ``net`` and ALWAYS take it down (also on SIGTERM)."""
    try:
        preflight()
    except LabError as exc:
        pytest.fail(str(exc), pytrace=False)
    _end_stale_labs()
    the_lab = Lab(state_dir, net=net)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        the_lab.up(faults, owner_pid=os.getpid())
        yield the_lab
    finally:
        try:
            the_lab.down()
        finally:
            signal.signal(signal.SIGTERM, previous)


_STATE_ROOT = os.path.dirname(DEFAULT_STATE_DIR)


@pytest.fixture(scope="session")
def lab():
    """Lab object: .inventory (path), .hosts (name -> ip), .faults (name -> Fault), .state_dir."""
    state_dir = os.path.join(_STATE_ROOT, "lab-pytest-%d" % os.getpid())
    net = int(os.environ["HRW_LAB_NET"]) if os.environ.get("HRW_LAB_NET") else free_net()
    faults = [f for f in os.environ.get("HRW_LAB_FAULTS", "").split(",") if f] or None
    with _lab_up(state_dir, net, faults) as the_lab:
        yield the_lab


@pytest.fixture(scope="module")
def lab_factory():
    """``lab_factory(faults)``: a separate small lab (own state dir and network, the first free
    one) with those hosts, taken down when the module ends. For tests that stop hosts (``python
    -m tests.lab stop``) and so must not use the shared session ``lab``."""
    with contextlib.ExitStack() as stack:
        def make(faults):
            state_dir = os.path.join(_STATE_ROOT, "lab-pytest-%d-%d" % (os.getpid(), next(_counter)))
            return stack.enter_context(_lab_up(state_dir, free_net(), list(faults)))
        yield make


_counter = itertools.count(1)
