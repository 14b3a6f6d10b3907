#!/bin/sh
# Lab fake of the OMS Agent for Linux shell bundle (omsagent-<version>.universal.x64.sh).
# Only an upgrade of an installed agent: it restores the nxOMSAutomationWorker resource class
# (what the class_missing fault removed: "The specified class does not exist"), runs the DSC
# consistency check as omsagent, and restarts the agent, as the real bundle's upgrade ends.
set -eu
case "${1:-}" in
    --upgrade|--install) ;;
    *) echo "usage: $0 --upgrade | --install (lab fake: nothing else)" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "$0: must be run as root" >&2; exit 1; }
SC=/opt/microsoft/omsagent/bin/service_control
[ -x "$SC" ] || { echo "$0: no agent to upgrade (lab fake)" >&2; exit 1; }
RES=/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/DSCResources/MSFT_nxOMSAutomationWorkerResource
now() { date -u "+$1"; }
echo "$(now '%Y-%m-%d %H:%M:%S +0000') [info]: Upgraded omsagent-1.14.23-0 (lab installer)" \
    >> /var/opt/microsoft/omsagent/log/omsagent.log
if [ -d "$RES" ]; then
    printf '%s\n' '[ClassVersion("1.0.0"), FriendlyName("nxOMSAutomationWorker")]' \
        'class MSFT_nxOMSAutomationWorkerResource : OMI_BaseResource' '{' '  [Key] string ResourceSettings;' '};' \
        > "$RES/MSFT_nxOMSAutomationWorkerResource.schema.mof"
    echo "$(now '%Y/%m/%d %H:%M:%S'): INFO: installer: registered the nxOMSAutomationWorker resource class" \
        >> /var/opt/microsoft/omsconfig/omsconfig.log
fi
su -s /bin/sh omsagent -c "/usr/bin/python3 /opt/microsoft/omsconfig/Scripts/PerformRequiredConfigurationChecks.py"
"$SC" restart
echo "Shell bundle exiting with code 0"
