# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Network probes for win_hrw_facts (docs/adr/0002-windows-facts.md): the concurrent endpoint
# probes (DNS -> TCP -> TLS, directly or through an HTTP proxy with CONNECT) and the IMDS
# request. Windows PowerShell 5.1, no external modules, nothing is written anywhere.

Set-StrictMode -Version 2.0

# Runspaces run at once; more jobs queue in the pool but still share the one deadline.
$script:MaxRunspaces = 16

# Extra time the main thread waits after the deadline so a probe can report its own timeout
# at the stage it reached (every blocking call in a probe is itself bounded by the deadline).
$script:GraceMs = 250

# Longest a warm-up pipeline waits for the other runspaces of the pool to open (before the probe
# clock starts; opening one Windows PowerShell 5.1 runspace takes about 0.1-0.5 s).
$script:WarmUpMs = 30000

# One probe, run inside a runspace of the pool. Every call is synchronous and bounded by the
# shared deadline: DNS and TCP connect through Begin*/WaitOne(remaining) without callbacks,
# CONNECT and TLS through socket read/write timeouts. The certificate validation callback is
# a scriptblock, which is safe here only because SslStream.AuthenticateAsClient (synchronous)
# calls it on this runspace's own thread; the *Async .NET methods would call it on a pool
# thread without a runspace and crash the process.
# Only the language and .NET are used (no cmdlet but Set-StrictMode), so the runspaces can be
# the light CreateDefault2 kind: nothing to load or autoload while the deadline runs.
# Progress is written into $State (a synchronized hashtable shared with the main thread) as
# each stage ends, so a probe stopped at the deadline is still reported up to where it got.
$script:ProbeScript = {
    param ($Job, $DeadlineTicks, $State)

    Set-StrictMode -Version 2.0
    $ErrorActionPreference = 'Stop'

    Function Get-RemainingMs {
        $left = [long](($DeadlineTicks - [DateTime]::UtcNow.Ticks) / 10000)
        [int][Math]::Max(0, [Math]::Min($left, [int]::MaxValue))
    }

    Function Get-SocketErrorCode {
        param ($Exception)
        $current = $Exception
        while ($null -ne $current) {
            if ($current -is [System.Net.Sockets.SocketException]) {
                return [string]$current.SocketErrorCode
            }
            $current = $current.InnerException
        }
        $null
    }

    Function Get-ErrorText {
        param ($Exception)
        $current = $Exception
        # The innermost message names the cause (e.g. the socket error), not the wrapper.
        while ($null -ne $current.InnerException) {
            $current = $current.InnerException
        }
        '{0}: {1}' -f $current.GetType().Name, $current.Message
    }

    Function Resolve-ProbeHost {
        param ([string]$Name)
        $pending = [System.Net.Dns]::BeginGetHostAddresses($Name, $null, $null)
        if (-not $pending.AsyncWaitHandle.WaitOne((Get-RemainingMs))) {
            throw ([System.TimeoutException]::new('name resolution timed out'))
        }
        , [System.Net.Dns]::EndGetHostAddresses($pending)
    }

    Function Connect-ProbeSocket {
        param ($Addresses, [int]$Port)
        $lastError = [System.Net.Sockets.SocketException]::new(11001)
        # At most four addresses, as the Linux probe: a host with many dead addresses must not
        # use the whole deadline on the first ones.
        $tried = 0
        foreach ($address in $Addresses) {
            if ($tried -ge 4) {
                break
            }
            $tried++
            $client = [System.Net.Sockets.TcpClient]::new($address.AddressFamily)
            try {
                $pending = $client.BeginConnect($address, $Port, $null, $null)
                if (-not $pending.AsyncWaitHandle.WaitOne((Get-RemainingMs))) {
                    throw ([System.TimeoutException]::new(('connect to {0} timed out' -f $address)))
                }
                $client.EndConnect($pending)
                return $client
            }
            catch {
                $client.Close()
                $lastError = $_.Exception
                if ($lastError -is [System.TimeoutException]) {
                    throw $lastError
                }
            }
        }
        throw $lastError
    }

    Function Limit-ProbeSocket {
        param ($Client)
        $ms = Get-RemainingMs
        if ($ms -le 0) {
            throw ([System.TimeoutException]::new('deadline reached'))
        }
        $Client.ReceiveTimeout = $ms
        $Client.SendTimeout = $ms
    }

    Function Invoke-ProxyConnect {
        param ($Client, [string]$TargetHost, [int]$Port)
        Limit-ProbeSocket -Client $Client
        $stream = $Client.GetStream()
        $request = "CONNECT {0}:{1} HTTP/1.1`r`nHost: {0}:{1}`r`n`r`n" -f $TargetHost, $Port
        $bytes = [System.Text.Encoding]::ASCII.GetBytes($request)
        $stream.Write($bytes, 0, $bytes.Length)
        # Byte by byte up to the blank line, so nothing of the TLS stream that follows is eaten.
        # Each read gets only the time left before the probe deadline (Limit-ProbeSocket throws
        # once it has passed), so a proxy that trickles bytes cannot stretch the read past it.
        $reply = [System.Text.StringBuilder]::new()
        while ($reply.Length -lt 65536) {
            Limit-ProbeSocket -Client $Client
            $byte = $stream.ReadByte()
            if ($byte -lt 0) {
                break
            }
            $null = $reply.Append([char]$byte)
            if ($reply.Length -ge 4 -and $reply.ToString($reply.Length - 4, 4) -eq "`r`n`r`n") {
                break
            }
        }
        $statusLine = ($reply.ToString() -split "`r`n")[0]
        $status = $null
        if ($statusLine -match '^HTTP/\d\.\d\s+(\d{3})') {
            $status = [int]$Matches[1]
        }
        [ordered]@{ status_line = $statusLine; status = $status }
    }

    Function Invoke-TlsHandshake {
        param ($Client, [string]$TargetHost, $Progress)
        Limit-ProbeSocket -Client $Client
        $seen = @{ policy = $null; certificate = $null }
        # Shared before the handshake: a probe stopped at the deadline still reports the
        # certificate it received, and whether the chain was built (the callback ran).
        $Progress.tls_seen = $seen
        $callback = {
            param ($source, $certificate, $chain, $policyErrors)
            $seen.policy = [string]$policyErrors
            if ($null -ne $certificate) {
                $seen.certificate = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($certificate)
            }
            # Accept, so the presented certificate is recorded even when it is not trusted
            # (a TLS-intercepting proxy shows up as its issuer); the result says it failed.
            $true
        }.GetNewClosure()
        $validator = [System.Net.Security.RemoteCertificateValidationCallback]$callback
        $network = $Client.GetStream()
        # leaveInnerStreamOpen: the caller closes the TcpClient (and its stream) itself.
        $ssl = [System.Net.Security.SslStream]::new($network, $true, $validator)
        # The chain is built by SslStream itself, before the callback, with an X509Chain whose
        # policy the caller cannot set except through this flag: $false makes it
        # X509RevocationMode.NoCheck, so no CRL/OCSP is fetched. Windows PowerShell 5.1
        # (.NET Framework 4.x) has no per-call switch for the AIA/AuthRoot downloads of a
        # missing intermediate or root (X509ChainPolicy.DisableCertificateDownloads is .NET 5+,
        # and that chain's UrlRetrievalTimeout is not reachable); a build blocked on them is
        # bounded by the deadline instead, where the main thread reports it as such.
        $checkRevocation = $false
        try {
            # TLS 1.2 (3072) only: what Azure Automation requires; a host whose SCHANNEL
            # disables it fails here as its agent would.
            $ssl.AuthenticateAsClient($TargetHost, $null, [System.Security.Authentication.SslProtocols]3072, $checkRevocation)
        }
        finally {
            $ssl.Dispose()
        }
        $seen
    }

    Function ConvertTo-ProbeUtc {
        param ($Date)
        $Date.ToUniversalTime().ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", [Globalization.CultureInfo]::InvariantCulture)
    }

    $started = [DateTime]::UtcNow
    $viaProxy = $null -ne $Job.proxy
    $client = $null
    try {
        $State.stage = 'dns'
        $resolveName = $Job.host
        $connectPort = [int]$Job.port
        if ($viaProxy) {
            # Through a proxy the proxy resolves the endpoint: dns/tcp are those of the proxy.
            $resolveName = $Job.proxy.host
            $connectPort = [int]$Job.proxy.port
        }
        try {
            $addresses = Resolve-ProbeHost -Name $resolveName
            $texts = [System.Collections.Generic.List[String]]::new()
            foreach ($address in $addresses) {
                $texts.Add($address.IPAddressToString)
            }
            $State.dns = [ordered]@{ ok = $true; addresses = $texts.ToArray(); error = $null }
        }
        catch {
            $State.dns = [ordered]@{ ok = $false; addresses = @(); error = Get-ErrorText -Exception $_.Exception }
            if ($_.Exception -is [System.TimeoutException]) {
                $State.error_class = 'timeout'
            }
            else {
                $State.error_class = 'dns'
            }
            return
        }

        $State.stage = 'tcp'
        try {
            $client = Connect-ProbeSocket -Addresses $addresses -Port $connectPort
            $State.tcp = [ordered]@{ ok = $true; error = $null }
        }
        catch {
            $State.tcp = [ordered]@{ ok = $false; error = Get-ErrorText -Exception $_.Exception }
            $code = Get-SocketErrorCode -Exception $_.Exception
            if ($_.Exception -is [System.TimeoutException] -or $code -eq 'TimedOut') {
                $State.error_class = 'timeout'
            }
            elseif ($code -eq 'ConnectionRefused') {
                $State.error_class = 'refused'
            }
            else {
                $State.error_class = 'other'
            }
            return
        }

        if ($viaProxy) {
            $State.stage = 'proxy'
            $proxyResult = [ordered]@{ host = $Job.proxy.host; port = [int]$Job.proxy.port; ok = $false; status = $null; error = $null }
            try {
                $reply = Invoke-ProxyConnect -Client $client -TargetHost $Job.host -Port ([int]$Job.port)
                $proxyResult.status = $reply.status
                if ($null -ne $reply.status -and $reply.status -ge 200 -and $reply.status -lt 300) {
                    $proxyResult.ok = $true
                }
                else {
                    $proxyResult.error = 'CONNECT answered: {0}' -f $reply.status_line
                }
            }
            catch {
                $proxyResult.error = Get-ErrorText -Exception $_.Exception
                $code = Get-SocketErrorCode -Exception $_.Exception
                if ($_.Exception -is [System.TimeoutException] -or $code -eq 'TimedOut') {
                    $State.error_class = 'timeout'
                }
            }
            $State.proxy = $proxyResult
            if (-not $proxyResult.ok) {
                if ($null -eq $State.error_class) {
                    $State.error_class = 'proxy'
                }
                return
            }
        }

        $State.stage = 'tls'
        try {
            $seen = Invoke-TlsHandshake -Client $client -TargetHost $Job.host -Progress $State
            $tls = [ordered]@{ ok = $false; error = $null; subject = $null; issuer = $null; not_after = $null }
            if ($null -ne $seen.certificate) {
                $tls.subject = $seen.certificate.Subject
                $tls.issuer = $seen.certificate.Issuer
                $tls.not_after = ConvertTo-ProbeUtc -Date $seen.certificate.NotAfter
            }
            if ($seen.policy -eq 'None') {
                $tls.ok = $true
            }
            else {
                $tls.error = 'certificate verification failed: {0}' -f $seen.policy
                $State.error_class = 'tls'
            }
            $State.tls = $tls
        }
        catch {
            $State.tls = [ordered]@{ ok = $false; error = Get-ErrorText -Exception $_.Exception; subject = $null; issuer = $null; not_after = $null }
            $code = Get-SocketErrorCode -Exception $_.Exception
            if ($_.Exception -is [System.TimeoutException] -or $code -eq 'TimedOut') {
                $State.error_class = 'timeout'
            }
            else {
                $State.error_class = 'tls'
            }
        }
    }
    catch {
        $State.failure = Get-ErrorText -Exception $_.Exception
        $State.error_class = 'other'
    }
    finally {
        if ($null -ne $client) {
            $client.Close()
        }
        $State.elapsed_ms = [int]([DateTime]::UtcNow - $started).TotalMilliseconds
        $State.done = $true
    }
}

Function New-HrwProbeState {
    # Shared between the main thread and one runspace, hence synchronized.
    [hashtable]::Synchronized(@{
            stage = $null
            tls_seen = $null
            dns = $null
            tcp = $null
            tls = $null
            proxy = $null
            elapsed_ms = $null
            error_class = $null
            failure = $null
            done = $false
        })
}

Function Merge-HrwProbeResult {
    <#
    .SYNOPSIS
    Sets the ADR probe result keys {dns, tcp, tls, elapsed_ms, error_class} of -Target from -Source.
    .DESCRIPTION
    The one list of those keys: a probe's result is made from its state with it, and an endpoint
    entry's top level is its agent path's result (ADR 0002). Keys -Target already has keep their
    place; missing ones are added in this order.
    #>
    [CmdletBinding()]
    param (
        [Parameter(Mandatory = $true)][System.Collections.IDictionary]$Target,
        [Parameter(Mandatory = $true)][System.Collections.IDictionary]$Source
    )

    foreach ($name in @('dns', 'tcp', 'tls', 'elapsed_ms', 'error_class')) {
        $Target[$name] = $Source[$name]
    }
}

Function ConvertTo-HrwProbeResult {
    <#
    .SYNOPSIS
    One probe's ADR result {dns, tcp, tls, elapsed_ms, error_class[, proxy]} from its state.
    .DESCRIPTION
    A probe that did not finish by the deadline is a timeout at the stage it had reached.
    #>
    [CmdletBinding()]
    param (
        [Parameter(Mandatory = $true)][hashtable]$State,
        [Parameter(Mandatory = $true)][bool]$ViaProxy,
        [Parameter(Mandatory = $true)][long]$ElapsedMs,
        [AllowNull()][string]$Failure,
        [AllowNull()][string]$ProxyHost,
        [AllowNull()][object]$ProxyPort
    )

    $result = [ordered]@{}
    Merge-HrwProbeResult -Target $result -Source $State
    if ($ViaProxy) {
        $result.proxy = $State.proxy
    }
    if (-not $State.done) {
        $timedOut = 'timed out (probe deadline reached)'
        $result.elapsed_ms = $ElapsedMs
        $result.error_class = 'timeout'
        if ($State.stage -eq 'dns') {
            $result.dns = [ordered]@{ ok = $false; addresses = @(); error = $timedOut }
        }
        elseif ($State.stage -eq 'tcp') {
            $result.tcp = [ordered]@{ ok = $false; error = $timedOut }
        }
        elseif ($State.stage -eq 'proxy') {
            $result.proxy = [ordered]@{ host = $ProxyHost; port = $ProxyPort; ok = $false; status = $null; error = $timedOut }
        }
        elseif ($State.stage -eq 'tls') {
            $result.tls = [ordered]@{ ok = $false; error = $timedOut; subject = $null; issuer = $null; not_after = $null }
            $seen = $State.tls_seen
            if ($null -ne $seen -and $null -ne $seen.certificate) {
                # The chain was built and the certificate seen; the handshake itself ran out.
                $result.tls.subject = $seen.certificate.Subject
                $result.tls.issuer = $seen.certificate.Issuer
                $result.tls.not_after = $seen.certificate.NotAfter.ToUniversalTime().ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", [Globalization.CultureInfo]::InvariantCulture)
                $result.tls.error = 'timed out (probe deadline reached in the TLS handshake after the certificate was received; certificate verification: {0})' -f $seen.policy
            }
            else {
                # Socket reads and writes end at the deadline on their own (and then report
                # themselves); still running means Windows was building the certificate chain,
                # e.g. downloading a missing intermediate or root over a blocked network.
                $result.tls.error = 'timed out (probe deadline reached during the TLS handshake, before the certificate was validated: most likely Windows building the certificate chain, e.g. fetching a missing intermediate or root certificate (AIA/AuthRoot) over a blocked network; revocation is not checked)'
            }
        }
        else {
            # Still queued in the pool when the deadline came.
            $result.dns = [ordered]@{ ok = $false; addresses = @(); error = $timedOut }
        }
    }
    elseif ($Failure -or $State.failure) {
        $result.error_class = 'other'
    }
    $result
}

Function Open-HrwProbePool {
    <#
    .SYNOPSIS
    Makes an opened RunspacePool create and open all of its Size runspaces now.
    .DESCRIPTION
    Size pipelines wait at a CountdownEvent until all Size have signalled it; with
    MaxRunspaces = Size each needs its own runspace, so when they all return every runspace of
    the pool exists and is open (idle runspaces stay in the pool for the probes). The wait inside
    a warm-up is bounded (WarmUpMs), so a runspace that cannot open costs a bounded time and the
    caller's `errors` gets the text, never a hung module.
    #>
    [CmdletBinding()]
    param (
        [Parameter(Mandatory = $true)][System.Management.Automation.Runspaces.RunspacePool]$Pool,
        [Parameter(Mandatory = $true)][int]$Size
    )

    $gate = New-Object -TypeName System.Threading.CountdownEvent -ArgumentList $Size
    $warm = New-Object -TypeName System.Collections.Generic.List[Object]
    try {
        for ($i = 0; $i -lt $Size; $i++) {
            $shell = [PowerShell]::Create()
            $shell.RunspacePool = $Pool
            $null = $shell.AddScript('param($Gate, $Ms) $null = $Gate.Signal(); $null = $Gate.Wait($Ms)').AddArgument($gate).AddArgument($script:WarmUpMs)
            $warm.Add([PSCustomObject]@{ Shell = $shell; Handle = $shell.BeginInvoke() })
        }
        foreach ($entry in $warm) {
            $null = $entry.Shell.EndInvoke($entry.Handle)
        }
    }
    finally {
        if (-not $gate.IsSet) {
            # A warm-up failed to start: release the ones waiting at the barrier now.
            $gate.Reset(0)
        }
        foreach ($entry in $warm) {
            $entry.Shell.Dispose()
        }
        $gate.Dispose()
    }
}

Function Invoke-HrwEndpointProbe {
    <#
    .SYNOPSIS
    Probes every job concurrently in one RunspacePool, bounded by one timeout for the whole
    phase; returns one result per job, in order.
    .PARAMETER Job
    Hashtables {host, port, proxy}; proxy is $null (direct) or {host, port} (HTTP CONNECT).
    .PARAMETER Failure
    Receives "host:port: text" for each probe that failed unexpectedly (error_class other),
    for the caller's `errors`; the result shape has no room for the text.
    .DESCRIPTION
    The main thread waits for all runspaces until the deadline (plus a short grace), then
    reports the unfinished ones as timeouts, asks them to stop without waiting, and releases
    the pool. An unreachable endpoint therefore costs one timeout, never one per endpoint.
    #>
    [CmdletBinding()]
    param (
        [Parameter(Mandatory = $true)][AllowEmptyCollection()][object[]]$Job,
        [Parameter(Mandatory = $true)][double]$TimeoutSeconds,
        [AllowNull()][System.Collections.Generic.List[String]]$Failure
    )

    $results = New-Object -TypeName System.Collections.Generic.List[Object]
    if ($Job.Count -eq 0) {
        return , $results.ToArray()
    }
    # The script text, not the scriptblock, so it runs in the runspace's own session state.
    $scriptText = $script:ProbeScript.ToString()
    $size = [Math]::Min($script:MaxRunspaces, $Job.Count)
    $pool = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspacePool([System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2())
    $null = $pool.SetMaxRunspaces($size)
    $null = $pool.SetMinRunspaces($size)
    $running = New-Object -TypeName System.Collections.Generic.List[Object]
    $warmed = $false
    try {
        # All $size runspaces are created and opened before the clock starts: runspace start-up
        # is the host's cost, not the network's, and must not turn a slow host's probes into
        # timeouts. Open() opens only one runspace (SetMinRunspaces is not honoured there); the
        # pool creates the others one at a time inside BeginInvoke. So $size warm-up pipelines
        # are held at a barrier until every one of them runs, i.e. until all runspaces exist.
        $pool.Open()
        Open-HrwProbePool -Pool $pool -Size $size
        $warmed = $true
        $started = [DateTime]::UtcNow
        $deadlineTicks = $started.AddSeconds($TimeoutSeconds).Ticks
        foreach ($item in $Job) {
            $state = New-HrwProbeState
            $shell = [PowerShell]::Create()
            $shell.RunspacePool = $pool
            $null = $shell.AddScript($scriptText).AddArgument($item).AddArgument($deadlineTicks).AddArgument($state)
            $running.Add([PSCustomObject]@{ Shell = $shell; Handle = $shell.BeginInvoke(); State = $state; Job = $item })
        }
        foreach ($entry in $running) {
            $waitMs = [long](($deadlineTicks - [DateTime]::UtcNow.Ticks) / 10000) + $script:GraceMs
            if ($waitMs -gt 0) {
                $null = $entry.Handle.AsyncWaitHandle.WaitOne([int][Math]::Min($waitMs, [int]::MaxValue))
            }
        }
        $elapsed = [long]([DateTime]::UtcNow - $started).TotalMilliseconds
        foreach ($entry in $running) {
            $endError = $null
            if ($entry.Handle.IsCompleted) {
                try {
                    $null = $entry.Shell.EndInvoke($entry.Handle)
                }
                catch {
                    $endError = $_.Exception.Message
                }
            }
            $convert = @{
                State = $entry.State
                ViaProxy = ($null -ne $entry.Job.proxy)
                ElapsedMs = $elapsed
                Failure = $endError
            }
            if ($null -ne $entry.Job.proxy) {
                $convert.ProxyHost = $entry.Job.proxy.host
                $convert.ProxyPort = [int]$entry.Job.proxy.port
            }
            $results.Add((ConvertTo-HrwProbeResult @convert))
            $text = $endError
            if (-not $text) {
                $text = $entry.State.failure
            }
            if ($text -and $null -ne $Failure) {
                $Failure.Add(('{0}:{1}: {2}' -f $entry.Job.host, $entry.Job.port, $text))
            }
        }
    }
    finally {
        $allDone = $true
        foreach ($entry in $running) {
            if ($entry.Handle.IsCompleted) {
                $entry.Shell.Dispose()
            }
            else {
                # Not waited for: every call in the probe is bounded, so it ends on its own.
                $allDone = $false
                $null = $entry.Shell.BeginStop($null, $null)
            }
        }
        if ($allDone) {
            # A pool that failed to open or warm up is only disposed (Dispose closes what it can).
            if ($warmed) {
                $pool.Close()
            }
            $pool.Dispose()
        }
        else {
            $null = $pool.BeginClose($null, $null)
        }
    }
    , $results.ToArray()
}

Function Invoke-HrwImdsRequest {
    <#
    .SYNOPSIS
    One GET of the Azure instance metadata with "Metadata: true": {ok, status, error}.
    .PARAMETER BypassProxy
    Send it directly (an empty WebProxy) instead of through the default (IE/WinHTTP) proxy.
    #>
    [CmdletBinding()]
    param (
        [Parameter(Mandatory = $true)][string]$Url,
        [Parameter(Mandatory = $true)][int]$TimeoutMs,
        [switch]$BypassProxy
    )

    $outcome = [ordered]@{ ok = $false; status = $null; error = $null }
    $request = [System.Net.HttpWebRequest][System.Net.WebRequest]::Create($Url)
    $request.Method = 'GET'
    $request.Headers.Add('Metadata', 'true')
    $request.Timeout = $TimeoutMs
    $request.ReadWriteTimeout = $TimeoutMs
    if ($BypassProxy) {
        $request.Proxy = New-Object -TypeName System.Net.WebProxy
    }
    $response = $null
    try {
        $response = [System.Net.HttpWebResponse]$request.GetResponse()
        $outcome.status = [int]$response.StatusCode
        $outcome.ok = $outcome.status -eq 200
    }
    catch {
        $exception = $_.Exception
        while ($null -ne $exception.InnerException -and -not ($exception -is [System.Net.WebException])) {
            $exception = $exception.InnerException
        }
        if ($exception -is [System.Net.WebException] -and $null -ne $exception.Response) {
            $response = $exception.Response
            $outcome.status = [int]$response.StatusCode
        }
        $outcome.error = '{0}: {1}' -f $exception.GetType().Name, $exception.Message
    }
    finally {
        if ($null -ne $response) {
            $response.Close()
        }
    }
    $outcome
}

$exportMembers = @{
    Function = @(
        'Merge-HrwProbeResult'
        'Invoke-HrwEndpointProbe'
        'Invoke-HrwImdsRequest'
    )
}
Export-ModuleMember @exportMembers
