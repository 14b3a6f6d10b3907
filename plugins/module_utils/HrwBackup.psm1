# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Backups of the Windows executors (win_hrw_remediate, win_hrw_registration): the backup folder,
# unique file names, and the reg.exe export (and import) of a registry key. Windows PowerShell 5.1, no
# external modules. Errors are thrown to the caller, which fails the step that asked.

Set-StrictMode -Version 2.0

Function New-HrwBackupDirectory {
    <#
    Creates the backup folder when missing, readable by Administrators and SYSTEM only (the exports
    hold the worker's registration, the archives the agent's cache); returns its path. An existing
    folder is left as it is.
    #>
    param ([Parameter(Mandatory = $true)][string]$Path)
    if ([IO.Directory]::Exists($Path)) {
        return $Path
    }
    $null = New-Item -Path $Path -ItemType Directory -Force
    $security = New-Object -TypeName System.Security.AccessControl.DirectorySecurity
    $security.SetAccessRuleProtection($true, $false)
    $flags = [System.Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit'
    foreach ($sid in @('S-1-5-18', 'S-1-5-32-544')) {
        $identity = New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList $sid
        $rule = New-Object -TypeName System.Security.AccessControl.FileSystemAccessRule -ArgumentList @(
            $identity, [System.Security.AccessControl.FileSystemRights]::FullControl, $flags,
            [System.Security.AccessControl.PropagationFlags]::None, [System.Security.AccessControl.AccessControlType]::Allow)
        $security.AddAccessRule($rule)
    }
    (New-Object -TypeName System.IO.DirectoryInfo -ArgumentList $Path).SetAccessControl($security)
    $Path
}

Function Get-HrwBackupPath {
    <# <Directory>\<Name>-<Stamp><Extension>, with -2, -3 ... when the name is taken. #>
    param (
        [Parameter(Mandatory = $true)][string]$Directory,
        [Parameter(Mandatory = $true)][string]$Name,
        [Parameter(Mandatory = $true)][string]$Extension,
        [Parameter(Mandatory = $true)][string]$Stamp
    )
    $safe = [regex]::Replace($Name, '[^A-Za-z0-9._-]', '_')
    $candidate = Join-Path -Path $Directory -ChildPath ('{0}-{1}{2}' -f $safe, $Stamp, $Extension)
    $number = 2
    while ([IO.File]::Exists($candidate)) {
        $candidate = Join-Path -Path $Directory -ChildPath ('{0}-{1}-{2}{3}' -f $safe, $Stamp, $number, $Extension)
        $number++
    }
    $candidate
}

Function Export-HrwRegistryKey {
    <#
    reg.exe export of $RegPath (HKLM\..., 64-bit view) to $File; throws when reg.exe fails or the
    file is missing or empty. Its only arguments are the key path and the file.
    #>
    param ([Parameter(Mandatory = $true)][string]$RegPath, [Parameter(Mandatory = $true)][string]$File)
    $reg = Join-Path -Path ([Environment]::SystemDirectory) -ChildPath 'reg.exe'
    # Windows PowerShell 5.1 turns a native command's redirected stderr into a terminating error
    # under 'Stop'; the exit code is the verdict here, and the message names it.
    $ErrorActionPreference = 'Continue'
    $output = & $reg export $RegPath $File /y /reg:64 2>&1
    $ErrorActionPreference = 'Stop'
    if ($LASTEXITCODE -ne 0 -or -not [IO.File]::Exists($File) -or (Get-Item -LiteralPath $File).Length -eq 0) {
        throw ('reg.exe export {0} failed (exit code {1}): {2}' -f $RegPath, $LASTEXITCODE, (($output | ForEach-Object -Process { [string]$_ }) -join ' '))
    }
}

Function Import-HrwRegistryKey {
    <#
    reg.exe import of a .reg file made by Export-HrwRegistryKey (64-bit view); throws when reg.exe
    fails or the file is missing. Its only argument is the file.
    #>
    param ([Parameter(Mandatory = $true)][string]$File)
    if (-not [IO.File]::Exists($File)) {
        throw ('reg.exe import {0} failed: the file does not exist' -f $File)
    }
    $reg = Join-Path -Path ([Environment]::SystemDirectory) -ChildPath 'reg.exe'
    # As in Export-HrwRegistryKey: reg.exe import reports even success on stderr; the exit code decides.
    $ErrorActionPreference = 'Continue'
    $output = & $reg import $File /reg:64 2>&1
    $ErrorActionPreference = 'Stop'
    if ($LASTEXITCODE -ne 0) {
        throw ('reg.exe import {0} failed (exit code {1}): {2}' -f $File, $LASTEXITCODE, (($output | ForEach-Object -Process { [string]$_ }) -join ' '))
    }
}

$exportMembers = @{
    Function = @(
        'New-HrwBackupDirectory'
        'Get-HrwBackupPath'
        'Export-HrwRegistryKey'
        'Import-HrwRegistryKey'
    )
}
Export-ModuleMember @exportMembers
