"""Lab fake of nxOMSAutomationWorker's ``scripts/onboarding.py``, the documented entry point
(``python onboarding.py --register -w <ws> -k <key> -g <group> -e <URL>``).

As the real wrapper: must run as root, deletes the ``*.pyc`` files under the automationworker
tree (root-owned ones would stop the worker, which runs as nxautomation, from rewriting them),
then runs ``3.x/scripts/onboarding3.py``'s ``main()`` (Python 3; the real one runs onboarding2
on Python 2), which reads ``sys.argv``.
"""
import os
import subprocess
import sys

AW = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

if __name__ == "__main__":
    if os.getuid() != 0:
        raise Exception("You need to run this script as root to register a new automation worker.")
    proc = subprocess.run(["find", AW + "/", "-type", "f", "-name", "*.pyc", "-exec", "rm", "{}", "+"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        raise Exception("Unable to remove root-owned .pyc")
    sys.path.insert(0, os.path.join(AW, "3.x", "scripts"))
    import onboarding3
    onboarding3.main()
