# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Read-only readers for win_hrw_facts (docs/adr/0002-windows-facts.md): registry, services,
# event logs, folders, ACLs and certificates. Each function reads one kind of thing and
# returns plain hashtables/arrays; none of them writes anything. Windows PowerShell 5.1,
# no external modules. Errors are thrown to the caller, which turns them into `errors`
# entries for its section.

Set-StrictMode -Version 2.0

# Messages are cut here (ADR 0002 decision 6) so one chatty event cannot bloat the document.
$script:MaxMessageLength = 512

# Seconds one CIM (WMI) query may take (the same bound as win_hrw_facts.ps1 $CimTimeoutSec): a
# hung WMI then costs this long and the caller records an `errors` entry, never a hung module.
$script:CimTimeoutSec = 15

# Event messages are rendered in this culture: the Python rules match English text, and on
# Windows PowerShell 5.1 Get-WinEvent renders Message through the publisher metadata of the
# thread's CurrentCulture, which comes back $null/empty when that culture has no message
# resources (e.g. de-CH or en-GB regional settings with an en-US UI, as under WinRM).
$script:MessageCulture = 'en-US'

# Log name -> how many event messages could not be rendered (null or empty even after a second
# FormatDescription() in the host's own culture); the module reports one `errors` entry per log.
$script:UnrenderedMessages = [ordered]@{}

Function ConvertTo-HrwUtcString {
    <#
    .SYNOPSIS
    A date as "yyyy-MM-ddTHH:mm:ssZ" (UTC, invariant culture), or $null.
    #>
    [CmdletBinding()]
    param ([AllowNull()][object]$Value)

    if ($null -eq $Value) {
        return $null
    }
    $date = [DateTime]$Value
    # An Unspecified kind is local time for WMI/CIM and file times converted by .NET.
    $date.ToUniversalTime().ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", [Globalization.CultureInfo]::InvariantCulture)
}

Function Format-HrwMessage {
    <#
    .SYNOPSIS
    A message cut at 512 characters, or $null.
    #>
    [CmdletBinding()]
    param ([AllowNull()][object]$Text)

    if ($null -eq $Text) {
        return $null
    }
    $value = [string]$Text
    if ($value.Length -gt $script:MaxMessageLength) {
        $value = $value.Substring(0, $script:MaxMessageLength)
    }
    $value
}

Function Get-HrwObjectProperty {
    <#
    .SYNOPSIS
    The first of the named properties an object has (COM, CIM or .NET), or $null.
    .DESCRIPTION
    Under StrictMode a missing property throws; the COM objects of the agent differ between
    versions (UNVERIFIED property names), so a missing one must read as $null.
    #>
    [CmdletBinding()]
    param (
        [AllowNull()][object]$InputObject,
        [Parameter(Mandatory = $true)][string[]]$Name
    )

    if ($null -eq $InputObject) {
        return $null
    }
    foreach ($candidate in $Name) {
        $property = $InputObject.PSObject.Properties[$candidate]
        if ($null -ne $property) {
            return $property.Value
        }
    }
    $null
}

Function Open-HrwRegistryKey {
    <#
    .SYNOPSIS
    HKLM\<Path> opened read-only in the 64-bit view, or $null when it does not exist.
    .DESCRIPTION
    The 64-bit view is explicit so WOW6432Node paths are read as written even if the
    collector ever runs in a 32-bit host. The caller disposes the key.
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory = $true)][string]$Path)

    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        $base.OpenSubKey($Path, $false)
    }
    finally {
        $base.Dispose()
    }
}

Function Test-HrwRegistryKey {
    <#
    .SYNOPSIS
    Whether HKLM\<Path> exists.
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory = $true)][string]$Path)

    $key = Open-HrwRegistryKey -Path $Path
    if ($null -eq $key) {
        return $false
    }
    $key.Dispose()
    $true
}

Function ConvertTo-HrwRegistryString {
    <#
    .SYNOPSIS
    A registry value as one string (multi-string joined by newlines, binary as hex).
    #>
    [CmdletBinding()]
    param ([AllowNull()][object]$Value)

    if ($null -eq $Value) {
        return $null
    }
    if ($Value -is [byte[]]) {
        return (($Value | ForEach-Object -Process { $_.ToString('X2') }) -join '')
    }
    if ($Value -is [string[]]) {
        return ($Value -join "`n")
    }
    [string]$Value
}

Function Get-HrwRegistryValue {
    <#
    .SYNOPSIS
    One value of HKLM\<Path> as stored (DWORD as int, string as string), or $null when the
    key or the value is absent.
    #>
    [CmdletBinding()]
    param (
        [Parameter(Mandatory = $true)][string]$Path,
        [Parameter(Mandatory = $true)][string]$Name
    )

    $key = Open-HrwRegistryKey -Path $Path
    if ($null -eq $key) {
        return $null
    }
    try {
        # DoNotExpandEnvironmentNames: report what is written, not this session's expansion.
        $value = $key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
        if ($value -is [array]) {
            # Multi-string and binary values stay one value (the pipeline would unroll them).
            return , $value
        }
        $value
    }
    finally {
        $key.Dispose()
    }
}

Function Get-HrwRegistryValueMap {
    <#
    .SYNOPSIS
    Every value on HKLM\<Path> as name -> string, or $null when the key is absent.
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory = $true)][string]$Path)

    $key = Open-HrwRegistryKey -Path $Path
    if ($null -eq $key) {
        return $null
    }
    try {
        $map = [ordered]@{}
        foreach ($name in $key.GetValueNames()) {
            $value = $key.GetValue($name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
            $map[$name] = ConvertTo-HrwRegistryString -Value $value
        }
        $map
    }
    finally {
        $key.Dispose()
    }
}

Function Get-HrwRegistrySubKeyName {
    <#
    .SYNOPSIS
    The names of the subkeys of HKLM\<Path> (sorted), or $null when the key is absent.
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory = $true)][string]$Path)

    $key = Open-HrwRegistryKey -Path $Path
    if ($null -eq $key) {
        return $null
    }
    try {
        $names = [string[]]@($key.GetSubKeyNames() | Sort-Object)
        , $names
    }
    finally {
        $key.Dispose()
    }
}

Function Get-HrwServiceInfo {
    <#
    .SYNOPSIS
    The ADR 0002 service mapping {name, exists, display_name, status, start_type,
    process_id, process_start_utc} of one service, from Win32_Service.
    .DESCRIPTION
    Win32_Service gives the start mode on every supported OS (Get-Service has StartType only
    from PowerShell 5) and the process id; the start time comes from Win32_Process, which
    (unlike Get-Process) does not need access to the service's process.
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory = $true)][string]$Name)

    $info = [ordered]@{
        name = $Name
        exists = $false
        display_name = $null
        status = $null
        start_type = $null
        process_id = $null
        process_start_utc = $null
    }
    $service = Get-CimInstance -ClassName Win32_Service -Filter ("Name='{0}'" -f $Name) -OperationTimeoutSec $script:CimTimeoutSec -ErrorAction Stop
    if ($null -eq $service) {
        return $info
    }
    $info.exists = $true
    $info.display_name = [string]$service.DisplayName
    # Win32_Service spells states "Start Pending"; the ServiceControllerStatus names have no space.
    $info.status = ([string]$service.State) -replace ' ', ''
    $startTypes = @{ Auto = 'Automatic'; Manual = 'Manual'; Disabled = 'Disabled'; Boot = 'Boot'; System = 'System' }
    $mode = [string]$service.StartMode
    if ($startTypes.ContainsKey($mode)) {
        $info.start_type = $startTypes[$mode]
    }
    else {
        $info.start_type = $mode
    }
    $processId = [int]$service.ProcessId
    if ($processId -gt 0) {
        $info.process_id = $processId
        $process = Get-CimInstance -ClassName Win32_Process -Filter ("ProcessId={0}" -f $processId) -OperationTimeoutSec $script:CimTimeoutSec -ErrorAction Stop
        if ($null -ne $process) {
            $info.process_start_utc = ConvertTo-HrwUtcString -Value $process.CreationDate
        }
    }
    $info
}

Function Test-HrwEventLog {
    <#
    .SYNOPSIS
    Whether an event log (channel) exists on this host.
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory = $true)][string]$LogName)

    try {
        $null = Get-WinEvent -ListLog $LogName -ErrorAction Stop
        $true
    }
    catch {
        # A missing log is a fact (log_exists false); anything else is an error for the caller.
        if ($_.FullyQualifiedErrorId -like 'NoMatchingLogsFound*') {
            return $false
        }
        throw
    }
}

Function Get-HrwEventRecord {
    <#
    .SYNOPSIS
    Newest-first event records of one log, bounded by -MaxEvents (and -StartTime when given).
    .DESCRIPTION
    Get-WinEvent throws "No events were found" when nothing matches: that is an empty
    result, not an error. The caller checks the log exists first (Test-HrwEventLog).
    #>
    [CmdletBinding()]
    param (
        [Parameter(Mandatory = $true)][string]$LogName,
        [int[]]$Id,
        [string]$ProviderName,
        [AllowNull()][object]$StartTime,
        [Parameter(Mandatory = $true)][int]$MaxEvents
    )

    $filter = @{ LogName = $LogName }
    if ($null -ne $Id -and $Id.Count -gt 0) {
        $filter.Id = $Id
    }
    if ($ProviderName) {
        $filter.ProviderName = $ProviderName
    }
    if ($null -ne $StartTime) {
        # FilterHashtable compares with local time.
        $filter.StartTime = ([DateTime]$StartTime).ToLocalTime()
    }
    $records = New-Object -TypeName System.Collections.Generic.List[Object]
    # Get-WinEvent renders each Message while it reads, in the thread's CurrentCulture: read in
    # en-US (MessageCulture) and restore the caller's culture whatever happens.
    $thread = [System.Threading.Thread]::CurrentThread
    $culture = $thread.CurrentCulture
    try {
        $thread.CurrentCulture = [Globalization.CultureInfo]::GetCultureInfo($script:MessageCulture)
        foreach ($record in (Get-WinEvent -FilterHashtable $filter -MaxEvents $MaxEvents -ErrorAction Stop)) {
            $records.Add($record)
        }
    }
    catch {
        # No event, or (System log) no such provider registered: nothing to report.
        if ($_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound*' -and $_.FullyQualifiedErrorId -notlike 'NoMatchingProvidersFound*') {
            throw
        }
    }
    finally {
        $thread.CurrentCulture = $culture
    }
    , $records.ToArray()
}

Function Get-HrwEventText {
    <#
    .SYNOPSIS
    The whole rendered message of an event record, or $null when it cannot be rendered (for
    matching; reported messages go through Get-HrwEventMessage).
    .DESCRIPTION
    The message Get-WinEvent rendered (in en-US, see Get-HrwEventRecord), else one more
    FormatDescription() in the host's culture. A message that is still null or empty is
    counted for its log (Get-HrwUnrenderedMessage), so the caller can say in `errors` that
    lists built by matching message text may be incomplete, instead of reading an empty
    list as "no such event".
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory = $true)][object]$Record)

    $text = $null
    try {
        $text = $Record.Message
        if ([string]::IsNullOrEmpty($text)) {
            $text = $Record.FormatDescription()
        }
    }
    catch {
        # A provider whose message DLL is gone: the event is still reported, without text.
        $text = $null
    }
    if (-not [string]::IsNullOrEmpty($text)) {
        return [string]$text
    }
    $log = [string]$Record.LogName
    if ($script:UnrenderedMessages.Contains($log)) {
        $script:UnrenderedMessages[$log] = $script:UnrenderedMessages[$log] + 1
    }
    else {
        $script:UnrenderedMessages[$log] = 1
    }
    $null
}

Function Get-HrwUnrenderedMessage {
    <#
    .SYNOPSIS
    Log name -> count, for each event log with messages Get-HrwEventText could not render.
    #>
    [CmdletBinding()]
    param ()

    $copy = [ordered]@{}
    foreach ($log in $script:UnrenderedMessages.Keys) {
        $copy[$log] = [int]$script:UnrenderedMessages[$log]
    }
    $copy
}

Function Get-HrwEventMessage {
    <#
    .SYNOPSIS
    The rendered message of an event record cut at 512 characters, or $null.
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory = $true)][object]$Record)

    Format-HrwMessage -Text (Get-HrwEventText -Record $Record)
}

Function Measure-HrwFolder {
    <#
    .SYNOPSIS
    Size, file count and oldest/newest write time of a folder tree, stopping at -MaxFiles.
    .DESCRIPTION
    A manual walk with DirectoryInfo.EnumerateFiles (fast, streaming) so one unreadable
    subfolder costs that subfolder (counted in unreadable_dirs), not the whole walk, and
    junctions are not followed (no loops, no double counting).
    #>
    [CmdletBinding()]
    param (
        [Parameter(Mandatory = $true)][string]$Path,
        [Parameter(Mandatory = $true)][int]$MaxFiles
    )

    $result = [ordered]@{
        exists = [IO.Directory]::Exists($Path)
        size_bytes = $null
        file_count = $null
        truncated = $null
        oldest_write_utc = $null
        newest_write_utc = $null
        unreadable_dirs = 0
    }
    if (-not $result.exists) {
        return $result
    }
    [long]$size = 0
    $count = 0
    $oldest = $null
    $newest = $null
    $truncated = $false
    $pending = New-Object -TypeName System.Collections.Generic.Stack[String]
    $pending.Push($Path)
    while ($pending.Count -gt 0 -and -not $truncated) {
        $directory = New-Object -TypeName System.IO.DirectoryInfo -ArgumentList $pending.Pop()
        try {
            foreach ($file in $directory.EnumerateFiles()) {
                if ($count -ge $MaxFiles) {
                    $truncated = $true
                    break
                }
                $count++
                $size += $file.Length
                $written = $file.LastWriteTimeUtc
                if ($null -eq $oldest -or $written -lt $oldest) {
                    $oldest = $written
                }
                if ($null -eq $newest -or $written -gt $newest) {
                    $newest = $written
                }
            }
            foreach ($child in $directory.EnumerateDirectories()) {
                if (($child.Attributes -band [IO.FileAttributes]::ReparsePoint) -eq 0) {
                    $pending.Push($child.FullName)
                }
            }
        }
        catch {
            # Access denied, or a folder removed by the agent during the walk: skip it.
            $result.unreadable_dirs++
        }
    }
    $result.size_bytes = $size
    $result.file_count = $count
    $result.truncated = $truncated
    $result.oldest_write_utc = ConvertTo-HrwUtcString -Value $oldest
    $result.newest_write_utc = ConvertTo-HrwUtcString -Value $newest
    $result
}

Function Get-HrwVersionFolder {
    <#
    .SYNOPSIS
    The names of the subfolders of a folder that parse as [version], sorted ascending by
    version; $null when the folder does not exist.
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory = $true)][string]$Path)

    if (-not [IO.Directory]::Exists($Path)) {
        return $null
    }
    $found = New-Object -TypeName System.Collections.Generic.List[Object]
    foreach ($directory in (New-Object -TypeName System.IO.DirectoryInfo -ArgumentList $Path).EnumerateDirectories()) {
        $parsed = $null
        if ([Version]::TryParse($directory.Name, [ref]$parsed)) {
            $found.Add([PSCustomObject]@{ Name = $directory.Name; Version = $parsed })
        }
    }
    $names = [string[]]@($found | Sort-Object -Property Version | ForEach-Object -Process { $_.Name })
    , $names
}

Function Get-HrwAclInfo {
    <#
    .SYNOPSIS
    The ADR 0002 ACL mapping {path, exists, owner, aces} of a folder.
    .DESCRIPTION
    Raw ACEs only (identity, SID, Allow/Deny, rights mask, inherited, inherit_only,
    container_inherit): the effective-rights arithmetic is Python's (ADR 0002 decision 2).
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory = $true)][string]$Path)

    $info = [ordered]@{
        path = $Path
        exists = [IO.Directory]::Exists($Path)
        owner = $null
        aces = $null
    }
    if (-not $info.exists) {
        return $info
    }
    $acl = Get-Acl -LiteralPath $Path -ErrorAction Stop
    try {
        $info.owner = $acl.Owner
    }
    catch {
        # An owner account that no longer resolves: its SID is still the truth.
        $info.owner = $acl.GetOwner([System.Security.Principal.SecurityIdentifier]).Value
    }
    $aces = New-Object -TypeName System.Collections.Generic.List[Object]
    # Read by SID (always present) and translated to an account name only for `identity`: the
    # reverse (name -> SID) fails for names that do not round-trip, e.g. "APPLICATION PACKAGE
    # AUTHORITY\ALL APPLICATION PACKAGES" on some builds, and would leave the ACE without a SID.
    foreach ($rule in $acl.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
        $sid = [string]$rule.IdentityReference.Value
        $identity = $sid
        try {
            $identity = [string]$rule.IdentityReference.Translate([System.Security.Principal.NTAccount]).Value
        }
        catch {
            # An orphaned or unresolvable account: the SID is the identity text.
            $identity = $sid
        }
        $inheritance = [int]$rule.InheritanceFlags
        $propagation = [int]$rule.PropagationFlags
        $aces.Add([ordered]@{
                identity = $identity
                sid = $sid
                type = [string]$rule.AccessControlType
                rights = [int]$rule.FileSystemRights
                inherited = [bool]$rule.IsInherited
                # InheritOnly: the ACE does not apply to this folder, only to what inherits it.
                inherit_only = ($propagation -band [int][System.Security.AccessControl.PropagationFlags]::InheritOnly) -ne 0
                # ContainerInherit: subfolders inherit the ACE.
                container_inherit = ($inheritance -band [int][System.Security.AccessControl.InheritanceFlags]::ContainerInherit) -ne 0
            })
    }
    $info.aces = $aces.ToArray()
    $info
}

Function Get-HrwCertificateInfo {
    <#
    .SYNOPSIS
    The ADR 0002 run_as_certificate mapping for a thumbprint in LocalMachine\My.
    .DESCRIPTION
    The store is opened read-only; the private key is never touched (HasPrivateKey only).
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory = $true)][string]$Thumbprint)

    # Thumbprints copied from the certificate UI carry spaces and invisible marks.
    $clean = ($Thumbprint -replace '[^0-9A-Fa-f]', '').ToUpperInvariant()
    $info = [ordered]@{
        thumbprint = $clean
        found = $false
        subject = $null
        not_after = $null
        has_private_key = $null
    }
    $store = New-Object -TypeName System.Security.Cryptography.X509Certificates.X509Store -ArgumentList 'My', 'LocalMachine'
    try {
        $store.Open([System.Security.Cryptography.X509Certificates.OpenFlags]'ReadOnly, OpenExistingOnly')
        foreach ($certificate in $store.Certificates) {
            if ($certificate.Thumbprint -eq $clean) {
                $info.found = $true
                $info.subject = $certificate.Subject
                $info.not_after = ConvertTo-HrwUtcString -Value $certificate.NotAfter
                $info.has_private_key = [bool]$certificate.HasPrivateKey
                break
            }
        }
    }
    finally {
        $store.Close()
    }
    $info
}

$exportMembers = @{
    Function = @(
        'ConvertTo-HrwUtcString'
        'Format-HrwMessage'
        'Get-HrwObjectProperty'
        'Open-HrwRegistryKey'
        'Test-HrwRegistryKey'
        'ConvertTo-HrwRegistryString'
        'Get-HrwRegistryValue'
        'Get-HrwRegistryValueMap'
        'Get-HrwRegistrySubKeyName'
        'Get-HrwServiceInfo'
        'Test-HrwEventLog'
        'Get-HrwEventRecord'
        'Get-HrwEventText'
        'Get-HrwUnrenderedMessage'
        'Get-HrwEventMessage'
        'Measure-HrwFolder'
        'Get-HrwVersionFolder'
        'Get-HrwAclInfo'
        'Get-HrwCertificateInfo'
    )
}
Export-ModuleMember @exportMembers
