"""The fake Azure Automation agent service (DIY worker registration) of the lab.

Served by the "ok" TLS server of tests/lab/endpoints.py, so every lab host reaches it as
``https://we-agentservice-prod-1.azure-automation.net/accounts/<account>`` (its /etc/hosts).
It answers what the agent's onboarding script sends (official-troubleshooters.md §4.2):

  PUT    /accounts/<account>/HybridV2(MachineId='<id>')   register: 200 {AccountId, jobRuntimeDataServiceUri}
  DELETE /accounts/<account>/Hybrid(MachineId='<id>')     deregister: 200, or 404 for a worker it does not know

Both need ``Authorization: Shared <sig>``, ``x-ms-date`` and ``ProtocolVersion: 2.0``, where
``sig = b64(HMAC-SHA256(key, b64(sha256(body)) + "\\n" + x-ms-date))`` and ``key`` is the account's
access key as text (the agent's script signs with ``openssl dgst -hmac "<key>"``). A wrong
signature, an unknown account or an ``x-ms-date`` more than 15 minutes off the lab's clock
gives 403 "Forbidden" with the body the troubleshooting guide quotes.

State, in ``STATE/registration/`` (tests read and change it between runs):
  workers.json  {"workers": {account: {machine_id: {group, machine_name, thumbprint, ...}}},
                 "requests": [{method, account, machine_id, status, why}]}
                seeded at start from each host's /home/nxautomation/state/worker.conf (the lab's
                hosts are registered workers)
  knobs.json    {"answer_delay": s, "openssl_delay": s}: the service waits answer_delay seconds
                before it answers; the fake onboarding script sleeps openssl_delay seconds in its
                openssl pipelines (so a test can snapshot the processes during a registration)
"""
import base64
import configparser
import datetime
import glob
import hashlib
import hmac
import json
import os
import re
import threading
import time

from . import ACCOUNT_KEYS, JRDS_BASE_URI

PATH_RE = re.compile(r"^/accounts/(?P<account>[0-9a-fA-F-]{36})/(?P<kind>HybridV2|Hybrid)\(MachineId='(?P<machine>[^']+)'\)$")
FORBIDDEN_BODY = b"Forbidden: You don't have permission to access / on this server."
MAX_SKEW = datetime.timedelta(minutes=15)


def signature(key, body, date):
    """The Shared-key signature of ``body`` (bytes) sent at ``date`` (the x-ms-date text)."""
    body_hash = base64.b64encode(hashlib.sha256(body).digest()).decode()
    mac = hmac.new(key.encode("utf-8"), (body_hash + "\n" + date).encode("utf-8"), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def parse_date(text):
    """The UTC time of an x-ms-date as the agent writes it (``utcnow().isoformat() + "0-00:00"``)."""
    try:
        return datetime.datetime.strptime((text or "")[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None


def registration_dir(state_dir):
    return os.path.join(state_dir, "registration")


def read_json(path, default):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return default


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as handle:
        json.dump(value, handle, indent=1, sort_keys=True)
    os.replace(tmp, path)


class Registry:
    """The registered workers per account, persisted in ``STATE/registration/workers.json``."""

    def __init__(self, state_dir):
        self.dir = registration_dir(state_dir)
        self.path = os.path.join(self.dir, "workers.json")
        self.knobs = os.path.join(self.dir, "knobs.json")
        self.lock = threading.Lock()
        if not os.path.exists(self.path):
            write_json(self.path, {"workers": self._seed(state_dir), "requests": []})

    @staticmethod
    def _seed(state_dir):
        """The user workers the lab's hosts were prepared with (their worker.conf)."""
        workers = {}
        for conf_path in sorted(glob.glob(os.path.join(state_dir, "hosts", "*", "home", "nxautomation", "state",
                                                       "worker.conf"))):
            conf = configparser.ConfigParser()
            conf.read(conf_path)
            try:
                account = conf.get("worker-required", "account_id").lower()
                machine = conf.get("worker-required", "machine_id")
                workers.setdefault(account, {})[machine] = {
                    "group": conf.get("worker-required", "hybrid_worker_group_name"),
                    "machine_name": read_json(os.path.join(conf_path.split("/home/nxautomation/")[0], "host.json"),
                                              {}).get("hostname"),
                    "thumbprint": conf.get("registration-metadata", "jrds_cert_thumbprint", fallback=""),
                    "seeded": True}
            except configparser.Error:
                continue
        return workers

    def handle(self, method, path, headers, body):
        """``(status, reason, content_type, body bytes)`` for a request the service owns, else None."""
        match = PATH_RE.match(path)
        if not match or (method, match.group("kind")) not in (("PUT", "HybridV2"), ("DELETE", "Hybrid")):
            return None
        delay = float(read_json(self.knobs, {}).get("answer_delay") or 0)
        if delay:
            time.sleep(delay)
        account, machine = match.group("account").lower(), match.group("machine")
        with self.lock:
            state = read_json(self.path, {"workers": {}, "requests": []})
            status, why, answer = self._decide(state, method, account, machine, headers, body)
            state.setdefault("requests", []).append({"method": method, "account": account, "machine_id": machine,
                                                     "status": status, "why": why, "at": time.time()})
            write_json(self.path, state)
        if status == 403:
            return 403, "Forbidden", "text/html", FORBIDDEN_BODY
        return status, {200: "OK", 404: "Not Found", 400: "Bad Request"}[status], "application/json; charset=utf-8", \
            json.dumps(answer).encode()

    @staticmethod
    def _decide(state, method, account, machine, headers, body):
        key = ACCOUNT_KEYS.get(account)
        if key is None:
            return 403, "unknown account", None
        auth = headers.get("Authorization") or ""
        date = headers.get("x-ms-date") or ""
        if not auth.startswith("Shared ") or headers.get("ProtocolVersion") != "2.0":
            return 403, "no Shared authorization or ProtocolVersion 2.0", None
        when = parse_date(date)
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        if when is None or abs(now - when) > MAX_SKEW:
            return 403, "x-ms-date %r is more than 15 minutes off (service time %s)" % (date, now.isoformat()), None
        if not hmac.compare_digest(auth[len("Shared "):], signature(key, body, date)):
            return 403, "signature mismatch", None
        try:
            payload = json.loads(body.decode("utf-8") or "{}")
        except ValueError:
            return 400, "body is not JSON", {"Message": "The request is invalid."}
        workers = state.setdefault("workers", {}).setdefault(account, {})
        if method == "PUT":
            workers[machine] = {"group": payload.get("RunbookWorkerGroup"), "machine_name": payload.get("MachineName"),
                                "thumbprint": payload.get("Thumbprint"), "registered_at": time.time()}
            return 200, "registered", {"AccountId": account, "jobRuntimeDataServiceUri": JRDS_BASE_URI}
        if machine not in workers:
            return 404, "worker not found", {"Message": "Worker not found."}
        del workers[machine]
        return 200, "deregistered", {}
