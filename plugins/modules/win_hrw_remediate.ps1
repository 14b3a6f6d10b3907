#!powershell

# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ansible_collections.azure_hrw.doctor.plugins.module_utils.HrwBackup

# The Windows repair executor: runs the primitive lists the Python plan chose
# (plugins/module_utils/hrw/windows_repair.py) in order. Every primitive reads the current
# state first (a second run is unchanged), changes nothing in check mode, reports before and
# after for the diff, and backs up what it removes before removing it. It never reboots.

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$spec = @{
    options = @{
        steps = @{
            type = 'list'
            elements = 'dict'
            required = $true
            options = @{
                action = @{ type = 'str'; required = $true }
                primitives = @{ type = 'list'; elements = 'dict'; required = $true }
            }
        }
        backup_dir = @{ type = 'path'; default = 'C:\ProgramData\azure_hrw.doctor\backup' }
        service_timeout = @{ type = 'int'; default = 120 }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

# Actions whose changes take effect only after a reboot (SCHANNEL and .NET read them at start).
$RebootActions = @('enable_tls12')
$MaxServiceTimeout = 3600
# DWORD arithmetic in Int64 (GetValue returns a DWORD as a signed Int32).
$DwordMask = [long]4294967295
$DwordRange = [long]4294967296
# One UTC stamp per run names every backup file of the run.
$RunStamp = [DateTime]::UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", [Globalization.CultureInfo]::InvariantCulture)
# Required and optional keys of each primitive (besides `op`).
$PrimitiveKeys = @{
    service_start = @{ required = @('name'); optional = @() }
    service_stop = @{ required = @('name'); optional = @() }
    service_restart = @{ required = @('name'); optional = @() }
    service_start_type = @{ required = @('name', 'start_type'); optional = @() }
    registry_key_export_remove = @{ required = @('path'); optional = @() }
    folder_archive_remove = @{ required = @('path'); optional = @() }
    registry_value_set = @{ required = @('path', 'name', 'type', 'value'); optional = @() }
    registry_value_remove = @{ required = @('path', 'name'); optional = @() }
    acl_grant = @{ required = @('path', 'sid', 'rights'); optional = @('inheritance', 'remove_deny') }
}
$StartTypes = @{ automatic = 'Automatic'; manual = 'Manual'; disabled = 'Disabled' }
$AclRights = @('FullControl', 'Modify', 'ReadAndExecute', 'Read', 'Write')
$AclInheritance = @('none', 'container_object')
# Registry exports already made this run (key path -> backup file): removing two values of one
# key backs the key up once, before the first removal.
$KeyBackups = @{}
# Check mode: the start type each service_start_type primitive of the run would set (service name
# -> Automatic|Manual|Disabled). A later service_start judges the service by it, not by the live
# start type, which check mode left as it was.
$PendingStartType = @{}

# --------------------------------------------------------------------------- validation

Function Assert-Primitive {
    <# Fails the module, before anything is touched, when a primitive is malformed. #>
    param (
        [Parameter(Mandatory = $true)][object]$Primitive,
        [Parameter(Mandatory = $true)][string]$Where
    )
    if ($Primitive -isnot [System.Collections.IDictionary]) {
        $module.FailJson(('{0} must be a dict with the key op, got {1}' -f $Where, $Primitive))
    }
    $op = [string]$Primitive['op']
    if (-not $PrimitiveKeys.ContainsKey($op)) {
        $module.FailJson(('{0}.op must be one of {1}, got "{2}"' -f $Where, (($PrimitiveKeys.Keys | Sort-Object) -join ', '), $op))
    }
    $known = @('op') + $PrimitiveKeys[$op].required + $PrimitiveKeys[$op].optional
    foreach ($key in $Primitive.Keys) {
        if ($known -notcontains [string]$key) {
            $module.FailJson(('{0} ({1}) has the unknown key "{2}"; expected {3}' -f $Where, $op, $key, ($known -join ', ')))
        }
    }
    foreach ($key in $PrimitiveKeys[$op].required) {
        if ($null -eq $Primitive[$key] -or [string]$Primitive[$key] -eq '') {
            $module.FailJson(('{0}.{1} is required for {2}' -f $Where, $key, $op))
        }
    }
    switch ($op) {
        'service_start_type' {
            if (-not $StartTypes.ContainsKey([string]$Primitive['start_type'])) {
                $module.FailJson(('{0}.start_type must be automatic, manual or disabled, got "{1}"' -f $Where, $Primitive['start_type']))
            }
        }
        { $_ -in @('registry_key_export_remove', 'registry_value_set', 'registry_value_remove') } {
            $null = Split-RegistryPath -Path ([string]$Primitive['path']) -Where ('{0}.path' -f $Where)
        }
        'registry_value_set' {
            $type = [string]$Primitive['type']
            if ($type -eq 'dword') {
                $number = [long]0
                if (-not [long]::TryParse([string]$Primitive['value'], [ref]$number) -or $number -lt 0 -or $number -gt 4294967295) {
                    $module.FailJson(('{0}.value must be a whole number from 0 to 4294967295 for type dword, got "{1}"' -f $Where, $Primitive['value']))
                }
            }
            elseif ($type -ne 'string') {
                $module.FailJson(('{0}.type must be dword or string, got "{1}"' -f $Where, $type))
            }
        }
        'folder_archive_remove' {
            $path = [string]$Primitive['path']
            if (-not [IO.Path]::IsPathRooted($path) -or $path.TrimEnd('\').Length -le 3) {
                $module.FailJson(('{0}.path must be an absolute folder path below a drive root, got "{1}"' -f $Where, $path))
            }
            $full = [IO.Path]::GetFullPath($path).TrimEnd('\') + '\'
            $backup = [IO.Path]::GetFullPath($module.Params['backup_dir']).TrimEnd('\') + '\'
            if ($backup.StartsWith($full, [StringComparison]::OrdinalIgnoreCase)) {
                $module.FailJson(('{0}.path "{1}" contains backup_dir "{2}"; the backup would be removed with it' -f $Where, $path, $module.Params['backup_dir']))
            }
        }
        'acl_grant' {
            $path = [string]$Primitive['path']
            if (-not [IO.Path]::IsPathRooted($path)) {
                $module.FailJson(('{0}.path must be an absolute path, got "{1}"' -f $Where, $path))
            }
            try {
                $null = New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList ([string]$Primitive['sid'])
            }
            catch {
                $module.FailJson(('{0}.sid must be a SID such as S-1-5-18, got "{1}"' -f $Where, $Primitive['sid']))
            }
            if ($AclRights -notcontains [string]$Primitive['rights']) {
                $module.FailJson(('{0}.rights must be one of {1}, got "{2}"' -f $Where, ($AclRights -join ', '), $Primitive['rights']))
            }
            if ($null -ne $Primitive['inheritance'] -and $AclInheritance -notcontains [string]$Primitive['inheritance']) {
                $module.FailJson(('{0}.inheritance must be none or container_object, got "{1}"' -f $Where, $Primitive['inheritance']))
            }
            if ($null -ne $Primitive['remove_deny'] -and $Primitive['remove_deny'] -isnot [bool]) {
                $module.FailJson(('{0}.remove_deny must be a boolean, got "{1}"' -f $Where, $Primitive['remove_deny']))
            }
        }
    }
}

Function Split-RegistryPath {
    <# 'HKLM:\SOFTWARE\X' -> @{ SubKey = 'SOFTWARE\X'; RegPath = 'HKLM\SOFTWARE\X'; Leaf = 'X' }; only HKLM is allowed. #>
    param (
        [Parameter(Mandatory = $true)][string]$Path,
        [string]$Where = 'path'
    )
    $match = [regex]::Match($Path, '^(?i)(HKLM:|HKEY_LOCAL_MACHINE)\\+(.+?)\\*$')
    if (-not $match.Success) {
        $module.FailJson(('{0} must be a registry path under HKLM:\, got "{1}"' -f $Where, $Path))
    }
    $subKey = $match.Groups[2].Value
    @{
        SubKey = $subKey
        RegPath = 'HKLM\' + $subKey
        Leaf = $subKey.Split('\')[-1]
    }
}

# --------------------------------------------------------------------------- helpers

Function Open-LocalMachine {
    # The 64-bit view, as win_hrw_facts reads it, so WOW6432Node paths are the paths written.
    [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
}

Function Get-RegistryValueState {
    <# @{ Exists; Kind; Value } of one value (Exists $false when the key or the value is absent). #>
    param ([Parameter(Mandatory = $true)][string]$SubKey, [Parameter(Mandatory = $true)][string]$Name)
    $state = @{ Exists = $false; Kind = $null; Value = $null }
    $base = Open-LocalMachine
    try {
        $key = $base.OpenSubKey($SubKey, $false)
        if ($null -eq $key) {
            return $state
        }
        try {
            if ($key.GetValueNames() -contains $Name) {
                $state.Exists = $true
                $state.Kind = $key.GetValueKind($Name)
                $state.Value = $key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
            }
        }
        finally {
            $key.Dispose()
        }
    }
    finally {
        $base.Dispose()
    }
    $state
}

Function Format-RegistryValueState {
    param ([Parameter(Mandatory = $true)][hashtable]$State)
    if (-not $State.Exists) {
        return '(absent)'
    }
    if ($State.Kind -eq [Microsoft.Win32.RegistryValueKind]::DWord) {
        # GetValue returns a signed Int32; show the DWORD as stored.
        return ('dword {0}' -f ([uint32]([long]$State.Value -band $DwordMask)))
    }
    '{0} {1}' -f ([string]$State.Kind).ToLowerInvariant(), [string]$State.Value
}

Function Get-RegistryKeyListing {
    <# The key's subkeys and value names (never the data), one per line, or $null when absent. #>
    param ([Parameter(Mandatory = $true)][string]$SubKey)
    $base = Open-LocalMachine
    try {
        $key = $base.OpenSubKey($SubKey, $false)
        if ($null -eq $key) {
            return $null
        }
        $lines = New-Object -TypeName System.Collections.Generic.List[String]
        $queue = New-Object -TypeName System.Collections.Generic.Queue[Object]
        $queue.Enqueue(@($key, ('HKLM:\' + $SubKey)))
        while ($queue.Count -gt 0 -and $lines.Count -lt 500) {
            $item = $queue.Dequeue()
            $current = $item[0]
            try {
                $lines.Add(('[{0}]' -f $item[1]))
                foreach ($valueName in ($current.GetValueNames() | Sort-Object)) {
                    $lines.Add(('  {0}' -f $valueName))
                }
                foreach ($childName in ($current.GetSubKeyNames() | Sort-Object)) {
                    $child = $current.OpenSubKey($childName, $false)
                    if ($null -ne $child) {
                        $queue.Enqueue(@($child, ('{0}\{1}' -f $item[1], $childName)))
                    }
                }
            }
            finally {
                $current.Dispose()
            }
        }
        while ($queue.Count -gt 0) {
            $queue.Dequeue()[0].Dispose()
        }
        $lines -join "`n"
    }
    finally {
        $base.Dispose()
    }
}

Function Export-RegistryKey {
    <# reg.exe export of HKLM\<SubKey> (64-bit view) to a new backup file; returns its path. #>
    param ([Parameter(Mandatory = $true)][hashtable]$Key)
    $dir = New-HrwBackupDirectory -Path $module.Params['backup_dir']
    $file = Get-HrwBackupPath -Directory $dir -Name $Key.Leaf -Extension '.reg' -Stamp $RunStamp
    Export-HrwRegistryKey -RegPath $Key.RegPath -File $file
    $file
}

Function Add-Backup {
    param ([Parameter(Mandatory = $true)][string]$Action, [Parameter(Mandatory = $true)][string]$Path, [Parameter(Mandatory = $true)][string]$Backup)
    $entry = [ordered]@{
        action = $Action
        path = $Path
        backup = $Backup
        sha256 = (Get-FileHash -LiteralPath $Backup -Algorithm SHA256).Hash.ToLowerInvariant()
    }
    # The lists of the running step and of the run (the main script's variables).
    $stepBackups.Add($entry)
    $allBackups.Add($entry)
}

Function Get-ErrorText {
    <# The message of an error, unwrapped from MethodInvocationException ("Exception calling ..."). #>
    param ([Parameter(Mandatory = $true)][object]$ErrorRecord)
    $exception = $ErrorRecord.Exception
    while ($exception -is [System.Management.Automation.MethodInvocationException] -and $null -ne $exception.InnerException) {
        $exception = $exception.InnerException
    }
    $exception.Message
}

Function New-PrimitiveResult {
    param ([Parameter(Mandatory = $true)][System.Collections.IDictionary]$Primitive, [Parameter(Mandatory = $true)][string]$Target)
    [ordered]@{
        op = [string]$Primitive['op']
        target = $Target
        status = 'unchanged'
        changed = $false
        msg = ''
        backup = $null
        before = ''
        after = ''
    }
}

Function Set-PrimitiveChange {
    <# Marks a primitive as changing: would_apply in check mode (the caller then touches nothing). #>
    param ([Parameter(Mandatory = $true)][System.Collections.IDictionary]$Result)
    $Result.changed = $true
    if ($module.CheckMode) {
        $Result.status = 'would_apply'
    }
    else {
        $Result.status = 'applied'
    }
}

# --------------------------------------------------------------------------- services

Function Get-ServiceController {
    param ([Parameter(Mandatory = $true)][string]$Name)
    $service = Get-Service -Name $Name -ErrorAction SilentlyContinue | Where-Object { $_.ServiceName -eq $Name } | Select-Object -First 1
    if ($null -eq $service) {
        throw ('the service {0} does not exist' -f $Name)
    }
    $service
}

Function Get-ServiceStartMode {
    param ([Parameter(Mandatory = $true)][string]$Name)
    # Win32_Service has the start mode on every supported OS (Get-Service has StartType only from 5.0 on).
    $cim = Get-CimInstance -ClassName Win32_Service -Filter ("Name='{0}'" -f $Name) -OperationTimeoutSec 30 -ErrorAction Stop
    if ($null -eq $cim) {
        throw ('the service {0} does not exist' -f $Name)
    }
    $modes = @{ Auto = 'Automatic'; Manual = 'Manual'; Disabled = 'Disabled' }
    $mode = [string]$cim.StartMode
    if ($modes.ContainsKey($mode)) {
        return $modes[$mode]
    }
    $mode
}

Function Wait-ServiceStatus {
    <# Waits at most service_timeout seconds for the status; throws naming the service when it does not get there. #>
    param ([Parameter(Mandatory = $true)][object]$Service, [Parameter(Mandatory = $true)][string]$Status)
    $timeout = [TimeSpan]::FromSeconds([int]$module.Params['service_timeout'])
    try {
        $Service.WaitForStatus([System.ServiceProcess.ServiceControllerStatus]$Status, $timeout)
    }
    catch [System.ServiceProcess.TimeoutException] {
        $Service.Refresh()
        throw ('the service {0} did not reach {1} within {2} seconds (it is {3})' -f $Service.ServiceName, $Status, $timeout.TotalSeconds, $Service.Status)
    }
    $Service.Refresh()
}

Function Start-ServiceBounded {
    param ([Parameter(Mandatory = $true)][object]$Service)
    if ([string]$Service.Status -eq 'StopPending') {
        Wait-ServiceStatus -Service $Service -Status 'Stopped'
    }
    if ([string]$Service.Status -ne 'StartPending') {
        $Service.Start()
    }
    Wait-ServiceStatus -Service $Service -Status 'Running'
}

Function Stop-ServiceBounded {
    param ([Parameter(Mandatory = $true)][object]$Service)
    if ([string]$Service.Status -eq 'StartPending') {
        Wait-ServiceStatus -Service $Service -Status 'Running'
    }
    if ([string]$Service.Status -ne 'StopPending') {
        $Service.Stop()
    }
    Wait-ServiceStatus -Service $Service -Status 'Stopped'
}

Function Invoke-ServiceOp {
    param ([Parameter(Mandatory = $true)][System.Collections.IDictionary]$Primitive)
    $name = [string]$Primitive['name']
    $op = [string]$Primitive['op']
    $result = New-PrimitiveResult -Primitive $Primitive -Target $name
    $service = Get-ServiceController -Name $name
    $status = [string]$service.Status
    $result.before = '{0}: {1}' -f $name, $status
    $result.after = $result.before
    if ($op -eq 'service_stop') {
        if ($status -eq 'Stopped') {
            $result.msg = ('{0} is already stopped' -f $name)
            return $result
        }
        Set-PrimitiveChange -Result $result
        $result.after = '{0}: Stopped' -f $name
        if ($module.CheckMode) {
            $result.msg = ('would stop {0}' -f $name)
            return $result
        }
        Stop-ServiceBounded -Service $service
        $result.msg = ('stopped {0}' -f $name)
        return $result
    }
    if ($op -eq 'service_start' -and $status -eq 'Running') {
        $result.msg = ('{0} is already running' -f $name)
        return $result
    }
    if ($status -ne 'Running') {
        $startMode = Get-ServiceStartMode -Name $name
        if ($module.CheckMode -and $PendingStartType.ContainsKey($name)) {
            $startMode = $PendingStartType[$name]
        }
        if ($startMode -eq 'Disabled') {
            throw ('the service {0} is disabled; set its start type first' -f $name)
        }
    }
    Set-PrimitiveChange -Result $result
    $result.after = '{0}: Running' -f $name
    $verb = 'start'
    if ($status -eq 'Running') {
        $verb = 'restart'
    }
    if ($module.CheckMode) {
        $result.msg = ('would {0} {1}' -f $verb, $name)
        return $result
    }
    if ($status -eq 'Running') {
        Stop-ServiceBounded -Service $service
    }
    Start-ServiceBounded -Service $service
    $result.msg = ('{0}ed {1}' -f $verb, $name)
    $result
}

Function Invoke-ServiceStartType {
    param ([Parameter(Mandatory = $true)][System.Collections.IDictionary]$Primitive)
    $name = [string]$Primitive['name']
    $wanted = $StartTypes[[string]$Primitive['start_type']]
    $result = New-PrimitiveResult -Primitive $Primitive -Target $name
    $null = Get-ServiceController -Name $name
    $current = Get-ServiceStartMode -Name $name
    $result.before = '{0} start type: {1}' -f $name, $current
    $result.after = '{0} start type: {1}' -f $name, $wanted
    if ($current -eq $wanted) {
        $result.msg = ('{0} already starts {1}' -f $name, $wanted.ToLowerInvariant())
        return $result
    }
    Set-PrimitiveChange -Result $result
    if ($module.CheckMode) {
        $PendingStartType[$name] = $wanted
        $result.msg = ('would set the start type of {0} to {1}' -f $name, $wanted)
        return $result
    }
    Set-Service -Name $name -StartupType $wanted
    $result.msg = ('set the start type of {0} to {1} (was {2})' -f $name, $wanted, $current)
    $result
}

# --------------------------------------------------------------------------- registry

Function Invoke-RegistryValueSet {
    param ([Parameter(Mandatory = $true)][System.Collections.IDictionary]$Primitive)
    $key = Split-RegistryPath -Path ([string]$Primitive['path'])
    $name = [string]$Primitive['name']
    $target = 'HKLM:\{0}\{1}' -f $key.SubKey, $name
    $result = New-PrimitiveResult -Primitive $Primitive -Target $target
    $state = Get-RegistryValueState -SubKey $key.SubKey -Name $name
    if ([string]$Primitive['type'] -eq 'dword') {
        $kind = [Microsoft.Win32.RegistryValueKind]::DWord
        $wanted = [long]$Primitive['value']
        # SetValue takes a DWORD as Int32: values above 0x7FFFFFFF as their two's complement.
        $data = [int]$wanted
        if ($wanted -gt [int]::MaxValue) {
            $data = [int]($wanted - $DwordRange)
        }
        $same = $state.Exists -and $state.Kind -eq $kind -and ([long]$state.Value -band $DwordMask) -eq $wanted
        $display = 'dword {0}' -f $wanted
    }
    else {
        $kind = [Microsoft.Win32.RegistryValueKind]::String
        $data = [string]$Primitive['value']
        $same = $state.Exists -and $state.Kind -eq $kind -and [string]$state.Value -ceq $data
        $display = 'string {0}' -f $data
    }
    $result.before = '{0} = {1}' -f $target, (Format-RegistryValueState -State $state)
    $result.after = '{0} = {1}' -f $target, $display
    if ($same) {
        $result.msg = ('{0} is already {1}' -f $target, $display)
        return $result
    }
    Set-PrimitiveChange -Result $result
    if ($module.CheckMode) {
        $result.msg = ('would set {0} to {1}' -f $target, $display)
        return $result
    }
    $base = Open-LocalMachine
    try {
        $handle = $base.CreateSubKey($key.SubKey)
        try {
            $handle.SetValue($name, $data, $kind)
        }
        finally {
            $handle.Dispose()
        }
    }
    finally {
        $base.Dispose()
    }
    $result.msg = ('set {0} to {1}' -f $target, $display)
    $result
}

Function Invoke-RegistryValueRemove {
    param ([Parameter(Mandatory = $true)][System.Collections.IDictionary]$Primitive, [Parameter(Mandatory = $true)][string]$Action)
    $key = Split-RegistryPath -Path ([string]$Primitive['path'])
    $name = [string]$Primitive['name']
    $target = 'HKLM:\{0}\{1}' -f $key.SubKey, $name
    $result = New-PrimitiveResult -Primitive $Primitive -Target $target
    $state = Get-RegistryValueState -SubKey $key.SubKey -Name $name
    $result.before = '{0} = {1}' -f $target, (Format-RegistryValueState -State $state)
    $result.after = '{0} = (absent)' -f $target
    if (-not $state.Exists) {
        $result.msg = ('{0} is already absent' -f $target)
        return $result
    }
    Set-PrimitiveChange -Result $result
    if ($module.CheckMode) {
        $result.msg = ('would export HKLM:\{0} to {1} and remove {2}' -f $key.SubKey, $module.Params['backup_dir'], $target)
        return $result
    }
    if (-not $KeyBackups.ContainsKey($key.RegPath)) {
        $KeyBackups[$key.RegPath] = Export-RegistryKey -Key $key
        Add-Backup -Action $Action -Path ('HKLM:\' + $key.SubKey) -Backup $KeyBackups[$key.RegPath]
    }
    $result.backup = $KeyBackups[$key.RegPath]
    $base = Open-LocalMachine
    try {
        $handle = $base.OpenSubKey($key.SubKey, $true)
        try {
            $handle.DeleteValue($name, $false)
        }
        finally {
            $handle.Dispose()
        }
    }
    finally {
        $base.Dispose()
    }
    $result.msg = ('removed {0} (key exported to {1})' -f $target, $result.backup)
    $result
}

Function Invoke-RegistryKeyExportRemove {
    param ([Parameter(Mandatory = $true)][System.Collections.IDictionary]$Primitive, [Parameter(Mandatory = $true)][string]$Action)
    $key = Split-RegistryPath -Path ([string]$Primitive['path'])
    $target = 'HKLM:\' + $key.SubKey
    $result = New-PrimitiveResult -Primitive $Primitive -Target $target
    $listing = Get-RegistryKeyListing -SubKey $key.SubKey
    $result.after = '{0}: (absent)' -f $target
    if ($null -eq $listing) {
        $result.before = $result.after
        $result.msg = ('{0} is already absent' -f $target)
        return $result
    }
    $result.before = $listing
    Set-PrimitiveChange -Result $result
    if ($module.CheckMode) {
        $result.msg = ('would export {0} to {1} and remove it' -f $target, $module.Params['backup_dir'])
        return $result
    }
    $result.backup = Export-RegistryKey -Key $key
    Add-Backup -Action $Action -Path $target -Backup $result.backup
    $base = Open-LocalMachine
    try {
        $base.DeleteSubKeyTree($key.SubKey, $false)
    }
    finally {
        $base.Dispose()
    }
    $result.msg = ('exported {0} to {1} and removed it' -f $target, $result.backup)
    $result
}

# --------------------------------------------------------------------------- folders

Function Invoke-FolderArchiveRemove {
    param ([Parameter(Mandatory = $true)][System.Collections.IDictionary]$Primitive, [Parameter(Mandatory = $true)][string]$Action)
    $path = ([string]$Primitive['path']).TrimEnd('\')
    $result = New-PrimitiveResult -Primitive $Primitive -Target $path
    $result.after = '{0}: (absent)' -f $path
    if (-not [IO.Directory]::Exists($path)) {
        $result.before = $result.after
        $result.msg = ('{0} is already absent' -f $path)
        return $result
    }
    $files = @(Get-ChildItem -LiteralPath $path -Recurse -Force -File -ErrorAction Stop)
    $bytes = [long]0
    foreach ($file in $files) {
        $bytes += $file.Length
    }
    $result.before = '{0}: {1} file(s), {2} byte(s)' -f $path, $files.Count, $bytes
    Set-PrimitiveChange -Result $result
    if ($module.CheckMode) {
        $result.msg = ('would archive {0} ({1} files) to {2} and remove it' -f $path, $files.Count, $module.Params['backup_dir'])
        return $result
    }
    $dir = New-HrwBackupDirectory -Path $module.Params['backup_dir']
    $zip = Get-HrwBackupPath -Directory $dir -Name (Split-Path -Path $path -Leaf) -Extension '.zip' -Stamp $RunStamp
    # ZipFile (.NET 4.5) rather than Compress-Archive: it keeps empty folders and hidden files and
    # handles a multi-gigabyte cache; entries are relative to the folder (Expand-Archive restores it).
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    [IO.Compression.ZipFile]::CreateFromDirectory($path, $zip, [IO.Compression.CompressionLevel]::Optimal, $false)
    # Nothing is removed unless the archive holds every file.
    $archive = [IO.Compression.ZipFile]::OpenRead($zip)
    try {
        # Folder entries end with a separator ('\' in archives of .NET Framework before 4.6.1).
        $entries = @($archive.Entries | Where-Object { -not ($_.FullName.EndsWith('/') -or $_.FullName.EndsWith('\')) }).Count
    }
    finally {
        $archive.Dispose()
    }
    if ($entries -ne $files.Count) {
        throw ('the archive {0} holds {1} file(s), {2} has {3}: nothing was removed' -f $zip, $entries, $path, $files.Count)
    }
    $result.backup = $zip
    Add-Backup -Action $Action -Path $path -Backup $zip
    Remove-Item -LiteralPath $path -Recurse -Force
    $result.msg = ('archived {0} ({1} files) to {2} and removed it' -f $path, $files.Count, $zip)
    $result
}

# --------------------------------------------------------------------------- ACLs

Function Format-AccessRule {
    param ([Parameter(Mandatory = $true)][object]$Security)
    $lines = foreach ($rule in $Security.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
        $inherited = ''
        if ($rule.IsInherited) {
            $inherited = ' (inherited)'
        }
        '{0} {1} {2} [{3}; {4}]{5}' -f $rule.AccessControlType, $rule.IdentityReference.Value, $rule.FileSystemRights, $rule.InheritanceFlags, $rule.PropagationFlags, $inherited
    }
    @($lines) -join "`n"
}

Function Invoke-AclGrant {
    param ([Parameter(Mandatory = $true)][System.Collections.IDictionary]$Primitive, [Parameter(Mandatory = $true)][string]$Action)
    $path = [string]$Primitive['path']
    $result = New-PrimitiveResult -Primitive $Primitive -Target $path
    if (-not (Test-Path -LiteralPath $path)) {
        throw ('{0} does not exist' -f $path)
    }
    $sid = New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList ([string]$Primitive['sid'])
    $rights = [System.Security.AccessControl.FileSystemRights][string]$Primitive['rights']
    $flags = [System.Security.AccessControl.InheritanceFlags]::None
    if ([string]$Primitive['inheritance'] -eq 'container_object' -and [IO.Directory]::Exists($path)) {
        $flags = [System.Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit'
    }
    $removeDeny = $Primitive['remove_deny'] -eq $true
    $item = Get-Item -LiteralPath $path -Force
    # Only the DACL is read and written: no owner or SACL change (which would need more privileges).
    $security = $item.GetAccessControl([System.Security.AccessControl.AccessControlSections]::Access)
    $granted = $false
    $denies = 0
    foreach ($rule in $security.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
        if (-not $rule.IdentityReference.Equals($sid)) {
            continue
        }
        if ($rule.AccessControlType -eq [System.Security.AccessControl.AccessControlType]::Deny) {
            if (-not $rule.IsInherited) {
                $denies++
            }
            continue
        }
        $applies = ($rule.PropagationFlags -band [System.Security.AccessControl.PropagationFlags]::InheritOnly) -eq 0
        $covers = ([int]$rule.FileSystemRights -band [int]$rights) -eq [int]$rights
        $inherits = ($rule.InheritanceFlags -band $flags) -eq $flags
        if ($applies -and $covers -and $inherits) {
            $granted = $true
        }
    }
    $result.before = Format-AccessRule -Security $security
    if ($granted -and -not ($removeDeny -and $denies -gt 0)) {
        $result.after = $result.before
        $result.msg = ('{0} already has {1} on {2}' -f $sid.Value, $rights, $path)
        return $result
    }
    $wantedRule = New-Object -TypeName System.Security.AccessControl.FileSystemAccessRule -ArgumentList @(
        $sid, $rights, $flags, [System.Security.AccessControl.PropagationFlags]::None, [System.Security.AccessControl.AccessControlType]::Allow)
    $backupSddl = $security.GetSecurityDescriptorSddlForm([System.Security.AccessControl.AccessControlSections]::Access)
    if ($removeDeny -and $denies -gt 0) {
        $denyRule = New-Object -TypeName System.Security.AccessControl.FileSystemAccessRule -ArgumentList @(
            $sid, $rights, [System.Security.AccessControl.InheritanceFlags]::None, [System.Security.AccessControl.PropagationFlags]::None,
            [System.Security.AccessControl.AccessControlType]::Deny)
        $security.RemoveAccessRuleAll($denyRule)
    }
    if (-not $granted) {
        $security.AddAccessRule($wantedRule)
    }
    $result.after = Format-AccessRule -Security $security
    Set-PrimitiveChange -Result $result
    if ($module.CheckMode) {
        $result.msg = ('would grant {0} {1} on {2}' -f $sid.Value, $rights, $path)
        return $result
    }
    # The DACL as it was, in SDDL, restorable with SetSecurityDescriptorSddlForm (docs/repair-backups.md).
    $dir = New-HrwBackupDirectory -Path $module.Params['backup_dir']
    $file = Get-HrwBackupPath -Directory $dir -Name ((Split-Path -Path $path -Leaf) + '.acl') -Extension '.sddl' -Stamp $RunStamp
    [IO.File]::WriteAllText($file, $backupSddl, (New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false))
    $result.backup = $file
    Add-Backup -Action $Action -Path $path -Backup $file
    $item.SetAccessControl($security)
    $removed = ''
    if ($removeDeny -and $denies -gt 0) {
        $removed = ' and removed {0} Deny entr(ies) of it' -f $denies
    }
    $result.msg = ('granted {0} {1} on {2}{3} (ACL saved to {4})' -f $sid.Value, $rights, $path, $removed, $file)
    $result
}

# --------------------------------------------------------------------------- run

Function Start-StoppedService {
    <#
    After a step failed: starts again, each within service_timeout, the services its service_stop
    primitives stopped and no later primitive started (a failed purge must not leave HealthService
    down). Returns one note per service for the step's msg; never throws (the step failed already).
    #>
    param ([Parameter(Mandatory = $true)][AllowEmptyCollection()][string[]]$Names)
    $notes = foreach ($name in $Names) {
        try {
            $service = Get-ServiceController -Name $name
            if ([string]$service.Status -ne 'Running') {
                Start-ServiceBounded -Service $service
                'started {0} again after the failure' -f $name
            }
        }
        catch {
            'could not start {0} again after the failure: {1}' -f $name, (Get-ErrorText -ErrorRecord $_)
        }
    }
    , [string[]]@($notes)
}

Function Invoke-Primitive {
    param ([Parameter(Mandatory = $true)][System.Collections.IDictionary]$Primitive, [Parameter(Mandatory = $true)][string]$Action)
    switch ([string]$Primitive['op']) {
        'service_start_type' { return Invoke-ServiceStartType -Primitive $Primitive }
        'registry_value_set' { return Invoke-RegistryValueSet -Primitive $Primitive }
        'registry_value_remove' { return Invoke-RegistryValueRemove -Primitive $Primitive -Action $Action }
        'registry_key_export_remove' { return Invoke-RegistryKeyExportRemove -Primitive $Primitive -Action $Action }
        'folder_archive_remove' { return Invoke-FolderArchiveRemove -Primitive $Primitive -Action $Action }
        'acl_grant' { return Invoke-AclGrant -Primitive $Primitive -Action $Action }
        default { return Invoke-ServiceOp -Primitive $Primitive }
    }
}

Function Get-PrimitiveTarget {
    param ([Parameter(Mandatory = $true)][System.Collections.IDictionary]$Primitive)
    if ($Primitive.Contains('name') -and -not $Primitive.Contains('path')) {
        return [string]$Primitive['name']
    }
    if ($Primitive.Contains('name')) {
        return '{0}\{1}' -f $Primitive['path'], $Primitive['name']
    }
    [string]$Primitive['path']
}

$timeout = [int]$module.Params['service_timeout']
if ($timeout -lt 1 -or $timeout -gt $MaxServiceTimeout) {
    $module.FailJson(('service_timeout must be a whole number of seconds from 1 to {0}, got {1}' -f $MaxServiceTimeout, $timeout))
}
if (-not [IO.Path]::IsPathRooted($module.Params['backup_dir'])) {
    $module.FailJson(('backup_dir must be an absolute path, got "{0}"' -f $module.Params['backup_dir']))
}
$steps = @($module.Params['steps'])
for ($index = 0; $index -lt $steps.Count; $index++) {
    $primitives = @($steps[$index]['primitives'])
    for ($number = 0; $number -lt $primitives.Count; $number++) {
        Assert-Primitive -Primitive $primitives[$number] -Where ('steps[{0}].primitives[{1}]' -f $index, $number)
    }
}

$allBackups = New-Object -TypeName System.Collections.Generic.List[Object]
$stepResults = New-Object -TypeName System.Collections.Generic.List[Object]
$failedStep = $null
$diffBefore = New-Object -TypeName System.Collections.Generic.List[String]
$diffAfter = New-Object -TypeName System.Collections.Generic.List[String]

foreach ($step in $steps) {
    $action = [string]$step['action']
    $stepBackups = New-Object -TypeName System.Collections.Generic.List[Object]
    $results = New-Object -TypeName System.Collections.Generic.List[Object]
    $stepResult = [ordered]@{
        action = $action
        status = 'unchanged'
        changed = $false
        msg = ''
        primitives = $null
        backups = $null
        diff = $null
        reboot_required = $false
    }
    $stepFailed = $null
    # Services this step stopped: started again if the step fails before its own service_start.
    $stoppedHere = New-Object -TypeName System.Collections.Generic.List[String]
    foreach ($primitive in @($step['primitives'])) {
        if ($null -ne $failedStep -or $null -ne $stepFailed) {
            $skipped = New-PrimitiveResult -Primitive $primitive -Target (Get-PrimitiveTarget -Primitive $primitive)
            $skipped.status = 'not_run'
            $skipped.msg = 'not run: an earlier primitive failed'
            $results.Add($skipped)
            continue
        }
        try {
            $outcome = Invoke-Primitive -Primitive $primitive -Action $action
            $results.Add($outcome)
            if ($outcome.op -eq 'service_stop' -and $outcome.status -eq 'applied') {
                $stoppedHere.Add($outcome.target)
            }
        }
        catch {
            $failure = New-PrimitiveResult -Primitive $primitive -Target (Get-PrimitiveTarget -Primitive $primitive)
            $failure.status = 'failed'
            $failure.msg = Get-ErrorText -ErrorRecord $_
            $results.Add($failure)
            $stepFailed = $failure
        }
    }
    $changedOnes = @($results | Where-Object { $_.changed })
    if ($null -ne $failedStep) {
        $stepResult.status = 'not_run'
        $stepResult.msg = ('not run: step {0} failed' -f $failedStep)
    }
    elseif ($null -ne $stepFailed) {
        $stepResult.status = 'failed'
        $stepResult.msg = ('{0} failed: {1}' -f $stepFailed.op, $stepFailed.msg)
        $restarted = Start-StoppedService -Names $stoppedHere.ToArray()
        if ($restarted.Count -gt 0) {
            $stepResult.msg = '{0}; {1}' -f $stepResult.msg, ($restarted -join '; ')
        }
        $failedStep = $action
    }
    elseif ($changedOnes.Count -gt 0) {
        $stepResult.status = $changedOnes[0].status
        $stepResult.msg = (@($changedOnes | ForEach-Object { $_.msg }) -join '; ')
    }
    elseif ($results.Count -eq 0) {
        $stepResult.msg = 'nothing to do: the step has no primitives'
    }
    else {
        $stepResult.msg = (@($results | ForEach-Object { $_.msg }) -join '; ')
    }
    if ($changedOnes.Count -gt 0) {
        $stepResult.changed = $true
        $stepResult.reboot_required = $RebootActions -contains $action
        $before = @($changedOnes | ForEach-Object { $_.before }) -join "`n"
        $after = @($changedOnes | ForEach-Object { $_.after }) -join "`n"
        $stepResult.diff = [ordered]@{
            before = $before + "`n"
            after = $after + "`n"
            before_header = '{0} (before)' -f $action
            after_header = '{0} (after)' -f $action
        }
        $diffBefore.Add(('# {0}' -f $action))
        $diffBefore.Add($before)
        $diffAfter.Add(('# {0}' -f $action))
        $diffAfter.Add($after)
    }
    $stepResult.primitives = $results.ToArray()
    $stepResult.backups = $stepBackups.ToArray()
    $stepResults.Add($stepResult)
}

$module.Result.changed = @($stepResults | Where-Object { $_.changed }).Count -gt 0
$module.Result.reboot_required = @($stepResults | Where-Object { $_.reboot_required }).Count -gt 0
$module.Result.backups = $allBackups.ToArray()
$module.Result.steps = $stepResults.ToArray()
if ($diffBefore.Count -gt 0) {
    $module.Diff.before = ($diffBefore -join "`n") + "`n"
    $module.Diff.after = ($diffAfter -join "`n") + "`n"
}
if ($null -ne $failedStep) {
    $module.FailJson(('step {0} failed; the steps after it were not run (see steps)' -f $failedStep))
}
$module.ExitJson()
