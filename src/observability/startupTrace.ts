/**
 * `MCP_PROXY_TRACE_STARTUP=1`: one stderr line per start-up phase, with the milliseconds since the
 * process started (performance.now() counts from there) and the CPU time spent so far (steadier on a busy machine), to see where the time to the first answer goes.
 * Off by default: then each mark is one property read.
 */
const on = Boolean(process.env.MCP_PROXY_TRACE_STARTUP);

export function startupMark(phase: string): void {
  if (!on) return;
  const cpu = process.cpuUsage();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stderr.write(
    `mcp-proxy start-up: ${performance.now().toFixed(1)} ms (cpu ${cpuMs.toFixed(1)} ms) ${phase}\n`,
  );
}
