# Installs the mcp-proxy standalone binary (no Node needed) on Windows.
#
#   irm https://github.com/mcp-proxy-server/mcp-proxy-server/releases/latest/download/install.ps1 | iex
#
# Environment:
#   MCP_PROXY_RELEASE_URL   base URL holding mcp-proxy-win-x64.exe and SHA256SUMS
#                           (default: the latest GitHub release; set it for mirrors, pinned versions, tests)
#   MCP_PROXY_INSTALL_DIR   where to put mcp-proxy.exe (default: %USERPROFILE%\.local\bin)
#
# The download is verified against SHA256SUMS before anything is installed; a mismatch installs nothing.
# Works in Windows PowerShell 5.1 and PowerShell 7.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

function Fail([string]$Message, [string]$Hint = '') {
  [Console]::Error.WriteLine("mcp-proxy install: error: $Message")
  if ($Hint) { [Console]::Error.WriteLine("mcp-proxy install: hint: $Hint") }
  # throw, not exit: under `irm ... | iex` an exit would close the user's PowerShell window.
  throw "mcp-proxy install failed: $Message"
}

$DefaultReleaseUrl = 'https://github.com/mcp-proxy-server/mcp-proxy-server/releases/latest/download'
$ReleaseUrl = if ($env:MCP_PROXY_RELEASE_URL) { $env:MCP_PROXY_RELEASE_URL } else { $DefaultReleaseUrl }
$ReleaseUrl = $ReleaseUrl.TrimEnd('/')
$InstallDir = if ($env:MCP_PROXY_INSTALL_DIR) { $env:MCP_PROXY_INSTALL_DIR } else { Join-Path $HOME '.local\bin' }

# --- platform --------------------------------------------------------------------------------------
$onWindows = ($PSVersionTable.PSVersion.Major -lt 6) -or $IsWindows
if (-not $onWindows) {
  Fail 'this installer is for Windows' "use install.sh: curl -fsSL $ReleaseUrl/install.sh | sh"
}
# PROCESSOR_ARCHITEW6432 is set when a 32-bit shell runs on 64-bit Windows.
$arch = if ($env:PROCESSOR_ARCHITEW6432) { $env:PROCESSOR_ARCHITEW6432 } else { $env:PROCESSOR_ARCHITECTURE }
switch ($arch) {
  'AMD64' { $platform = 'win-x64' }
  # Windows on ARM runs x64 programs under emulation.
  'ARM64' { $platform = 'win-x64'; Write-Host 'mcp-proxy install: ARM64 Windows: installing the x64 binary (runs under emulation)' }
  default { Fail "unsupported CPU architecture: $arch" 'binaries exist for x64; elsewhere use: npx -y mcp-proxy-server' }
}
$asset = "mcp-proxy-$platform.exe"

# --- download and verify ---------------------------------------------------------------------------
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
$tmp = Join-Path ([IO.Path]::GetTempPath()) ("mcp-proxy-" + [Guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Path $tmp | Out-Null
try {
  Write-Host "mcp-proxy install: downloading $asset from $ReleaseUrl"
  $sumsFile = Join-Path $tmp 'SHA256SUMS'
  $exeFile = Join-Path $tmp $asset
  $old = $ProgressPreference; $ProgressPreference = 'SilentlyContinue' # progress bars make iwr very slow on 5.1
  try {
    try { Invoke-WebRequest -UseBasicParsing -Uri "$ReleaseUrl/SHA256SUMS" -OutFile $sumsFile }
    catch { Fail "could not download $ReleaseUrl/SHA256SUMS ($($_.Exception.Message))" 'check the URL (MCP_PROXY_RELEASE_URL) and your network' }
    try { Invoke-WebRequest -UseBasicParsing -Uri "$ReleaseUrl/$asset" -OutFile $exeFile }
    catch { Fail "could not download $ReleaseUrl/$asset ($($_.Exception.Message))" "no binary for $platform at that URL? check MCP_PROXY_RELEASE_URL" }
  } finally { $ProgressPreference = $old }

  $expected = $null
  foreach ($line in Get-Content -LiteralPath $sumsFile) {
    $parts = $line.Trim() -split '\s+', 2
    if ($parts.Count -eq 2 -and ($parts[1] -eq $asset -or $parts[1] -eq "*$asset")) { $expected = $parts[0].ToLowerInvariant(); break }
  }
  if (-not $expected) { Fail "$asset is not listed in SHA256SUMS; refusing to install an unverified file" }
  $actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $exeFile).Hash.ToLowerInvariant()
  if ($actual -ne $expected) {
    Fail "checksum mismatch for ${asset}: expected $expected, got $actual; nothing was installed" 'the download is corrupted or was tampered with; try again, or check the mirror (MCP_PROXY_RELEASE_URL)'
  }
  Write-Host "mcp-proxy install: SHA-256 verified ($actual)"

  # --- install -------------------------------------------------------------------------------------
  New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
  $dest = Join-Path $InstallDir 'mcp-proxy.exe'
  $staged = Join-Path $InstallDir '.mcp-proxy.new.exe'
  Copy-Item -LiteralPath $exeFile -Destination $staged -Force
  Move-Item -LiteralPath $staged -Destination $dest -Force
} finally {
  Remove-Item -LiteralPath $tmp -Recurse -Force -ErrorAction SilentlyContinue
}

Write-Host "mcp-proxy install: installed $dest"
Write-Host 'mcp-proxy install: the binary is not Authenticode-signed (signing is up to whoever publishes it); SmartScreen may ask once.'
try { $v = & $dest version 2>$null | Select-Object -First 1; if ($v) { Write-Host "mcp-proxy install: $v" } } catch {}

$onPath = @($env:Path -split ';' | Where-Object { $_.TrimEnd('\') -ieq $InstallDir.TrimEnd('\') }).Count -gt 0
if ($onPath) {
  Write-Host 'mcp-proxy install: run `mcp-proxy --help` to start'
} else {
  Write-Host ''
  Write-Host "$InstallDir is not on your PATH. Add it for your user (then open a new terminal):"
  Write-Host "  [Environment]::SetEnvironmentVariable('Path', `"$InstallDir;`" + [Environment]::GetEnvironmentVariable('Path', 'User'), 'User')"
  Write-Host "or run it directly: & '$dest' --help"
}
