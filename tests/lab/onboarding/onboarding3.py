"""Lab fake of nxOMSAutomationWorker's ``3.x/scripts/onboarding3.py`` (DIY worker registration).

Written from the documented behaviour (official-troubleshooters.md §4.2) in the shape of the real
script, so that azure_hrw.doctor's hrw_onboarding drives it exactly as it drives the agent's:

- a module whose ``main()`` reads ``sys.argv`` (optparse: ``-r/--register``, ``-d/--deregister``,
  ``-w/--workspaceid``, ``-k/--key``, ``-g/--groupname``, ``-e/--endpoint``, ``-p/--gpg-keyring``,
  ``-t/--test``; both actions need all four of -e -k -g -w, else the help and ``sys.exit(-1)``);
  errors are raised as ``Exception``, as the real script does;
- module-level functions ``generate_self_signed_certificate``, ``sha256_digest``,
  ``generate_hmac``, ``register(options)``, ``deregister(options)``,
  ``environment_prerequisite_validation()``;
- the hash and the signature are computed as the real script computes them: ``echo -n "..." |
  openssl dgst -sha256 -binary [-hmac "<key>"]`` in a shell, so the account key IS in the argv
  of a child process while it signs (besides ``-k <key>`` in the script's own argv when it is
  run as a command). Tests use that to show their process snapshot would see a leak;
- ``register``: users/groups, ``/var/opt/microsoft/omsagent/<ws>/{state,run}`` ("Invalid
  workspace id"), the account of the URL against the system worker.conf ("conflicting worker"),
  "an existing worker was found" when /home/nxautomation/state/worker.conf exists, an openssl
  worker_diy.crt/key, an (empty) worker.conf written to test that it can be (as the newer real
  script does, which leaves it behind when the request then fails), ``PUT
  <URL>/HybridV2(MachineId='<uuid>')`` with the worker's client certificate and the Shared-key
  headers, worker.conf from the answer (the real sections and keys), then /home/nxautomation and
  its run and state directories (mode 0770: home omsagent:omiusers, run and state
  nxautomation:omiusers, the layout the collection's rules and repair expect);
- ``deregister``: needs worker.conf, the certificate and the key, ``DELETE
  <URL>/Hybrid(MachineId='<id>')``; a non-200 answer raises "Failed to deregister worker.
  [response_status=N]"; on 200 it removes /home/nxautomation/state and run.

Lab only: the hash and signature pipelines first sleep ``openssl_delay`` seconds from
``/run/hrw-lab/state/registration/knobs.json`` when that is set.
"""
import base64
import configparser
import datetime
import grp
import hashlib
import json
import os
import pwd
import re
import shutil
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from optparse import OptionParser

NXAUTOMATION_HOME_DIR = "/home/nxautomation"
DIY_STATE_PATH = os.path.join(NXAUTOMATION_HOME_DIR, "state")
DIY_WORKING_DIR = os.path.join(NXAUTOMATION_HOME_DIR, "run")
AUTO_REGISTERED_WORKER_CONF = "/var/opt/microsoft/omsagent/state/automationworker/worker.conf"
PROXY_CONF = "/etc/opt/microsoft/omsagent/proxy.conf"
GPG_KEYRING = "/etc/opt/omi/conf/omsconfig/keyring.gpg"
SUBJECT = "/C=US/ST=Washington/L=Redmond/O=Microsoft Corporation/OU=Azure Automation/CN=Hybrid Runbook Worker"
LAB_KNOBS = "/run/hrw-lab/state/registration/knobs.json"


def _openssl_delay():
    try:
        with open(LAB_KNOBS) as handle:
            return float(json.load(handle).get("openssl_delay") or 0)
    except (OSError, ValueError):
        return 0.0


def popen_communicate(cmd, shell=False):
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, shell=shell)
    output, error = process.communicate()
    return process, output, error


def _pipeline(command):
    delay = _openssl_delay()
    return ("sleep %s; " % delay if delay else "") + command


def generate_self_signed_certificate(certificate_path, key_path):
    cmd = ["openssl", "req", "-subj", SUBJECT, "-new", "-newkey", "rsa:2048", "-days", "365", "-nodes", "-x509",
           "-keyout", key_path, "-out", certificate_path]
    process, output, error = popen_communicate(cmd)
    if process.returncode != 0:
        raise Exception("Unable to create certificate/key. " + error.decode(errors="replace"))
    print("Certificate/Key created.")


def get_cert_info(certificate_path):
    """(issuer, subject, thumbprint): thumbprint = SHA1 of the DER, upper-case hex."""
    with open(certificate_path) as handle:
        der = ssl.PEM_cert_to_DER_cert(handle.read())
    thumbprint = hashlib.sha1(der).hexdigest().upper()
    name = "C=US, ST=Washington, L=Redmond, O=Microsoft Corporation, OU=Azure Automation, CN=Hybrid Runbook Worker"
    return name, name, thumbprint


def sha256_digest(payload):
    cmd = ['echo -n "' + str(json.dumps(json.dumps(payload))) + '" | openssl dgst -sha256 -binary']
    process, payload_hash, error = popen_communicate([_pipeline(cmd[0])], shell=True)
    if process.returncode != 0:
        raise Exception("Unable to generate payload hash. " + error.decode(errors="replace"))
    return payload_hash


def generate_hmac(str_to_sign, secret):
    cmd = ['echo -n "' + str_to_sign + '" | openssl dgst -sha256 -binary -hmac "' + secret + '"']
    process, signed_message, error = popen_communicate([_pipeline(cmd[0])], shell=True)
    if process.returncode != 0:
        raise Exception("Unable to generate signature. " + error.decode(errors="replace"))
    return signed_message


def _proxy_handler():
    try:
        with open(PROXY_CONF) as handle:
            proxy = handle.read().strip()
    except OSError:
        proxy = ""
    if not proxy:
        return urllib.request.ProxyHandler({})
    if "://" not in proxy:
        proxy = "http://" + proxy
    return urllib.request.ProxyHandler({"https": proxy})


def _request(method, url, headers, payload, certificate_path, key_path, test_mode):
    """(status, body) of one HTTPS request with the worker's client certificate."""
    context = ssl.create_default_context()
    if test_mode:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.load_cert_chain(certificate_path, key_path)
    opener = urllib.request.build_opener(_proxy_handler(), urllib.request.HTTPSHandler(context=context))
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers=headers, method=method)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _headers(payload, key):
    date = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None).isoformat() + "0-00:00"
    payload_hash = sha256_digest(payload)
    b64encoded_payload_hash = base64.b64encode(payload_hash)
    signature = generate_hmac(b64encoded_payload_hash.decode("utf-8") + "\n" + date, key)
    return {"Authorization": "Shared " + base64.b64encode(signature).decode("utf-8"), "ProtocolVersion": "2.0",
            "x-ms-date": date, "Content-Type": "application/json"}


def create_worker_configuration_file(jrds_uri, account_id, group, machine_id, working_directory_path,
                                     state_directory_path, cert_path, key_path, registration_endpoint,
                                     workspace_id, thumbprint, vm_id, is_azure_vm, gpg_keyring_path, test_mode):
    config = configparser.ConfigParser()
    config["worker-required"] = {
        "jrds_cert_path": cert_path, "jrds_key_path": key_path, "jrds_base_uri": jrds_uri, "account_id": account_id,
        "machine_id": machine_id, "hybrid_worker_group_name": group, "working_directory_path": working_directory_path}
    optional = {"proxy_configuration_path": PROXY_CONF, "state_directory_path": state_directory_path}
    if gpg_keyring_path is not None:
        optional["gpg_public_keyring_path"] = gpg_keyring_path
    if test_mode:
        optional["bypass_certificate_verification"] = "True"
        optional["debug_traces"] = "True"
    config["worker-optional"] = optional
    config["metadata"] = {"worker_type": "diy", "is_azure_vm": str(is_azure_vm), "vm_id": vm_id}
    config["registration-metadata"] = {"registration_endpoint": registration_endpoint, "workspace_id": workspace_id,
                                       "jrds_cert_thumbprint": thumbprint}
    with open(os.path.join(state_directory_path, "worker.conf"), "w") as handle:
        config.write(handle)


def get_autoregistered_worker_account_id():
    if not os.path.isfile(AUTO_REGISTERED_WORKER_CONF):
        print("No diy worker found. Account validation skipped.")
        return None
    config = configparser.ConfigParser()
    config.read(AUTO_REGISTERED_WORKER_CONF)
    account_id = config.get("worker-required", "account_id")
    print("Found existing worker for account id : " + str(account_id))
    return account_id


def extract_account_id_from_registration_endpoint(registration_endpoint):
    account_id = re.findall(r"/accounts/([a-z0-9]{8}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{12})",
                            registration_endpoint.lower())
    if len(account_id) != 1:
        raise Exception("Invalid registration endpoint format.")
    return account_id[0]


def _chown_chmod(path, user, group, mode):
    uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
    for base, dirs, files in os.walk(path):
        for name in [base] + [os.path.join(base, f) for f in files]:
            os.chown(name, uid, gid)
            os.chmod(name, mode)


def create_persistent_diy_dirs():
    for path in (DIY_STATE_PATH, DIY_WORKING_DIR):
        os.makedirs(path, mode=0o770, exist_ok=True)
    uid, gid = pwd.getpwnam("omsagent").pw_uid, grp.getgrnam("omiusers").gr_gid
    os.chown(NXAUTOMATION_HOME_DIR, uid, gid)
    os.chmod(NXAUTOMATION_HOME_DIR, 0o770)
    _chown_chmod(DIY_WORKING_DIR, "nxautomation", "omiusers", 0o770)
    _chown_chmod(DIY_STATE_PATH, "nxautomation", "omiusers", 0o770)


def _assert_workspace(workspace_id):
    state_base_path = "/var/opt/microsoft/omsagent/" + workspace_id + "/state/"
    working_directory_base_path = "/var/opt/microsoft/omsagent/" + workspace_id + "/run/"
    if not os.path.exists(state_base_path) or not os.path.exists(working_directory_base_path):
        raise Exception("Invalid workspace id. Is the specified workspace id registered as the OMSAgent "
                        "primary worksapce?")


def register(options):
    environment_prerequisite_validation()
    _assert_workspace(options.workspace_id)
    diy_account_id = extract_account_id_from_registration_endpoint(options.registration_endpoint)
    auto_registered_account_id = get_autoregistered_worker_account_id()
    if auto_registered_account_id is not None and auto_registered_account_id != diy_account_id:
        raise Exception("Cannot register, conflicting worker already registered.")
    worker_conf_path = os.path.join(DIY_STATE_PATH, "worker.conf")
    if os.path.isfile(worker_conf_path):
        raise Exception("Unable to register, an existing worker was found. Please deregister any existing worker and "
                        "try again.")
    certificate_path = os.path.join(DIY_STATE_PATH, "worker_diy.crt")
    key_path = os.path.join(DIY_STATE_PATH, "worker_diy.key")
    machine_id = str(uuid.uuid4())
    if not os.path.isdir(DIY_STATE_PATH):
        os.makedirs(DIY_STATE_PATH)
    generate_self_signed_certificate(certificate_path, key_path)
    issuer, subject, thumbprint = get_cert_info(certificate_path)
    vm_id, is_azure_vm = "Unknown", False  # the lab hosts have no DMI data: dmidecode finds nothing
    payload = {"RunbookWorkerGroup": options.hybrid_worker_group_name,
               "MachineName": socket.gethostname().split(".")[0],
               "IpAddress": "127.0.0.1", "Thumbprint": thumbprint, "Issuer": issuer, "OperatingSystem": 2,
               "SMBIOSAssetTag": False, "VirtualMachineId": vm_id, "Subject": subject}
    headers = _headers(payload, options.automation_account_key)
    with open(worker_conf_path, "w"):  # check_if_conf_file_can_be_written(), as the newer real script
        pass
    url = options.registration_endpoint + "/HybridV2(MachineId='" + machine_id + "')"
    status, body = _request("PUT", url, headers, payload, certificate_path, key_path, options.test)
    if status != 200:
        raise Exception("Failed to register worker. [response_status=" + str(status) + "]")
    answer = json.loads(body.decode())
    create_worker_configuration_file(answer["jobRuntimeDataServiceUri"], answer["AccountId"],
                                     options.hybrid_worker_group_name, machine_id, DIY_WORKING_DIR, DIY_STATE_PATH,
                                     certificate_path, key_path, options.registration_endpoint, options.workspace_id,
                                     thumbprint, vm_id, is_azure_vm, options.gpg_keyring, options.test)
    create_persistent_diy_dirs()
    print("Registration successful!")


def deregister(options):
    environment_prerequisite_validation()
    _assert_workspace(options.workspace_id)
    worker_conf_path = os.path.join(DIY_STATE_PATH, "worker.conf")
    certificate_path = os.path.join(DIY_STATE_PATH, "worker_diy.crt")
    key_path = os.path.join(DIY_STATE_PATH, "worker_diy.key")
    if not os.path.exists(worker_conf_path):
        raise Exception("Unable to deregister, no worker configuration found on disk.")
    if not os.path.exists(certificate_path) or not os.path.exists(key_path):
        raise Exception("Unable to deregister, no worker certificate/key found on disk.")
    issuer, subject, thumbprint = get_cert_info(certificate_path)
    config = configparser.ConfigParser()
    config.read(worker_conf_path)
    machine_id = config.get("worker-required", "machine_id")
    payload = {"Thumbprint": thumbprint, "Issuer": issuer, "Subject": subject}
    headers = _headers(payload, options.automation_account_key)
    url = options.registration_endpoint + "/Hybrid(MachineId='" + machine_id + "')"
    status, body = _request("DELETE", url, headers, payload, certificate_path, key_path, options.test)
    if status != 200:
        raise Exception("Failed to deregister worker. [response_status=" + str(status) + "]")
    print("Successfuly deregistered worker.")
    print("Cleaning up left over directories.")
    shutil.rmtree(DIY_STATE_PATH)
    print("Removed state directory.")
    shutil.rmtree(DIY_WORKING_DIR, ignore_errors=True)
    print("Removed working directory.")


def environment_prerequisite_validation():
    for user in ("nxautomation", "omsagent"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            raise Exception("Missing user : " + user + ".")
    for group in ("omiusers", "nxautomation"):
        try:
            grp.getgrnam(group)
        except KeyError:
            raise Exception("Missing group : " + group + ".")


def get_options_and_arguments():
    parser = OptionParser(usage="usage: %prog [--register, --deregister] -e endpoint -k key -g groupname -w workspaceid")
    parser.add_option("-e", "--endpoint", dest="registration_endpoint", help="Agent service registration endpoint.")
    parser.add_option("-k", "--key", dest="automation_account_key", help="Automation account primary/secondary key.")
    parser.add_option("-g", "--groupname", dest="hybrid_worker_group_name", help="Hybrid worker group name.")
    parser.add_option("-w", "--workspaceid", dest="workspace_id", help="Workspace id.")
    parser.add_option("-r", "--register", action="store_true", dest="register", default=False)
    parser.add_option("-d", "--deregister", action="store_true", dest="deregister", default=False)
    parser.add_option("-t", "--test", action="store_true", dest="test", default=False)
    parser.add_option("-p", "--gpg-keyring", dest="gpg_keyring", help="GPG keyring path")
    (options, args) = parser.parse_args()
    if options.register is False and options.deregister is False:
        raise Exception("Please specify the onboarding action to perform (--register | --deregister).")
    needed = (options.registration_endpoint, options.automation_account_key, options.hybrid_worker_group_name,
              options.workspace_id)
    if any(value is None for value in needed):
        parser.print_help()
        sys.exit(-1)
    return options, args


def main():
    options, args = get_options_and_arguments()
    if options.register is True:
        register(options)
    elif options.deregister is True:
        deregister(options)


if __name__ == "__main__":
    if os.getuid() != 0:
        raise Exception("You need to run this script as root to register a new automation worker.")
    main()
