// Preloaded (`node -r`) into a proxy by scripts/bench-memory.mjs: on SIGUSR2 it writes V8's own view of the
// heap to the file named by MCP_PROXY_MEMORY_PROBE, so the bench can split the RSS it reads from /proc.
// Node built-ins only, nothing allocated until asked.
const fs = require('node:fs');
const v8 = require('node:v8');

process.on('SIGUSR2', () => {
  const stats = {
    memory: process.memoryUsage(),
    spaces: v8.getHeapSpaceStatistics(),
    heap: v8.getHeapStatistics(),
    code: v8.getHeapCodeStatistics(),
  };
  fs.writeFileSync(`${process.env.MCP_PROXY_MEMORY_PROBE}.tmp`, JSON.stringify(stats));
  fs.renameSync(`${process.env.MCP_PROXY_MEMORY_PROBE}.tmp`, process.env.MCP_PROXY_MEMORY_PROBE);
});
