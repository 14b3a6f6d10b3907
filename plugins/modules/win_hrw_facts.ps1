#!powershell

# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ansible_collections.azure_hrw.doctor.plugins.module_utils.HrwReader
#AnsibleRequires -PowerShell ansible_collections.azure_hrw.doctor.plugins.module_utils.HrwProbe

# Read-only collector of the Windows facts document (docs/adr/0002-windows-facts.md). It
# reports what it reads and decides nothing: every rule is Python on the controller. Each
# section (and each fragile read inside one) is guarded, so a failure costs that value
# (null plus an `errors` entry), never the document.

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

# The host clock, read once before anything else (the controller compares it with its own).
$collectorStarted = [DateTime]::UtcNow
$stopwatch = [System.Diagnostics.Stopwatch]::StartNew()

$spec = @{
    options = @{
        probe_timeout = @{ type = 'float'; default = 3.0 }
        probe_endpoints = @{ type = 'bool'; default = $true }
        endpoints = @{
            type = 'list'
            elements = 'dict'
            options = @{
                purpose = @{ type = 'str'; required = $true }
                index = @{ type = 'int'; default = 1 }
                host = @{ type = 'str'; required = $true }
                port = @{ type = 'int'; default = 443 }
                source = @{ type = 'str' }
            }
        }
        automation_account_id = @{ type = 'str' }
        automation_account_region = @{ type = 'str' }
        run_as_certificate_thumbprint = @{ type = 'str' }
        window_hours = @{ type = 'int'; default = 24 }
        max_events = @{ type = 'int'; default = 50 }
        max_files = @{ type = 'int'; default = 20000 }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$CollectorName = 'win_hrw_facts'
# The collection version (galaxy.yml), as the Linux collector's COLLECTOR_VERSION (linux_facts.py).
$CollectorVersion = '0.1.0'
$MaxProbeTimeout = 60.0
$AzureAssetTag = '7783-7084-3265-9085-8269-3286-77'
$ImdsUrl = 'http://169.254.169.254/metadata/instance?api-version=2021-02-01'
$WorkspacePlaceholder = '{workspace_id}'
$SetupKey = 'SOFTWARE\Microsoft\Microsoft Operations Manager\3.0\Setup'
$ManagementGroupsKey = 'SYSTEM\CurrentControlSet\Services\HealthService\Parameters\Management Groups'
$RegistrationKey = 'SOFTWARE\Microsoft\HybridRunbookWorker'
$ExtensionPluginPath = 'C:\Packages\Plugins\Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows'
$SchannelKey = 'SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2'
$WindowsUpdatePolicyKey = 'SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate'
$OperationsManagerLog = 'Operations Manager'
$SmaLog = 'Microsoft-SMA/Operational'
# How many Microsoft-SMA events (of the window) are read to find the process-exit messages,
# per max_events kept: their event id is not documented, so the text is matched instead.
$MessageScanFactor = 10
# ... and never more than this many, whatever max_events is: every scanned event's message is
# rendered (each FormatDescription loads message DLLs), and max_events 10000 x 10 would take
# minutes on a busy worker.
$MaxMessageScan = 5000
# Seconds one CIM (WMI) query may take: a damaged repository or a stuck WmiPrvSE, common on
# the broken hosts this module diagnoses, then costs this long and becomes an `errors` entry
# with nulls in its section, instead of blocking the task until the WinRM operation timeout.
$CimTimeoutSec = 15

$errors = New-Object -TypeName System.Collections.Generic.List[Object]
# Passed from the agent section to the endpoint probes in memory only: the agent's http
# proxy {host, port} (never a credential; the document shows only the cleaned URL).
$collectorState = @{ ProxyEndpoint = $null }

# --------------------------------------------------------------------------- helpers

Function Add-CollectorError {
    param (
        [Parameter(Mandatory = $true)][string]$Where,
        [Parameter(Mandatory = $true)][object]$ErrorRecord
    )
    $exception = $ErrorRecord
    if ($ErrorRecord -is [System.Management.Automation.ErrorRecord]) {
        $exception = $ErrorRecord.Exception
    }
    # MethodInvocationException only wraps: the inner exception names the cause.
    while ($exception -is [System.Management.Automation.MethodInvocationException] -and $null -ne $exception.InnerException) {
        $exception = $exception.InnerException
    }
    $errors.Add([ordered]@{
            where = $Where
            error = '{0}: {1}' -f $exception.GetType().Name, $exception.Message
        })
}

Function Invoke-Guarded {
    <# Runs one read; an exception becomes an `errors` entry and the value $Fallback. #>
    param (
        [Parameter(Mandatory = $true)][string]$Where,
        [Parameter(Mandatory = $true)][scriptblock]$Script,
        [AllowNull()][object]$Fallback = $null
    )
    try {
        & $Script
    }
    catch {
        Add-CollectorError -Where $Where -ErrorRecord $_
        if ($null -ne $Fallback -and $Fallback -is [array]) {
            , $Fallback
        }
        else {
            $Fallback
        }
    }
}

Function ConvertTo-NullableInt {
    <# An integer, or $null for null/non-numeric values (COM properties differ by version). #>
    param ([AllowNull()][object]$Value)
    if ($null -eq $Value) {
        return $null
    }
    $parsed = [long]0
    if ([long]::TryParse([string]$Value, [ref]$parsed)) {
        return $parsed
    }
    $null
}

Function Get-CimFirst {
    param ([Parameter(Mandatory = $true)][string]$ClassName)
    Get-CimInstance -ClassName $ClassName -OperationTimeoutSec $CimTimeoutSec -ErrorAction Stop | Select-Object -First 1
}

# --------------------------------------------------------------------------- host

Function Get-OsMapping {
    param ([AllowNull()][object]$OperatingSystem)
    $os = [ordered]@{
        id = 'windows'
        version_id = $null
        build = $null
        ubr = $null
        pretty_name = $null
        product_type = $null
    }
    # Win32_OperatingSystem.Version is not subject to the compatibility shim that makes
    # [Environment]::OSVersion report 6.2.9200 on 2012 R2 for unmanifested hosts; the .NET
    # value is the fallback when CIM is unavailable.
    $version = $null
    if ($null -ne $OperatingSystem -and $OperatingSystem.Version) {
        $version = [Version]$OperatingSystem.Version
    }
    else {
        $version = [Environment]::OSVersion.Version
    }
    $os.version_id = '{0}.{1}.{2}' -f $version.Major, $version.Minor, $version.Build
    $os.build = $version.Build
    $os.ubr = Invoke-Guarded -Where 'host.os.ubr' -Script {
        ConvertTo-NullableInt -Value (Get-HrwRegistryValue -Path 'SOFTWARE\Microsoft\Windows NT\CurrentVersion' -Name 'UBR')
    }
    if ($null -ne $OperatingSystem) {
        $os.pretty_name = ([string]$OperatingSystem.Caption).Trim()
        $os.product_type = ConvertTo-NullableInt -Value $OperatingSystem.ProductType
    }
    $os
}

Function Get-CpuLoad {
    $values = New-Object -TypeName System.Collections.Generic.List[Double]
    foreach ($processor in (Get-CimInstance -ClassName Win32_Processor -OperationTimeoutSec $CimTimeoutSec -ErrorAction Stop)) {
        if ($null -ne $processor.LoadPercentage) {
            $values.Add([double]$processor.LoadPercentage)
        }
    }
    if ($values.Count -eq 0) {
        return $null
    }
    $sum = 0.0
    foreach ($value in $values) {
        $sum += $value
    }
    [int][Math]::Round($sum / $values.Count)
}

Function Get-HostSection {
    param ([Parameter(Mandatory = $true)][DateTime]$Now)
    $operatingSystem = Invoke-Guarded -Where 'host.os' -Script { Get-CimFirst -ClassName Win32_OperatingSystem }
    $computerSystem = Invoke-Guarded -Where 'host.cpu_count' -Script { Get-CimFirst -ClassName Win32_ComputerSystem }
    $edition = 'Desktop'
    if ($PSVersionTable.ContainsKey('PSEdition')) {
        $edition = [string]$PSVersionTable['PSEdition']
    }
    $memory = [ordered]@{ total_kb = $null; available_kb = $null }
    if ($null -ne $operatingSystem) {
        $memory.total_kb = ConvertTo-NullableInt -Value $operatingSystem.TotalVisibleMemorySize
        $memory.available_kb = ConvertTo-NullableInt -Value $operatingSystem.FreePhysicalMemory
    }
    $cpuCount = $null
    if ($null -ne $computerSystem) {
        $cpuCount = ConvertTo-NullableInt -Value $computerSystem.NumberOfLogicalProcessors
    }
    [ordered]@{
        hostname = $env:COMPUTERNAME
        fqdn = Invoke-Guarded -Where 'host.fqdn' -Script { [System.Net.Dns]::GetHostEntry('').HostName }
        machine_guid = Invoke-Guarded -Where 'host.machine_guid' -Script {
            Get-HrwRegistryValue -Path 'SOFTWARE\Microsoft\Cryptography' -Name 'MachineGuid'
        }
        utc_now = ConvertTo-HrwUtcString -Value $Now
        os = Get-OsMapping -OperatingSystem $operatingSystem
        powershell = [ordered]@{
            windows_powershell_version = Invoke-Guarded -Where 'host.powershell' -Script {
                Get-HrwRegistryValue -Path 'SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine' -Name 'PowerShellVersion'
            }
            running_version = $PSVersionTable.PSVersion.ToString()
            running_edition = $edition
        }
        cpu_count = $cpuCount
        memory = $memory
        cpu_load_percent = Invoke-Guarded -Where 'host.cpu_load_percent' -Script { Get-CpuLoad }
    }
}

Function Get-DotnetSection {
    # The Full key itself: Microsoft's script reads its subkeys and can miss the value.
    $path = 'SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full'
    [ordered]@{
        release = ConvertTo-NullableInt -Value (Get-HrwRegistryValue -Path $path -Name 'Release')
        version_key_exists = Test-HrwRegistryKey -Path $path
    }
}

# --------------------------------------------------------------------------- agent

Function Get-AgentConfigObject {
    # The agent's own configuration object; missing when the agent is not installed.
    Invoke-Guarded -Where 'agent.workspaces' -Script { New-Object -ComObject 'AgentConfigManager.MgmtSvcCfg' }
}

Function Get-ComWorkspace {
    param ([Parameter(Mandatory = $true)][object]$Config)
    $list = New-Object -TypeName System.Collections.Generic.List[Object]
    foreach ($workspace in $Config.GetCloudWorkspaces()) {
        # UNVERIFIED: ConnectionStatus, ConnectionStatusText and AzureCloudType are read when
        # the agent version has them (not documented by Microsoft); null otherwise.
        $id = Get-HrwObjectProperty -InputObject $workspace -Name 'workspaceId', 'WorkspaceId'
        if ($null -ne $id) {
            $id = ([string]$id).ToLowerInvariant()
        }
        $text = Get-HrwObjectProperty -InputObject $workspace -Name 'ConnectionStatusText'
        if ($null -ne $text) {
            $text = [string]$text
        }
        $list.Add([ordered]@{
                workspace_id = $id
                connection_status = ConvertTo-NullableInt -Value (Get-HrwObjectProperty -InputObject $workspace -Name 'ConnectionStatus')
                connection_status_text = $text
                cloud_type = ConvertTo-NullableInt -Value (Get-HrwObjectProperty -InputObject $workspace -Name 'AzureCloudType')
            })
    }
    , $list.ToArray()
}

Function Get-RegistryWorkspace {
    param ([AllowNull()][string[]]$ManagementGroups)
    $list = New-Object -TypeName System.Collections.Generic.List[Object]
    foreach ($group in $ManagementGroups) {
        if ($group -match '^AOI-([0-9a-fA-F-]{36})$') {
            $list.Add([ordered]@{
                    workspace_id = $Matches[1].ToLowerInvariant()
                    connection_status = $null
                    connection_status_text = $null
                    cloud_type = $null
                })
        }
    }
    , $list.ToArray()
}

Function Get-UpdatesWorkspaceId {
    <#
    Workspace GUIDs from Operations Manager event 1210 messages that name the Updates
    solution ("updates;"), as Microsoft's Get-ValidWorkspace does. No time window: 1210 is
    logged when the agent starts, so only -MaxEvents bounds the read.
    #>
    param ([Parameter(Mandatory = $true)][int]$MaxEvents)
    $ids = New-Object -TypeName System.Collections.Generic.List[String]
    if (-not (Test-HrwEventLog -LogName $OperationsManagerLog)) {
        return , $ids.ToArray()
    }
    foreach ($record in (Get-HrwEventRecord -LogName $OperationsManagerLog -Id 1210 -MaxEvents $MaxEvents)) {
        # The whole text: the solution list can run past the 512 characters that are reported.
        $message = Get-HrwEventText -Record $record
        if ($null -eq $message -or $message.IndexOf('updates;', [StringComparison]::OrdinalIgnoreCase) -lt 0) {
            continue
        }
        foreach ($match in [regex]::Matches($message, 'AOI-([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})')) {
            $id = $match.Groups[1].Value.ToLowerInvariant()
            if (-not $ids.Contains($id)) {
                $ids.Add($id)
            }
        }
    }
    , $ids.ToArray()
}

Function ConvertTo-ProxyInfo {
    <#
    The agent's proxy URL split for reporting (no credentials) and probing: {url, host, port,
    scheme, userinfo}. The agent stores "host:port" or a URL; no scheme means http.
    #>
    param ([AllowNull()][string]$Value)
    if ([string]::IsNullOrWhiteSpace($Value)) {
        return $null
    }
    $text = $Value.Trim()
    if ($text -notmatch '^[A-Za-z][A-Za-z0-9+.-]*://') {
        $text = 'http://' + $text
    }
    $uri = $null
    if (-not [Uri]::TryCreate($text, [UriKind]::Absolute, [ref]$uri)) {
        # Unparsable: report it with anything before an "@" removed, never probe it.
        return [ordered]@{ url = ($text -replace '//[^/@]*@', '//'); host = $null; port = $null; scheme = $null; userinfo = $false }
    }
    $hostText = $uri.Host
    if ($uri.HostNameType -eq [UriHostNameType]::IPv6) {
        $hostText = '[{0}]' -f $uri.DnsSafeHost
    }
    [ordered]@{
        url = '{0}://{1}:{2}' -f $uri.Scheme, $hostText, $uri.Port
        host = $uri.DnsSafeHost
        port = $uri.Port
        scheme = $uri.Scheme
        userinfo = -not [string]::IsNullOrEmpty($uri.UserInfo)
    }
}

Function Get-AgentProxy {
    <#
    The agent's own proxy (SetProxyInfo), which the agent uses instead of WinHTTP/IE.
    UNVERIFIED: the property names proxyUrl / proxyUsername of AgentConfigManager.MgmtSvcCfg.
    The password is never read: only whether a user name is set.
    #>
    param ([AllowNull()][object]$Config)
    $proxy = [ordered]@{ url = $null; has_credentials = $null; source = $null }
    $endpoint = $null
    if ($null -ne $Config) {
        $info = ConvertTo-ProxyInfo -Value (Get-HrwObjectProperty -InputObject $Config -Name 'proxyUrl', 'ProxyUrl')
        $proxy.source = 'com'
        # Unknown (null) when this agent version has no user-name property.
        if ($null -ne $Config.PSObject.Properties['proxyUsername']) {
            $user = Get-HrwObjectProperty -InputObject $Config -Name 'proxyUsername'
            $proxy.has_credentials = -not [string]::IsNullOrEmpty([string]$user)
        }
        if ($null -ne $info) {
            $proxy.url = $info.url
            if ($info.userinfo) {
                $proxy.has_credentials = $true
            }
            # An https:// proxy (TLS to the proxy) is not probed through, as on Linux.
            if ($info.scheme -eq 'http' -and $info.host) {
                $endpoint = @{ host = $info.host; port = $info.port }
            }
        }
    }
    [PSCustomObject]@{ Mapping = $proxy; Endpoint = $endpoint }
}

Function Get-AgentSection {
    param ([Parameter(Mandatory = $true)][int]$MaxEvents)
    $config = Get-AgentConfigObject
    $managementGroups = Invoke-Guarded -Where 'agent.management_groups' -Script {
        Get-HrwRegistrySubKeyName -Path $ManagementGroupsKey
    }
    $workspaces = $null
    $source = $null
    if ($null -ne $config) {
        $workspaces = Invoke-Guarded -Where 'agent.workspaces' -Script { Get-ComWorkspace -Config $config }
        if ($null -ne $workspaces) {
            $source = 'com'
        }
    }
    if ($null -eq $workspaces -and $null -ne $managementGroups) {
        $workspaces = Get-RegistryWorkspace -ManagementGroups $managementGroups
        $source = 'registry'
    }
    $workspaceId = $null
    if ($null -ne $workspaces -and @($workspaces).Count -eq 1) {
        $workspaceId = @($workspaces)[0].workspace_id
    }
    $installPath = Invoke-Guarded -Where 'agent.install_path' -Script {
        $value = Get-HrwRegistryValue -Path $SetupKey -Name 'InstallDirectory'
        if ($null -ne $value) {
            ([string]$value).TrimEnd('\')
        }
    }
    $proxy = Invoke-Guarded -Where 'agent.proxy' -Script { Get-AgentProxy -Config $config }
    $proxyMapping = [ordered]@{ url = $null; has_credentials = $null; source = $null }
    if ($null -ne $proxy) {
        $proxyMapping = $proxy.Mapping
        $collectorState.ProxyEndpoint = $proxy.Endpoint
    }
    [ordered]@{
        service = Invoke-Guarded -Where 'agent.service' -Script { Get-HrwServiceInfo -Name 'HealthService' }
        version = Invoke-Guarded -Where 'agent.version' -Script { Get-HrwRegistryValue -Path $SetupKey -Name 'AgentVersion' }
        install_path = $installPath
        workspaces = $workspaces
        workspaces_source = $source
        management_groups = $managementGroups
        workspace_id = $workspaceId
        updates_workspace_ids = Invoke-Guarded -Where 'agent.updates_workspace_ids' -Script { Get-UpdatesWorkspaceId -MaxEvents $MaxEvents }
        proxy = $proxyMapping
    }
}

# --------------------------------------------------------------------------- worker files

Function Get-HealthServiceStateSection {
    param ([AllowNull()][string]$InstallPath, [Parameter(Mandatory = $true)][int]$MaxFiles)
    $section = [ordered]@{
        path = $null
        exists = $null
        size_bytes = $null
        file_count = $null
        truncated = $null
        oldest_write_utc = $null
        newest_write_utc = $null
    }
    if (-not $InstallPath) {
        return $section
    }
    $section.path = Join-Path -Path $InstallPath -ChildPath 'Health Service State'
    $measured = Measure-HrwFolder -Path $section.path -MaxFiles $MaxFiles
    $section.exists = $measured.exists
    $section.size_bytes = $measured.size_bytes
    $section.file_count = $measured.file_count
    $section.truncated = $measured.truncated
    $section.oldest_write_utc = $measured.oldest_write_utc
    $section.newest_write_utc = $measured.newest_write_utc
    if ($measured.unreadable_dirs -gt 0) {
        # The walk went on; size and count are lower bounds then.
        Add-CollectorError -Where 'health_service_state' -ErrorRecord (New-Object -TypeName System.UnauthorizedAccessException -ArgumentList ('{0} folder(s) could not be read' -f $measured.unreadable_dirs))
    }
    $section
}

Function Get-RegistrationGroup {
    param ([Parameter(Mandatory = $true)][string]$AccountPath)
    $groups = New-Object -TypeName System.Collections.Generic.List[Object]
    foreach ($groupName in (Get-HrwRegistrySubKeyName -Path $AccountPath)) {
        $groupPath = '{0}\{1}' -f $AccountPath, $groupName
        $userKey = $null
        foreach ($child in (Get-HrwRegistrySubKeyName -Path $groupPath)) {
            if ($child -eq 'User') {
                $userKey = $child
            }
        }
        $userValues = $null
        if ($null -ne $userKey) {
            $userValues = Get-HrwRegistryValueMap -Path ('{0}\{1}' -f $groupPath, $userKey)
        }
        $groups.Add([ordered]@{
                name = $groupName
                values = Get-HrwRegistryValueMap -Path $groupPath
                user_worker = $null -ne $userKey
                user_values = $userValues
            })
    }
    , $groups.ToArray()
}

Function Get-RegistrationSection {
    # Older workers write values on the key itself; newer ones <AccountId>\<Group>[\User].
    # A missing key is a fact (key_exists false) with null values, not an error.
    $exists = Test-HrwRegistryKey -Path $RegistrationKey
    $accounts = $null
    if ($exists) {
        $list = New-Object -TypeName System.Collections.Generic.List[Object]
        foreach ($accountId in (Get-HrwRegistrySubKeyName -Path $RegistrationKey)) {
            $list.Add([ordered]@{
                    account_id = $accountId
                    groups = Get-RegistrationGroup -AccountPath ('{0}\{1}' -f $RegistrationKey, $accountId)
                })
        }
        $accounts = $list.ToArray()
    }
    [ordered]@{
        key_exists = $exists
        root_values = Get-HrwRegistryValueMap -Path $RegistrationKey
        accounts = $accounts
    }
}

Function Get-AzureAutomationSection {
    param ([AllowNull()][string]$InstallPath)
    $section = [ordered]@{
        path = $null
        exists = $null
        versions = $null
        latest = $null
        hybrid_registration_path = $null
        hybrid_registration_exists = $null
    }
    if (-not $InstallPath) {
        return $section
    }
    $section.path = Join-Path -Path $InstallPath -ChildPath 'AzureAutomation'
    $section.exists = [IO.Directory]::Exists($section.path)
    $versions = [string[]]@()
    if ($section.exists) {
        $versions = Get-HrwVersionFolder -Path $section.path
    }
    $section.versions = $versions
    if ($null -ne $versions -and $versions.Count -gt 0) {
        $section.latest = $versions[$versions.Count - 1]
        $section.hybrid_registration_path = Join-Path -Path $section.path -ChildPath ('{0}\HybridRegistration\HybridRegistration.psd1' -f $section.latest)
        $section.hybrid_registration_exists = [IO.File]::Exists($section.hybrid_registration_path)
    }
    $section
}

Function Get-ExtensionSection {
    $exists = [IO.Directory]::Exists($ExtensionPluginPath)
    $versions = [string[]]@()
    if ($exists) {
        $versions = Invoke-Guarded -Where 'extension.versions' -Script { Get-HrwVersionFolder -Path $ExtensionPluginPath }
    }
    [ordered]@{
        service = Invoke-Guarded -Where 'extension.service' -Script { Get-HrwServiceInfo -Name 'HybridWorkerService' }
        plugin_path = $ExtensionPluginPath
        plugin_exists = $exists
        versions = $versions
        registry_keys = [ordered]@{
            hybrid_worker = Test-HrwRegistryKey -Path 'SOFTWARE\Microsoft\Azure\HybridWorker'
            hybrid_runbook_worker_v2 = Test-HrwRegistryKey -Path 'SOFTWARE\Microsoft\HybridRunbookWorkerV2'
        }
    }
}

# --------------------------------------------------------------------------- events

Function Get-MessageEvent {
    <# {time_created, message} of each record. #>
    param ([AllowEmptyCollection()][object[]]$Records)
    $list = New-Object -TypeName System.Collections.Generic.List[Object]
    foreach ($record in $Records) {
        $list.Add([ordered]@{
                time_created = ConvertTo-HrwUtcString -Value $record.TimeCreated
                message = Get-HrwEventMessage -Record $record
            })
    }
    , $list.ToArray()
}

Function Get-OperationsManagerEvent {
    param ([Parameter(Mandatory = $true)][DateTime]$Since, [Parameter(Mandatory = $true)][int]$MaxEvents)
    $exists = Test-HrwEventLog -LogName $OperationsManagerLog
    $list = New-Object -TypeName System.Collections.Generic.List[Object]
    if ($exists) {
        # Every provider: the source names the failing module (AzureAutomation.HybridAgent...).
        foreach ($record in (Get-HrwEventRecord -LogName $OperationsManagerLog -Id 4502 -StartTime $Since -MaxEvents $MaxEvents)) {
            $list.Add([ordered]@{
                    time_created = ConvertTo-HrwUtcString -Value $record.TimeCreated
                    provider = $record.ProviderName
                    message = Get-HrwEventMessage -Record $record
                })
        }
    }
    [ordered]@{
        log_exists = $exists
        events_4502 = $list.ToArray()
    }
}

Function Get-WorkerEvent {
    <#
    15003 (worker started) / 15004 (stopped) with their first four properties as strings.
    UNVERIFIED: the meaning and order of the properties (Microsoft's script compares
    Properties[1] with Properties[2]_Properties[3]); Python does that match.
    #>
    param ([Parameter(Mandatory = $true)][DateTime]$Since, [Parameter(Mandatory = $true)][int]$MaxEvents)
    $list = New-Object -TypeName System.Collections.Generic.List[Object]
    foreach ($record in (Get-HrwEventRecord -LogName $SmaLog -Id 15003, 15004 -StartTime $Since -MaxEvents $MaxEvents)) {
        $properties = New-Object -TypeName System.Collections.Generic.List[Object]
        foreach ($property in @($record.Properties | Select-Object -First 4)) {
            if ($null -eq $property.Value) {
                $properties.Add($null)
            }
            else {
                $properties.Add([string]$property.Value)
            }
        }
        $list.Add([ordered]@{
                id = [int]$record.Id
                time_created = ConvertTo-HrwUtcString -Value $record.TimeCreated
                properties = $properties.ToArray()
            })
    }
    , $list.ToArray()
}

Function Find-MessageEvent {
    <#
    Events of the window whose message contains each text, at most MaxEvents each. The
    event id of "Win32 Process Exited with code [...]" is not documented, so at most
    MaxEvents * MessageScanFactor events of the window (at most MaxMessageScan) are read and
    their text matched.
    #>
    param (
        [Parameter(Mandatory = $true)][DateTime]$Since,
        [Parameter(Mandatory = $true)][int]$MaxEvents,
        [Parameter(Mandatory = $true)][string[]]$Text
    )
    $found = @{}
    foreach ($item in $Text) {
        $found[$item] = New-Object -TypeName System.Collections.Generic.List[Object]
    }
    $scan = [int][Math]::Min([long]$MaxEvents * $MessageScanFactor, [long]$MaxMessageScan)
    foreach ($record in (Get-HrwEventRecord -LogName $SmaLog -StartTime $Since -MaxEvents $scan)) {
        $message = $null
        foreach ($item in $Text) {
            if ($found[$item].Count -ge $MaxEvents) {
                continue
            }
            if ($null -eq $message) {
                # Rendered in full for the match; cut to 512 characters only when reported.
                $message = [string](Get-HrwEventText -Record $record)
            }
            if ($message.Contains($item)) {
                $found[$item].Add([ordered]@{
                        time_created = ConvertTo-HrwUtcString -Value $record.TimeCreated
                        message = Format-HrwMessage -Text $message
                    })
            }
        }
    }
    $found
}

Function Get-SmaEvent {
    param ([Parameter(Mandatory = $true)][DateTime]$Since, [Parameter(Mandatory = $true)][int]$MaxEvents)
    $exists = Test-HrwEventLog -LogName $SmaLog
    # A missing log is a fact (log_exists false): its lists are empty, not unknown.
    $section = [ordered]@{
        log_exists = $exists
        worker_events = @()
        events_15011 = @()
        process_exit_4294967295 = @()
        process_exit_2148734720 = @()
    }
    if (-not $exists) {
        return $section
    }
    $section.worker_events = Invoke-Guarded -Where 'events.sma.worker_events' -Script { Get-WorkerEvent -Since $Since -MaxEvents $MaxEvents }
    $section.events_15011 = Invoke-Guarded -Where 'events.sma.events_15011' -Script {
        Get-MessageEvent -Records (Get-HrwEventRecord -LogName $SmaLog -Id 15011 -StartTime $Since -MaxEvents $MaxEvents)
    }
    $exitA = 'Win32 Process Exited with code [4294967295]'
    $exitB = 'Win32 Process Exited with code [2148734720]'
    $matched = Invoke-Guarded -Where 'events.sma.process_exit' -Script { Find-MessageEvent -Since $Since -MaxEvents $MaxEvents -Text $exitA, $exitB }
    if ($null -ne $matched) {
        $section.process_exit_4294967295 = $matched[$exitA].ToArray()
        $section.process_exit_2148734720 = $matched[$exitB].ToArray()
    }
    else {
        $section.process_exit_4294967295 = $null
        $section.process_exit_2148734720 = $null
    }
    $section
}

Function Get-WindowsUpdateEvent {
    param ([Parameter(Mandatory = $true)][DateTime]$Since, [Parameter(Mandatory = $true)][int]$MaxEvents)
    $list = New-Object -TypeName System.Collections.Generic.List[Object]
    $query = @{
        LogName = 'System'
        ProviderName = 'Microsoft-Windows-WindowsUpdateClient'
        Id = 20, 25, 31
        StartTime = $Since
        MaxEvents = $MaxEvents
    }
    foreach ($record in (Get-HrwEventRecord @query)) {
        $list.Add([ordered]@{
                id = [int]$record.Id
                time_created = ConvertTo-HrwUtcString -Value $record.TimeCreated
                message = Get-HrwEventMessage -Record $record
            })
    }
    [ordered]@{
        events = $list.ToArray()
    }
}

Function Get-EventSection {
    param (
        [Parameter(Mandatory = $true)][DateTime]$Now,
        [Parameter(Mandatory = $true)][int]$WindowHours,
        [Parameter(Mandatory = $true)][int]$MaxEvents
    )
    $since = $Now.AddHours(-$WindowHours)
    [ordered]@{
        window_hours = $WindowHours
        operations_manager = Invoke-Guarded -Where 'events.operations_manager' -Script { Get-OperationsManagerEvent -Since $since -MaxEvents $MaxEvents }
        sma = Invoke-Guarded -Where 'events.sma' -Script { Get-SmaEvent -Since $since -MaxEvents $MaxEvents }
        windows_update = Invoke-Guarded -Where 'events.windows_update' -Script { Get-WindowsUpdateEvent -Since $since -MaxEvents $MaxEvents }
    }
}

# --------------------------------------------------------------------------- settings

Function Get-SchannelMapping {
    param ([Parameter(Mandatory = $true)][string]$Side)
    $path = '{0}\{1}' -f $SchannelKey, $Side
    [ordered]@{
        key_exists = Test-HrwRegistryKey -Path $path
        Enabled = ConvertTo-NullableInt -Value (Get-HrwRegistryValue -Path $path -Name 'Enabled')
        DisabledByDefault = ConvertTo-NullableInt -Value (Get-HrwRegistryValue -Path $path -Name 'DisabledByDefault')
    }
}

Function Get-DotnetTlsMapping {
    param ([Parameter(Mandatory = $true)][string]$Path)
    [ordered]@{
        SchUseStrongCrypto = ConvertTo-NullableInt -Value (Get-HrwRegistryValue -Path $Path -Name 'SchUseStrongCrypto')
        SystemDefaultTlsVersions = ConvertTo-NullableInt -Value (Get-HrwRegistryValue -Path $Path -Name 'SystemDefaultTlsVersions')
    }
}

Function Get-TlsSection {
    [ordered]@{
        schannel = [ordered]@{
            client = Invoke-Guarded -Where 'tls.schannel.client' -Script { Get-SchannelMapping -Side 'Client' }
            server = Invoke-Guarded -Where 'tls.schannel.server' -Script { Get-SchannelMapping -Side 'Server' }
        }
        dotnet = [ordered]@{
            x64 = Invoke-Guarded -Where 'tls.dotnet.x64' -Script { Get-DotnetTlsMapping -Path 'SOFTWARE\Microsoft\.NETFramework\v4.0.30319' }
            x86 = Invoke-Guarded -Where 'tls.dotnet.x86' -Script { Get-DotnetTlsMapping -Path 'SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319' }
        }
    }
}

Function Get-WindowsUpdateSection {
    # Values as stored (DWORD as int, strings as strings); null when absent.
    $au = '{0}\AU' -f $WindowsUpdatePolicyKey
    $policy = Invoke-Guarded -Where 'windows_update.policy' -Script {
        [ordered]@{
            WUServer = Get-HrwRegistryValue -Path $WindowsUpdatePolicyKey -Name 'WUServer'
            WUStatusServer = Get-HrwRegistryValue -Path $WindowsUpdatePolicyKey -Name 'WUStatusServer'
            UseWUServer = Get-HrwRegistryValue -Path $au -Name 'UseWUServer'
            AUOptions = Get-HrwRegistryValue -Path $au -Name 'AUOptions'
            NoAutoUpdate = Get-HrwRegistryValue -Path $au -Name 'NoAutoUpdate'
            AlwaysAutoRebootAtScheduledTime = Get-HrwRegistryValue -Path $au -Name 'AlwaysAutoRebootAtScheduledTime'
            AlwaysAutoRebootAtScheduledTimeMinutes = Get-HrwRegistryValue -Path $au -Name 'AlwaysAutoRebootAtScheduledTimeMinutes'
        }
    }
    [ordered]@{
        policy = $policy
        service = Invoke-Guarded -Where 'windows_update.service' -Script { Get-HrwServiceInfo -Name 'wuauserv' }
    }
}

Function Get-AclMapping {
    param ([Parameter(Mandatory = $true)][string]$Where, [Parameter(Mandatory = $true)][string]$Path)
    try {
        Get-HrwAclInfo -Path $Path
    }
    catch {
        Add-CollectorError -Where $Where -ErrorRecord $_
        [ordered]@{
            path = $Path
            exists = $null
            owner = $null
            aces = $null
        }
    }
}

Function Get-PermissionSection {
    $rsa = Join-Path -Path ([Environment]::GetFolderPath('CommonApplicationData')) -ChildPath 'Microsoft\Crypto\RSA'
    [ordered]@{
        machine_keys = Get-AclMapping -Where 'permissions.machine_keys' -Path (Join-Path -Path $rsa -ChildPath 'MachineKeys')
        rsa = Get-AclMapping -Where 'permissions.rsa' -Path $rsa
    }
}

# --------------------------------------------------------------------------- network

Function Get-WinHttpProxyLine {
    # Raw lines: parsing netsh's (localised) text is Python's job.
    $netsh = Join-Path -Path ([Environment]::SystemDirectory) -ChildPath 'netsh.exe'
    $lines = New-Object -TypeName System.Collections.Generic.List[String]
    foreach ($line in (& $netsh winhttp show proxy)) {
        $lines.Add([string]$line)
    }
    if ($LASTEXITCODE -ne 0) {
        throw ('netsh winhttp show proxy exited with {0}' -f $LASTEXITCODE)
    }
    , $lines.ToArray()
}

Function Get-AzureVmMapping {
    $enclosure = Get-CimFirst -ClassName Win32_SystemEnclosure
    $system = Get-CimFirst -ClassName Win32_ComputerSystem
    $tag = $null
    if ($null -ne $enclosure -and $null -ne $enclosure.SMBIOSAssetTag) {
        $tag = ([string]$enclosure.SMBIOSAssetTag).Trim()
    }
    $detected = $null
    if ($null -ne $tag) {
        $detected = $tag -eq $AzureAssetTag
    }
    $vendor = $null
    $product = $null
    if ($null -ne $system) {
        $vendor = [string]$system.Manufacturer
        $product = [string]$system.Model
    }
    [ordered]@{
        detected = $detected
        source = 'Win32_SystemEnclosure.SMBIOSAssetTag'
        chassis_asset_tag = $tag
        sys_vendor = $vendor
        product_name = $product
    }
}

Function Get-ImdsMapping {
    <#
    As on Linux, only a detected Azure VM is asked, and only when probing. The first GET
    goes the default way (proxy included, as Microsoft's IMDSConnectivity check); only when
    it fails is it repeated with the proxy bypassed (direct_ok).
    #>
    param ([AllowNull()][object]$AzureVm, [Parameter(Mandatory = $true)][bool]$Probe, [Parameter(Mandatory = $true)][double]$Timeout)
    $imds = [ordered]@{
        probed = $false
        reason = $null
        url = $null
        ok = $null
        status = $null
        error = $null
        elapsed_ms = $null
        direct_ok = $null
    }
    $detected = $null
    if ($null -ne $AzureVm) {
        $detected = $AzureVm.detected
    }
    if ($detected -eq $false) {
        $imds.reason = 'not an Azure VM'
        return $imds
    }
    if ($null -eq $detected) {
        $imds.reason = 'not known to be an Azure VM (no SMBIOS asset tag)'
        return $imds
    }
    if (-not $Probe) {
        $imds.reason = 'probing is off'
        return $imds
    }
    $timeoutMs = [int]([Math]::Min($Timeout, 2.0) * 1000)
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $first = Invoke-HrwImdsRequest -Url $ImdsUrl -TimeoutMs $timeoutMs
    $imds.probed = $true
    $imds.url = $ImdsUrl
    $imds.ok = $first.ok
    $imds.status = $first.status
    $imds.error = $first.error
    if (-not $first.ok) {
        $direct = Invoke-HrwImdsRequest -Url $ImdsUrl -TimeoutMs $timeoutMs -BypassProxy
        $imds.direct_ok = $direct.ok
    }
    $imds.elapsed_ms = [int]$watch.ElapsedMilliseconds
    $imds
}

Function Get-NetworkSection {
    param ([Parameter(Mandatory = $true)][bool]$Probe, [Parameter(Mandatory = $true)][double]$Timeout, [AllowNull()][object]$AccountId, [AllowNull()][object]$AccountRegion)
    $raw = Invoke-Guarded -Where 'network.winhttp_proxy' -Script { Get-WinHttpProxyLine }
    $azureVm = Invoke-Guarded -Where 'network.azure_vm' -Script { Get-AzureVmMapping }
    [ordered]@{
        winhttp_proxy = [ordered]@{ raw = $raw }
        azure_vm = $azureVm
        imds = Invoke-Guarded -Where 'network.imds' -Script { Get-ImdsMapping -AzureVm $azureVm -Probe $Probe -Timeout $Timeout }
        automation_account = [ordered]@{ id = $AccountId; region = $AccountRegion }
    }
}

# --------------------------------------------------------------------------- endpoints

Function Get-EndpointSection {
    <#
    The endpoints derived on the controller (ADR 0002 decision 5), with {workspace_id}
    filled in, probed in one phase: each distinct host:port directly and, when the agent has
    an http proxy, through it as well. The top-level dns/tcp/tls/elapsed_ms/error_class are
    the agent's own path (through its proxy when it has one), as on Linux (ADR 0001).
    #>
    param (
        [AllowNull()][object]$Endpoints,
        [AllowNull()][string]$WorkspaceId,
        [AllowNull()][object]$Proxy,
        [Parameter(Mandatory = $true)][bool]$Probe,
        [Parameter(Mandatory = $true)][double]$Timeout
    )
    $derived = New-Object -TypeName System.Collections.Generic.List[Object]
    $endpointErrors = New-Object -TypeName System.Collections.Generic.List[Object]
    foreach ($item in @($Endpoints)) {
        if ($null -eq $item) {
            continue
        }
        $endpointHost = [string]$item['host']
        if ($endpointHost.Contains($WorkspacePlaceholder)) {
            if (-not $WorkspaceId) {
                $endpointErrors.Add([ordered]@{
                        purpose = $item['purpose']
                        reason = 'the host needs the workspace id and the agent has no single workspace (agent.workspace_id is null)'
                    })
                continue
            }
            $endpointHost = $endpointHost.Replace($WorkspacePlaceholder, $WorkspaceId)
        }
        $derived.Add([ordered]@{
                purpose = $item['purpose']
                index = $item['index']
                host = $endpointHost
                port = $item['port']
                source = $item['source']
            })
    }

    # One probe per distinct host:port (and path), shared by the entries that name it.
    $direct = @{}
    $tunnelled = @{}
    if ($Probe -and $derived.Count -gt 0) {
        $jobs = New-Object -TypeName System.Collections.Generic.List[Object]
        $keys = New-Object -TypeName System.Collections.Generic.List[Object]
        foreach ($endpoint in $derived) {
            $key = '{0}:{1}' -f $endpoint.host, $endpoint.port
            if ($keys.Contains($key)) {
                continue
            }
            $keys.Add($key)
            $jobs.Add(@{ host = $endpoint.host; port = $endpoint.port; proxy = $null })
        }
        if ($null -ne $Proxy) {
            foreach ($endpoint in $derived) {
                $key = '{0}:{1}' -f $endpoint.host, $endpoint.port
                if ($keys.Contains('proxy ' + $key)) {
                    continue
                }
                $keys.Add('proxy ' + $key)
                $jobs.Add(@{ host = $endpoint.host; port = $endpoint.port; proxy = $Proxy })
            }
        }
        $failures = New-Object -TypeName System.Collections.Generic.List[String]
        $results = Invoke-Guarded -Where 'endpoints' -Script { Invoke-HrwEndpointProbe -Job $jobs.ToArray() -TimeoutSeconds $Timeout -Failure $failures }
        foreach ($failure in $failures) {
            Add-CollectorError -Where 'endpoints' -ErrorRecord (New-Object -TypeName System.InvalidOperationException -ArgumentList $failure)
        }
        if ($null -ne $results) {
            for ($number = 0; $number -lt $jobs.Count; $number++) {
                $key = $keys[$number]
                if ($key.StartsWith('proxy ')) {
                    $tunnelled[$key.Substring(6)] = $results[$number]
                }
                else {
                    $direct[$key] = $results[$number]
                }
            }
        }
    }

    $entries = New-Object -TypeName System.Collections.Generic.List[Object]
    foreach ($endpoint in $derived) {
        $key = '{0}:{1}' -f $endpoint.host, $endpoint.port
        $directResult = $null
        $proxyResult = $null
        if ($direct.ContainsKey($key)) {
            $directResult = $direct[$key]
        }
        if ($tunnelled.ContainsKey($key)) {
            $proxyResult = $tunnelled[$key]
        }
        $agentPath = $directResult
        if ($null -ne $Proxy) {
            $agentPath = $proxyResult
        }
        $entry = [ordered]@{
            purpose = $endpoint.purpose
            index = $endpoint.index
            host = $endpoint.host
            port = $endpoint.port
            source = $endpoint.source
            dns = $null
            tcp = $null
            tls = $null
            elapsed_ms = $null
            error_class = $null
            direct = $directResult
            via_proxy = $proxyResult
        }
        if ($null -ne $agentPath) {
            Merge-HrwProbeResult -Target $entry -Source $agentPath
        }
        $entries.Add($entry)
    }
    [PSCustomObject]@{ Endpoints = $entries.ToArray(); Errors = $endpointErrors.ToArray() }
}

# --------------------------------------------------------------------------- options

Function Assert-Option {
    param ([Parameter(Mandatory = $true)][object]$Module)
    $timeout = [double]$Module.Params['probe_timeout']
    if ([double]::IsNaN($timeout) -or $timeout -le 0 -or $timeout -gt $MaxProbeTimeout) {
        $Module.FailJson(('probe_timeout must be a number of seconds greater than 0 and at most {0}, got {1}' -f $MaxProbeTimeout, $Module.Params['probe_timeout']))
    }
    $limits = [ordered]@{ window_hours = 8760; max_events = 10000; max_files = 10000000 }
    foreach ($name in $limits.Keys) {
        $value = [long]$Module.Params[$name]
        if ($value -lt 1 -or $value -gt $limits[$name]) {
            $Module.FailJson(('{0} must be a whole number from 1 to {1}, got {2}' -f $name, $limits[$name], $value))
        }
    }
}

# --------------------------------------------------------------------------- the document

Assert-Option -Module $module
$probeTimeout = [double]$module.Params['probe_timeout']
$probe = [bool]$module.Params['probe_endpoints']
$windowHours = [int]$module.Params['window_hours']
$maxEvents = [int]$module.Params['max_events']
$maxFiles = [int]$module.Params['max_files']
$thumbprint = $module.Params['run_as_certificate_thumbprint']

$hostSection = Invoke-Guarded -Where 'host' -Script { Get-HostSection -Now $collectorStarted }
$dotnetSection = Invoke-Guarded -Where 'dotnet' -Script { Get-DotnetSection }
$agentSection = Invoke-Guarded -Where 'agent' -Script { Get-AgentSection -MaxEvents $maxEvents }
$installPath = $null
$workspaceId = $null
if ($null -ne $agentSection) {
    $installPath = $agentSection.install_path
    $workspaceId = $agentSection.workspace_id
}
$stateSection = Invoke-Guarded -Where 'health_service_state' -Script { Get-HealthServiceStateSection -InstallPath $installPath -MaxFiles $maxFiles }
$registrationSection = Invoke-Guarded -Where 'registration' -Script { Get-RegistrationSection }
$automationSection = Invoke-Guarded -Where 'azure_automation' -Script { Get-AzureAutomationSection -InstallPath $installPath }
$extensionSection = Invoke-Guarded -Where 'extension' -Script { Get-ExtensionSection }
$eventSection = Invoke-Guarded -Where 'events' -Script { Get-EventSection -Now $collectorStarted -WindowHours $windowHours -MaxEvents $maxEvents }
$tlsSection = Invoke-Guarded -Where 'tls' -Script { Get-TlsSection }
$updateSection = Invoke-Guarded -Where 'windows_update' -Script { Get-WindowsUpdateSection }
$permissionSection = Invoke-Guarded -Where 'permissions' -Script { Get-PermissionSection }
$certificateSection = $null
if ($thumbprint) {
    $certificateSection = Invoke-Guarded -Where 'run_as_certificate' -Script { Get-HrwCertificateInfo -Thumbprint $thumbprint }
}
$networkSection = Invoke-Guarded -Where 'network' -Script {
    Get-NetworkSection -Probe $probe -Timeout $probeTimeout -AccountId $module.Params['automation_account_id'] -AccountRegion $module.Params['automation_account_region']
}
$endpointSection = Invoke-Guarded -Where 'endpoints' -Script {
    Get-EndpointSection -Endpoints $module.Params['endpoints'] -WorkspaceId $workspaceId -Proxy $collectorState.ProxyEndpoint -Probe $probe -Timeout $probeTimeout
}
# One entry per event log whose messages could not be rendered: lists built by matching the
# message text (agent.updates_workspace_ids, events.sma.process_exit_*) may then be incomplete,
# and an empty one must not be read as "no such event".
$null = Invoke-Guarded -Where 'events' -Script {
    $unrendered = Get-HrwUnrenderedMessage
    foreach ($log in $unrendered.Keys) {
        $errors.Add([ordered]@{
                where = 'events'
                error = ('{0}: {1} event message(s) could not be rendered (no en-US or local message text for the publisher); lists matched on message text (agent.updates_workspace_ids, events.sma.process_exit_*) may be incomplete and those messages are null' -f $log, $unrendered[$log])
            })
    }
}
$endpointList = @()
$endpointErrorList = @()
if ($null -ne $endpointSection) {
    $endpointList = $endpointSection.Endpoints
    $endpointErrorList = $endpointSection.Errors
}

$facts = [ordered]@{
    schema = 1
    platform = 'windows'
    collector = [ordered]@{
        name = $CollectorName
        version = $CollectorVersion
        elapsed_ms = [int]$stopwatch.ElapsedMilliseconds
    }
    host = $hostSection
    dotnet = $dotnetSection
    agent = $agentSection
    health_service_state = $stateSection
    registration = $registrationSection
    azure_automation = $automationSection
    extension = $extensionSection
    events = $eventSection
    tls = $tlsSection
    windows_update = $updateSection
    permissions = $permissionSection
    run_as_certificate = $certificateSection
    network = $networkSection
    endpoints = $endpointList
    endpoint_errors = $endpointErrorList
    errors = $errors.ToArray()
}

$module.Result.changed = $false
$module.Result.ansible_facts = @{ hrw_facts = $facts }
$module.ExitJson()
