#!powershell

# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ansible_collections.azure_hrw.doctor.plugins.module_utils.HrwReader
#AnsibleRequires -PowerShell ansible_collections.azure_hrw.doctor.plugins.module_utils.HrwBackup

# Registers, deregisters or re-registers an agent-based (V1) Windows Hybrid Runbook Worker with
# the HybridRegistration cmdlets the AzureAutomation solution pushes to the Microsoft Monitoring
# Agent. The account key reaches those cmdlets in this process only: it is never an argument of
# a child process, never in the result, and scrubbed (with its URL-encoded forms) from every text
# that leaves the module. Everything removed is exported with reg.exe first.

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$spec = @{
    options = @{
        state = @{ type = 'str'; default = 'present'; choices = @('present', 'absent', 'reregistered') }
        group_name = @{ type = 'str' }
        url = @{ type = 'str'; required = $true }
        key = @{ type = 'str'; required = $true; no_log = $true }
        account_id = @{ type = 'str'; required = $true }
        allow_destructive = @{ type = 'bool'; default = $false }
        backup_dir = @{ type = 'path'; default = 'C:\ProgramData\azure_hrw.doctor\backup' }
    }
    required_if = @(
        , @('state', 'present', @('group_name'))
        , @('state', 'reregistered', @('group_name'))
    )
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$RegistrationSubKey = 'SOFTWARE\Microsoft\HybridRunbookWorker'
$RegistrationPath = 'HKLM:\' + $RegistrationSubKey
$SetupKey = 'SOFTWARE\Microsoft\Microsoft Operations Manager\3.0\Setup'
$DefaultAgentPath = 'C:\Program Files\Microsoft Monitoring Agent\Agent'
$HealthService = 'HealthService'
# Seconds HealthService may take to stop, and again to start (a bounded wait, never a hang).
$ServiceTimeoutSec = 120
$Mask = '********'
# One UTC stamp per run names every backup file of the run.
$RunStamp = [DateTime]::UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", [Globalization.CultureInfo]::InvariantCulture)

# The key, read once. Only the HybridRegistration cmdlet calls (New-CmdletArgument) and the
# scrubber use it.
$AccountKey = [string]$module.Params['key']
# Every form the key can take in a text: as given, and URL-encoded (a base64 key has +, / and =,
# which a request URL or an exception text may carry as %2B, %2F and %3D in either case).
$SecretForms = @(@(
        $AccountKey
        [Uri]::EscapeDataString($AccountKey)
        [Net.WebUtility]::UrlEncode($AccountKey)
    ) | Where-Object { -not [string]::IsNullOrEmpty($_) } | Select-Object -Unique | Sort-Object -Property Length -Descending)

$actions = New-Object -TypeName System.Collections.Generic.List[Object]
$backups = New-Object -TypeName System.Collections.Generic.List[Object]
# Warnings of the cmdlets and of this module, scrubbed and emitted by Exit-Module.
$warnings = New-Object -TypeName System.Collections.Generic.List[String]
# State the functions share: the whole message of a failure a helper explains itself (Stop-Run,
# reported by the main catch), the imported HybridRegistration cmdlets, and the export of the
# registration key this run removed (restored when the registration that follows fails).
$run = @{
    FinalMessage = $null
    HybridRegistration = $null
    RemovedKeyBackup = $null
    RestoreTried = $false
    RestoredFrom = $null
    AppliedBeforeRestore = @()
}

# --------------------------------------------------------------------------- secrets

Function Hide-Secret {
    <# The text with the account key, and its URL-encoded forms, replaced by ********. #>
    param ([AllowNull()][AllowEmptyString()][object]$Text)
    if ($null -eq $Text) {
        return $null
    }
    $value = [string]$Text
    foreach ($form in $SecretForms) {
        $value = [regex]::Replace($value, [regex]::Escape($form), $Mask, [Text.RegularExpressions.RegexOptions]::IgnoreCase)
    }
    $value
}

Function Hide-ResultSecret {
    <# A copy of a result value (dicts, lists, strings) with Hide-Secret applied to every string. #>
    param ([AllowNull()][object]$Value)
    if ($null -eq $Value) {
        return $null
    }
    if ($Value -is [string]) {
        return Hide-Secret -Text $Value
    }
    if ($Value -is [System.Collections.IDictionary]) {
        $copy = [ordered]@{}
        foreach ($name in @($Value.Keys)) {
            $copy[[string]$name] = Hide-ResultSecret -Value $Value[$name]
        }
        return $copy
    }
    if ($Value -is [System.Collections.IEnumerable]) {
        $items = New-Object -TypeName System.Collections.Generic.List[Object]
        foreach ($item in $Value) {
            $items.Add((Hide-ResultSecret -Value $item))
        }
        return , $items.ToArray()
    }
    $Value
}

Function Exit-Module {
    <# Ends the module: success, or failure with -Message; every string of the result scrubbed. #>
    param ([AllowNull()][string]$Message, [switch]$Failed)
    foreach ($warning in $warnings) {
        $module.Warn((Hide-Secret -Text $warning))
    }
    $module.Result.actions = $actions.ToArray()
    $module.Result.backups = $backups.ToArray()
    foreach ($name in @($module.Result.Keys)) {
        $module.Result[$name] = Hide-ResultSecret -Value $module.Result[$name]
    }
    foreach ($name in @($module.Diff.Keys)) {
        $module.Diff[$name] = Hide-Secret -Text $module.Diff[$name]
    }
    if ($Failed) {
        $module.FailJson((Hide-Secret -Text $Message))
    }
    $module.Result.msg = Hide-Secret -Text $Message
    $module.ExitJson()
}

Function Stop-Run {
    <#
    Ends the run with a failure explained in full: throws, so the main catch re-reads the
    registration and exits (no exit from inside a try block).
    #>
    param ([Parameter(Mandatory = $true)][string]$Message)
    $run.FinalMessage = Hide-Secret -Text $Message
    throw $run.FinalMessage
}

# --------------------------------------------------------------------------- registration state

Function Get-SubKeyList {
    <# The subkey names of HKLM\<Path> as an array (empty when the key is absent). #>
    param ([Parameter(Mandatory = $true)][string]$Path)
    $names = Get-HrwRegistrySubKeyName -Path $Path
    if ($null -eq $names) {
        return , [string[]]@()
    }
    , $names
}

Function Get-RootAccountId {
    <#
    The account of the older layout, when a root value records it: a value named AccountId, or a
    URL with /accounts/<guid>. UNVERIFIED value names; $null when none does.
    #>
    param ([AllowNull()][System.Collections.IDictionary]$Values)
    if ($null -eq $Values) {
        return $null
    }
    foreach ($name in @($Values.Keys)) {
        $data = [string]$Values[$name]
        $parsed = [guid]::Empty
        if ([string]$name -eq 'AccountId' -and [guid]::TryParse($data, [ref]$parsed)) {
            return $parsed.ToString()
        }
        $match = [regex]::Match($data, '(?i)/accounts/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})')
        if ($match.Success) {
            return $match.Groups[1].Value.ToLowerInvariant()
        }
    }
    $null
}

Function Read-Registration {
    <#
    The registration in HKLM:\SOFTWARE\Microsoft\HybridRunbookWorker, in all its layouts:
    RunbookWorkerGroup on the key itself (older), <AccountId>\<GroupName> (newer), with a User
    subkey for user workers. @{ KeyExists; Entries = [@{account_id; group; layout}] }.
    #>
    $entries = New-Object -TypeName System.Collections.Generic.List[Object]
    $exists = Test-HrwRegistryKey -Path $RegistrationSubKey
    if ($exists) {
        $rootValues = Get-HrwRegistryValueMap -Path $RegistrationSubKey
        foreach ($name in @($rootValues.Keys)) {
            if ([string]$name -eq 'RunbookWorkerGroup' -and $rootValues[$name]) {
                $entries.Add([ordered]@{ account_id = Get-RootAccountId -Values $rootValues; group = [string]$rootValues[$name]; layout = 'root_value' })
            }
        }
        $accountIds = Get-SubKeyList -Path $RegistrationSubKey
        foreach ($accountId in $accountIds) {
            $accountPath = '{0}\{1}' -f $RegistrationSubKey, $accountId
            $groups = Get-SubKeyList -Path $accountPath
            if ($groups.Count -eq 0) {
                $entries.Add([ordered]@{ account_id = [string]$accountId; group = $null; layout = 'account_only' })
            }
            foreach ($group in $groups) {
                $layout = 'account_group'
                $children = Get-SubKeyList -Path ('{0}\{1}' -f $accountPath, $group)
                if ($children -contains 'User') {
                    $layout = 'account_group_user'
                }
                $entries.Add([ordered]@{ account_id = [string]$accountId; group = [string]$group; layout = $layout })
            }
        }
    }
    @{ KeyExists = $exists; Entries = $entries.ToArray() }
}

Function Test-SameText {
    param ([AllowNull()][object]$Left, [AllowNull()][object]$Right)
    $null -ne $Left -and $null -ne $Right -and ([string]$Left).Trim() -eq ([string]$Right).Trim()
}

Function Find-MatchingEntry {
    <#
    The entry registered to account_id and group_name (case-insensitive), or $null. An older-layout
    entry that does not record its account matches on the group alone (nothing else to compare).
    #>
    param ([Parameter(Mandatory = $true)][hashtable]$Registration)
    foreach ($entry in $Registration.Entries) {
        $sameGroup = Test-SameText -Left $entry.group -Right $module.Params['group_name']
        $sameAccount = $null -eq $entry.account_id -or (Test-SameText -Left $entry.account_id -Right $module.Params['account_id'])
        if ($sameGroup -and $sameAccount) {
            return $entry
        }
    }
    $null
}

Function Get-RegistrationState {
    <# {registered, account_id, group, layout}: the matching entry, else the first one. #>
    param ([Parameter(Mandatory = $true)][hashtable]$Registration)
    $state = [ordered]@{ registered = $false; account_id = $null; group = $null; layout = 'none' }
    if ($Registration.KeyExists) {
        $state.layout = 'empty_key'
    }
    if ($Registration.Entries.Count -eq 0) {
        return $state
    }
    $entry = Find-MatchingEntry -Registration $Registration
    if ($null -eq $entry) {
        $entry = $Registration.Entries[0]
    }
    $state.registered = $true
    $state.account_id = $entry.account_id
    $state.group = $entry.group
    $state.layout = $entry.layout
    $state
}

Function Format-Entry {
    <# One line per registration entry: account <id>, group <name> (<layout>). #>
    param ([Parameter(Mandatory = $true)][hashtable]$Registration)
    $described = foreach ($entry in $Registration.Entries) {
        $account = $entry.account_id
        if ($null -eq $account) {
            $account = '(not recorded)'
        }
        $group = $entry.group
        if ($null -eq $group) {
            $group = '(none)'
        }
        'account {0}, group {1} ({2})' -f $account, $group, $entry.layout
    }
    , [string[]]@($described)
}

Function Format-Registration {
    <# The registration as diff text: the key, then one line per entry. #>
    param ([Parameter(Mandatory = $true)][hashtable]$Registration)
    if (-not $Registration.KeyExists) {
        return "{0}: (absent)`n" -f $RegistrationPath
    }
    $lines = New-Object -TypeName System.Collections.Generic.List[String]
    $lines.Add($RegistrationPath)
    if ($Registration.Entries.Count -eq 0) {
        $lines.Add('  (no registration)')
    }
    foreach ($line in (Format-Entry -Registration $Registration)) {
        $lines.Add(('  {0}' -f $line))
    }
    ($lines -join "`n") + "`n"
}

Function Get-ExpectedRegistration {
    <#
    What Add-HybridRunbookWorker leaves (check mode): this account and group in the layout of a user
    worker of current versions (<AccountId>\<GroupName>\User; UNVERIFIED, the source is not public).
    #>
    $entry = [ordered]@{ account_id = ([string]$module.Params['account_id']).ToLowerInvariant(); group = [string]$module.Params['group_name']; layout = 'account_group_user' }
    @{ KeyExists = $true; Entries = @($entry) }
}

Function Get-EmptyRegistration {
    @{ KeyExists = $false; Entries = @() }
}

# --------------------------------------------------------------------------- results

Function Add-ActionResult {
    <# One entry of `actions`: applied, would_apply, skipped or failed. #>
    param ([Parameter(Mandatory = $true)][string]$Action, [Parameter(Mandatory = $true)][string]$Status, [Parameter(Mandatory = $true)][string]$Message)
    $actions.Add([ordered]@{ action = $Action; status = $Status; msg = (Hide-Secret -Text $Message) })
}

Function Get-ErrorText {
    <# The messages of an error and its inner exceptions, unwrapped and scrubbed. #>
    param ([Parameter(Mandatory = $true)][object]$ErrorRecord)
    $texts = New-Object -TypeName System.Collections.Generic.List[String]
    $exception = $ErrorRecord
    if ($ErrorRecord -is [System.Management.Automation.ErrorRecord]) {
        $exception = $ErrorRecord.Exception
    }
    while ($null -ne $exception) {
        $isWrapper = $exception -is [System.Management.Automation.MethodInvocationException] -and $null -ne $exception.InnerException
        if (-not $isWrapper -and -not $texts.Contains($exception.Message)) {
            $texts.Add($exception.Message)
        }
        $exception = $exception.InnerException
    }
    Hide-Secret -Text ($texts -join ' -> ')
}

Function Test-Forbidden {
    param ([Parameter(Mandatory = $true)][string]$Text)
    $Text -match '\b403\b|Forbidden'
}

Function Test-AlreadyRegistered {
    param ([Parameter(Mandatory = $true)][string]$Text)
    $Text -match '(?i)already registered'
}

Function Test-NotRegistered {
    param ([Parameter(Mandatory = $true)][string]$Text)
    $Text -match '(?i)not registered|not found|\b404\b|does not exist'
}

Function Get-ChangeSummary {
    <# What the run changed before a failure, or that it changed nothing. #>
    $applied = @($actions | Where-Object { $_.status -eq 'applied' } | ForEach-Object { $_.action })
    if ($applied.Count -eq 0) {
        return 'Nothing was changed on this host.'
    }
    if ($null -ne $run.RestoredFrom) {
        return ('Changed before the failure: {0}; then the previous registration was restored from {1} and {2} restarted.' -f ($run.AppliedBeforeRestore -join ', '), $run.RestoredFrom, $HealthService)
    }
    $summary = 'Changed before the failure: {0}.' -f ($applied -join ', ')
    if ($backups.Count -gt 0) {
        $summary += (' The registration as it was is in {0}: restore it with "reg import <file>" and Restart-Service HealthService.' -f (@($backups | ForEach-Object { $_.backup }) -join ', '))
    }
    $summary
}

Function Get-ForbiddenMessage {
    <# The 403 of a HybridRegistration cmdlet, with the causes of the troubleshooting guide. #>
    param ([Parameter(Mandatory = $true)][string]$Cmdlet, [Parameter(Mandatory = $true)][string]$Text)
    $now = [DateTime]::UtcNow.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", [Globalization.CultureInfo]::InvariantCulture)
    ('{0} was refused with 403 Forbidden ({1}). Azure Automation rejected the request for {2}; the known causes are: ' +
        '(1) the account key is wrong or was regenerated - copy the Primary (or Secondary) access key from the Automation account''s Keys page whole; ' +
        '(2) the Log Analytics workspace this agent reports to is not linked to the Automation account (or is linked in an unsupported region pair), ' +
        'so the worker cannot get its configuration; (3) the host clock is more than 15 minutes off (host UTC now: {3}). {4}') -f $Cmdlet, $Text, $module.Params['url'], $now, (Get-ChangeSummary)
}

# --------------------------------------------------------------------------- backups

Function Export-RegistrationKey {
    <#
    reg.exe export of the registration key (64-bit view) to a new backup file, recorded in
    `backups` under -Action. Its arguments are the key path and the file: never the account key.
    #>
    param ([Parameter(Mandatory = $true)][string]$Action)
    $dir = New-HrwBackupDirectory -Path $module.Params['backup_dir']
    $file = Get-HrwBackupPath -Directory $dir -Name 'HybridRunbookWorker' -Extension '.reg' -Stamp $RunStamp
    Export-HrwRegistryKey -RegPath ('HKLM\' + $RegistrationSubKey) -File $file
    # The export is what it is (a restorable copy); if the agent ever stored the key there, say so.
    $exported = [IO.File]::ReadAllText($file)
    if ((Hide-Secret -Text $exported) -ne $exported) {
        $warnings.Add(('the backup {0} holds the account key as text; keep backup_dir readable by administrators only and delete the file when it is no longer needed' -f $file))
    }
    $backups.Add([ordered]@{
            action = $Action
            path = $RegistrationPath
            backup = $file
            sha256 = (Get-FileHash -LiteralPath $file -Algorithm SHA256).Hash.ToLowerInvariant()
        })
    $file
}

Function Remove-RegistrationKey {
    <# Exports, then removes, HKLM:\SOFTWARE\Microsoft\HybridRunbookWorker ("Machine is already registered" fix). #>
    param ([Parameter(Mandatory = $true)][string]$Why)
    if (-not (Test-HrwRegistryKey -Path $RegistrationSubKey)) {
        Add-ActionResult -Action 'remove_registration_key' -Status 'skipped' -Message ('{0} is already absent' -f $RegistrationPath)
        return
    }
    $file = Export-RegistrationKey -Action 'remove_registration_key'
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        $base.DeleteSubKeyTree($RegistrationSubKey, $false)
    }
    finally {
        $base.Dispose()
    }
    # The first removal of the run holds the registration as it was: the one to restore.
    if ($null -eq $run.RemovedKeyBackup) {
        $run.RemovedKeyBackup = $file
    }
    Add-ActionResult -Action 'remove_registration_key' -Status 'applied' -Message ('exported {0} to {1} and removed it ({2})' -f $RegistrationPath, $file, $Why)
}

Function Restore-RegistrationKey {
    <#
    After a failed registration: puts back the registration key this run removed (reg.exe import
    of its export; what the failed attempt left in the key is exported and removed first) and
    restarts HealthService, so a wrong key loses no registration. Once per run; a failure is
    reported in `actions`, never thrown (the run is failing already).
    #>
    $file = $run.RemovedKeyBackup
    if ($null -eq $file -or $run.RestoreTried) {
        return
    }
    $run.RestoreTried = $true
    $run.AppliedBeforeRestore = @($actions | Where-Object { $_.status -eq 'applied' } | ForEach-Object { $_.action })
    try {
        if (Test-HrwRegistryKey -Path $RegistrationSubKey) {
            Remove-RegistrationKey -Why 'left by the failed registration, before the restore'
        }
        Import-HrwRegistryKey -File $file
        Restart-HealthService
    }
    catch {
        Add-ActionResult -Action 'restore_registration_key' -Status 'failed' -Message ('restoring {0} from {1} failed: {2}' -f $RegistrationPath, $file, (Get-ErrorText -ErrorRecord $_))
        return
    }
    $run.RestoredFrom = $file
    if (@($actions | Where-Object { $_.action -eq 'deregister' -and $_.status -eq 'applied' }).Count -gt 0) {
        Add-ActionResult -Action 'restore_registration_key' -Status 'applied' -Message (('the previous registration was restored from {0} (reg.exe import) and {1} restarted; ' +
                'Remove-HybridRunbookWorker had deregistered it in this run, so the Automation account no longer knows it: register again once the cause is fixed') -f $file, $HealthService)
        return
    }
    Add-ActionResult -Action 'restore_registration_key' -Status 'applied' -Message ('the previous registration was restored from {0} (reg.exe import) and {1} restarted' -f $file, $HealthService)
}

# --------------------------------------------------------------------------- HealthService

Function Wait-ServiceStatus {
    param ([Parameter(Mandatory = $true)][object]$Service, [Parameter(Mandatory = $true)][string]$Status)
    try {
        $Service.WaitForStatus([System.ServiceProcess.ServiceControllerStatus]$Status, [TimeSpan]::FromSeconds($ServiceTimeoutSec))
    }
    catch [System.ServiceProcess.TimeoutException] {
        $Service.Refresh()
        throw ('the service {0} did not reach {1} within {2} seconds (it is {3})' -f $Service.ServiceName, $Status, $ServiceTimeoutSec, $Service.Status)
    }
    $Service.Refresh()
}

Function Get-HealthService {
    $service = Get-Service -Name $HealthService -ErrorAction SilentlyContinue | Where-Object { $_.ServiceName -eq $HealthService } | Select-Object -First 1
    if ($null -eq $service) {
        throw ('the service {0} (Microsoft Monitoring Agent) does not exist: install the agent before registering a worker' -f $HealthService)
    }
    $service
}

Function Restart-HealthService {
    <# Stops (when running) and starts HealthService, each within $ServiceTimeoutSec. #>
    $service = Get-HealthService
    $before = [string]$service.Status
    if ($before -eq 'StartPending') {
        Wait-ServiceStatus -Service $service -Status 'Running'
    }
    if ([string]$service.Status -eq 'Running') {
        $service.Stop()
    }
    if ([string]$service.Status -ne 'Stopped') {
        Wait-ServiceStatus -Service $service -Status 'Stopped'
    }
    $service.Start()
    Wait-ServiceStatus -Service $service -Status 'Running'
    Add-ActionResult -Action 'restart_health_service' -Status 'applied' -Message ('restarted {0} (was {1})' -f $HealthService, $before)
}

# --------------------------------------------------------------------------- HybridRegistration

Function Find-HybridRegistration {
    <#
    HybridRegistration.psd1 of the highest AzureAutomation\<version> folder under the agent's
    install directory (versions compared as [version], not as strings): @{ Version; Path }.
    #>
    $installDir = Get-HrwRegistryValue -Path $SetupKey -Name 'InstallDirectory'
    if ([string]::IsNullOrEmpty([string]$installDir)) {
        $installDir = $DefaultAgentPath
    }
    $root = Join-Path -Path ([string]$installDir).TrimEnd('\') -ChildPath 'AzureAutomation'
    $versions = Get-HrwVersionFolder -Path $root
    if ($null -eq $versions -or $versions.Count -eq 0) {
        throw ('no AzureAutomation\<version> folder under {0}: the agent has not received the AzureAutomation solution (enable it on the workspace and wait for the folder)' -f $root)
    }
    $latest = $versions[$versions.Count - 1]
    $path = Join-Path -Path $root -ChildPath ('{0}\HybridRegistration\HybridRegistration.psd1' -f $latest)
    if (-not [IO.File]::Exists($path)) {
        throw ('{0} does not exist (AzureAutomation versions found: {1}); the newest version is incomplete, restart HealthService and wait for the agent to finish the download' -f $path, ($versions -join ', '))
    }
    @{ Version = $latest; Path = $path }
}

Function Import-HybridRegistration {
    <# Imports the module once; @{ Version; Path; Add; Remove } with the cmdlets' CommandInfo. #>
    if ($null -ne $run.HybridRegistration) {
        return $run.HybridRegistration
    }
    $found = Find-HybridRegistration
    $imported = @(Import-Module -Name $found.Path -Force -PassThru -DisableNameChecking -WarningAction SilentlyContinue -ErrorAction Stop)
    $commands = @{}
    foreach ($item in $imported) {
        foreach ($name in @($item.ExportedCommands.Keys)) {
            $commands[$name] = $item.ExportedCommands[$name]
        }
    }
    foreach ($name in @('Add-HybridRunbookWorker', 'Remove-HybridRunbookWorker')) {
        if (-not $commands.ContainsKey($name)) {
            throw ('{0} does not export {1}' -f $found.Path, $name)
        }
        # Module Logging (policy "Turn on Module Logging", event 4103) would record the call with its
        # parameter bindings, -Key included. The policy only sets the module's
        # LogPipelineExecutionDetails at import, and PowerShell reads that property of the command's
        # module at each call (about_EventLogs: set it to $false to stop logging a module); so it is
        # turned off for the module of these two cmdlets, in this process only, before any call.
        $owner = $commands[$name].Module
        if ($null -ne $owner) {
            $owner.LogPipelineExecutionDetails = $false
        }
    }
    $run.HybridRegistration = @{
        Version = $found.Version
        Path = $found.Path
        Add = $commands['Add-HybridRunbookWorker']
        Remove = $commands['Remove-HybridRunbookWorker']
    }
    $run.HybridRegistration
}

Function New-CmdletArgument {
    <#
    The splat for a HybridRegistration cmdlet: -Url/-Key (current), or -EndPoint/-Token (the 2017
    syntax), plus -GroupName for Add. The only place the account key is handed on.
    #>
    param ([Parameter(Mandatory = $true)][object]$Command, [switch]$WithGroup)
    $splat = @{}
    if ($Command.Parameters.ContainsKey('Url') -and $Command.Parameters.ContainsKey('Key')) {
        $splat.Url = [string]$module.Params['url']
        $splat.Key = $AccountKey
    }
    elseif ($Command.Parameters.ContainsKey('EndPoint') -and $Command.Parameters.ContainsKey('Token')) {
        $splat.EndPoint = [string]$module.Params['url']
        $splat.Token = $AccountKey
    }
    else {
        throw ('{0} has neither -Url/-Key nor -EndPoint/-Token; this HybridRegistration version is not supported' -f $Command.Name)
    }
    if ($WithGroup) {
        $splat.GroupName = [string]$module.Params['group_name']
    }
    # Common parameters only when the cmdlet takes them (an advanced function or a cmdlet).
    if ($Command.Parameters.ContainsKey('ErrorAction')) {
        $splat.ErrorAction = 'Stop'
        $splat.WarningAction = 'SilentlyContinue'
        $splat.WarningVariable = 'warned'
    }
    $splat
}

Function Invoke-Deregistration {
    <#
    Remove-HybridRunbookWorker -Url -Key, after an export of the key. Returns 'applied',
    'not_registered' (the service does not know the worker) or 'failed' (with -AllowFallback, the
    caller then removes the key); a 403, or any failure without -AllowFallback, ends the module.
    #>
    param ([switch]$AllowFallback, [switch]$IgnoreNotRegistered)
    $hybrid = Import-HybridRegistration
    if (Test-HrwRegistryKey -Path $RegistrationSubKey) {
        $null = Export-RegistrationKey -Action 'deregister'
    }
    $splat = New-CmdletArgument -Command $hybrid.Remove
    $warned = @()
    try {
        $null = Remove-HybridRunbookWorker @splat
    }
    catch {
        $text = Get-ErrorText -ErrorRecord $_
        if (Test-Forbidden -Text $text) {
            Add-ActionResult -Action 'deregister' -Status 'failed' -Message ('Remove-HybridRunbookWorker failed: {0}' -f $text)
            Stop-Run -Message (Get-ForbiddenMessage -Cmdlet 'Remove-HybridRunbookWorker' -Text $text)
        }
        if ($IgnoreNotRegistered -and (Test-NotRegistered -Text $text)) {
            Add-ActionResult -Action 'deregister' -Status 'skipped' -Message ('Remove-HybridRunbookWorker: the worker is not registered with {0} ({1}); ignored' -f $module.Params['url'], $text)
            return 'not_registered'
        }
        Add-ActionResult -Action 'deregister' -Status 'failed' -Message ('Remove-HybridRunbookWorker failed: {0}' -f $text)
        if ($AllowFallback) {
            return 'failed'
        }
        Stop-Run -Message (('Remove-HybridRunbookWorker failed: {0}. {1} To back up and remove {2} instead (the documented fallback), ' +
                'set allow_destructive: true; then delete the worker in the Automation account (Hybrid worker groups).') -f $text, (Get-ChangeSummary), $RegistrationPath)
    }
    finally {
        foreach ($warning in @($warned)) {
            $warnings.Add([string]$warning)
        }
    }
    Add-ActionResult -Action 'deregister' -Status 'applied' -Message ('Remove-HybridRunbookWorker deregistered this machine from {0} (HybridRegistration {1})' -f $module.Params['url'], $hybrid.Version)
    'applied'
}

Function Invoke-Registration {
    <#
    Add-HybridRunbookWorker -GroupName -Url -Key. "Machine is already registered" with
    -AllowCleanup: back up and remove the key, restart HealthService, and add once more;
    -Cleaned says the caller did that already.
    #>
    param ([switch]$AllowCleanup, [switch]$Cleaned)
    $hybrid = Import-HybridRegistration
    $splat = New-CmdletArgument -Command $hybrid.Add -WithGroup
    $attempt = 1
    while ($true) {
        $warned = @()
        try {
            $null = Add-HybridRunbookWorker @splat
            break
        }
        catch {
            $text = Get-ErrorText -ErrorRecord $_
            Add-ActionResult -Action 'register' -Status 'failed' -Message ('Add-HybridRunbookWorker failed: {0}' -f $text)
            $again = $AllowCleanup -and -not $Cleaned -and $attempt -eq 1 -and -not (Test-Forbidden -Text $text) -and (Test-AlreadyRegistered -Text $text)
            if (-not $again) {
                # The run ends with this failure (the branches below): first put back the
                # registration this run removed, so the message can say it was restored.
                Restore-RegistrationKey
            }
            if (Test-Forbidden -Text $text) {
                Stop-Run -Message (Get-ForbiddenMessage -Cmdlet 'Add-HybridRunbookWorker' -Text $text)
            }
            if (-not (Test-AlreadyRegistered -Text $text)) {
                Stop-Run -Message ('Add-HybridRunbookWorker failed: {0}. {1}' -f $text, (Get-ChangeSummary))
            }
            if ($attempt -gt 1 -or $Cleaned) {
                Stop-Run -Message (('Add-HybridRunbookWorker answered "Machine is already registered" ({1}) even after {0} was removed and HealthService restarted. {2} ' +
                        'Delete the worker in the Automation account (Hybrid worker groups) and run again.') -f $RegistrationPath, $text, (Get-ChangeSummary))
            }
            if (-not $AllowCleanup) {
                Stop-Run -Message (('Add-HybridRunbookWorker answered "Machine is already registered" ({1}) although {0} held no registration of another account or group. {2} ' +
                        'Set state: reregistered (or allow_destructive: true) to back up and remove {0}, restart HealthService and register again.') -f $RegistrationPath, $text, (Get-ChangeSummary))
            }
            Remove-RegistrationKey -Why 'Add-HybridRunbookWorker answered "Machine is already registered"'
            Restart-HealthService
            $attempt++
        }
        finally {
            foreach ($warning in @($warned)) {
                $warnings.Add([string]$warning)
            }
        }
    }
    Add-ActionResult -Action 'register' -Status 'applied' -Message ('Add-HybridRunbookWorker registered this machine in group {0} with {1} (HybridRegistration {2})' -f $module.Params['group_name'], $module.Params['url'], $hybrid.Version)
}

# --------------------------------------------------------------------------- input

Function Assert-Input {
    <# Fails naming the field before anything is read or changed (the controller validated them too). #>
    $parsed = [guid]::Empty
    if (-not [guid]::TryParse([string]$module.Params['account_id'], [ref]$parsed)) {
        $module.FailJson(('account_id must be a GUID such as 1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f, got "{0}"' -f (Hide-Secret -Text $module.Params['account_id'])))
    }
    $url = [string]$module.Params['url']
    $uri = $null
    if (-not [Uri]::TryCreate($url, [UriKind]::Absolute, [ref]$uri) -or $uri.Scheme -ne 'https') {
        $module.FailJson(('url must be the https registration URL of the Automation account (Keys page), got "{0}"' -f (Hide-Secret -Text $url)))
    }
    $inUrl = [regex]::Match($url, '(?i)/accounts/([0-9a-f-]{36})')
    if ($inUrl.Success -and -not (Test-SameText -Left $inUrl.Groups[1].Value -Right $parsed.ToString())) {
        $module.FailJson(('account_id {0} is not the account of url (accounts/{1})' -f $parsed, $inUrl.Groups[1].Value))
    }
    if ([string]::IsNullOrWhiteSpace($AccountKey)) {
        $module.FailJson('key must be the Primary (or Secondary) access key of the Automation account, got an empty value')
    }
    if (-not [IO.Path]::IsPathRooted([string]$module.Params['backup_dir'])) {
        $module.FailJson(('backup_dir must be an absolute path, got "{0}"' -f $module.Params['backup_dir']))
    }
}

# --------------------------------------------------------------------------- run

Assert-Input
$state = [string]$module.Params['state']
$allowDestructive = [bool]$module.Params['allow_destructive']
$registrationBefore = Read-Registration
$before = Get-RegistrationState -Registration $registrationBefore
$match = $null
if ($state -ne 'absent') {
    $match = Find-MatchingEntry -Registration $registrationBefore
}
$module.Result.changed = $false
$module.Result.state_before = $before
$module.Result.state_after = $before
$module.Diff.before = Format-Registration -Registration $registrationBefore
$module.Diff.after = $module.Diff.before
$described = (Format-Entry -Registration $registrationBefore) -join '; '
$otherAccount = $before.registered -and $null -ne $before.account_id -and -not (Test-SameText -Left $before.account_id -Right $module.Params['account_id'])

# The plan: the actions this run takes, in order. Nothing is changed while it is made.
$plan = New-Object -TypeName System.Collections.Generic.List[String]
switch ($state) {
    'present' {
        if ($null -ne $match) {
            $note = ''
            if ($null -eq $match.account_id) {
                $note = ' (the older layout does not record the account: only the group was compared)'
            }
            Exit-Module -Message ('already registered: {0}{1}' -f $described, $note)
        }
        if ($before.registered) {
            if (-not $allowDestructive) {
                Exit-Module -Failed -Message (('This machine is already registered ({0}), not to account {1} group {2}: Add-HybridRunbookWorker would answer "Machine is already registered". ' +
                        'Nothing was changed. Set state: reregistered, or allow_destructive: true, to back up and remove {3}, restart HealthService and register again.') -f $described, $module.Params['account_id'], $module.Params['group_name'], $RegistrationPath)
            }
            $plan.Add('remove_registration_key')
            $plan.Add('restart_health_service')
        }
        $plan.Add('register')
    }
    'absent' {
        if (-not $before.registered) {
            Exit-Module -Message ('not registered: {0}' -f ($module.Diff.before.Trim()))
        }
        $plan.Add('deregister')
    }
    'reregistered' {
        if ($before.registered -and -not $otherAccount) {
            $plan.Add('deregister')
        }
        if ($registrationBefore.KeyExists) {
            $plan.Add('remove_registration_key')
        }
        $plan.Add('restart_health_service')
        $plan.Add('register')
    }
}

# Preconditions, read-only (also in check mode): a missing agent or module fails before any change.
$found = @{ Version = $null; Path = $null }
try {
    if ($plan.Contains('register') -or $plan.Contains('deregister')) {
        $found = Find-HybridRegistration
    }
    if ($plan.Contains('restart_health_service') -or $plan.Contains('register')) {
        $null = Get-HealthService
    }
}
catch {
    Exit-Module -Failed -Message ('{0}. Nothing was changed on this host.' -f (Get-ErrorText -ErrorRecord $_))
}

$module.Result.changed = $true
if ($module.CheckMode) {
    foreach ($step in $plan) {
        switch ($step) {
            'deregister' { $message = 'would export {0} and run Remove-HybridRunbookWorker with {1} (HybridRegistration {2})' -f $RegistrationPath, $module.Params['url'], $found.Version }
            'remove_registration_key' { $message = 'would export {0} to {1} and remove it' -f $RegistrationPath, $module.Params['backup_dir'] }
            'restart_health_service' { $message = 'would restart {0}' -f $HealthService }
            default { $message = 'would run Add-HybridRunbookWorker (HybridRegistration {0}) for group {1} with {2}' -f $found.Version, $module.Params['group_name'], $module.Params['url'] }
        }
        Add-ActionResult -Action $step -Status 'would_apply' -Message $message
    }
    $expected = Get-EmptyRegistration
    if ($state -ne 'absent') {
        $expected = Get-ExpectedRegistration
    }
    $module.Result.state_after = Get-RegistrationState -Registration $expected
    $module.Diff.after = Format-Registration -Registration $expected
    Exit-Module -Message ('check mode: would {0}' -f ($plan -join ', '))
}

try {
    switch ($state) {
        'present' {
            if ($plan.Contains('remove_registration_key')) {
                Remove-RegistrationKey -Why ('registered elsewhere: {0}' -f $described)
                Restart-HealthService
            }
            Invoke-Registration -AllowCleanup:$allowDestructive -Cleaned:($plan.Contains('remove_registration_key'))
        }
        'absent' {
            $outcome = Invoke-Deregistration -AllowFallback:$allowDestructive
            if ($outcome -eq 'failed') {
                Remove-RegistrationKey -Why 'fallback after Remove-HybridRunbookWorker failed (allow_destructive); delete the worker in the Automation account too'
                Restart-HealthService
            }
        }
        'reregistered' {
            if ($plan.Contains('deregister')) {
                $null = Invoke-Deregistration -AllowFallback:$allowDestructive -IgnoreNotRegistered
            }
            elseif ($otherAccount) {
                Add-ActionResult -Action 'deregister' -Status 'skipped' -Message (('registered with account {0}, not {1}: this account''s URL and key cannot deregister it; ' +
                        'delete the stale worker in that account (Hybrid worker groups)') -f $before.account_id, $module.Params['account_id'])
            }
            Remove-RegistrationKey -Why 'state=reregistered'
            Restart-HealthService
            Invoke-Registration -Cleaned
        }
    }
}
catch {
    $text = Get-ErrorText -ErrorRecord $_
    if ($state -ne 'absent') {
        # Any other failure after the key was removed (the import of HybridRegistration, a restart):
        # restore it too. Removing the key is the goal of absent's fallback, never undone.
        Restore-RegistrationKey
    }
    $registrationAfter = Read-Registration
    $module.Result.state_after = Get-RegistrationState -Registration $registrationAfter
    $module.Diff.after = Format-Registration -Registration $registrationAfter
    $module.Result.changed = @($actions | Where-Object { $_.status -eq 'applied' }).Count -gt 0
    if ($null -ne $run.FinalMessage) {
        Exit-Module -Failed -Message $run.FinalMessage
    }
    Exit-Module -Failed -Message ('{0}. {1}' -f $text, (Get-ChangeSummary))
}

$registrationAfter = Read-Registration
$after = Get-RegistrationState -Registration $registrationAfter
$module.Result.state_after = $after
$module.Diff.after = Format-Registration -Registration $registrationAfter
$module.Result.changed = @($actions | Where-Object { $_.status -eq 'applied' }).Count -gt 0
$done = @($actions | Where-Object { $_.status -eq 'applied' } | ForEach-Object { $_.action }) -join ', '
if ($state -ne 'absent' -and $null -eq (Find-MatchingEntry -Registration $registrationAfter)) {
    $warnings.Add(('Add-HybridRunbookWorker succeeded but {0} does not show account {1} group {2} yet ({3}); check the worker in the Automation account' -f $RegistrationPath, $module.Params['account_id'], $module.Params['group_name'], $module.Diff.after.Trim()))
}
if ($state -eq 'absent' -and $after.registered) {
    $warnings.Add(('Remove-HybridRunbookWorker succeeded but {0} still holds {1}' -f $RegistrationPath, ((Format-Entry -Registration $registrationAfter) -join '; ')))
}
Exit-Module -Message ('{0}: {1}' -f $state, $done)
