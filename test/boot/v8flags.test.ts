import { describe, expect, it } from 'vitest';
import { SERVE_V8_FLAGS, serveV8Flags } from '../../src/boot/v8flags.js';

describe('V8 heap flags for `run`', () => {
  it('applies to run only', () => {
    expect(serveV8Flags(['run', '--transport', 'http'], {})).toEqual(SERVE_V8_FLAGS);
    expect(serveV8Flags(['--verbose', 'run'], {})).toEqual(SERVE_V8_FLAGS);
    expect(serveV8Flags(['validate', '--config', 'run'], {})).toEqual({ atLoad: [], governYoungGeneration: false });
    expect(serveV8Flags([], {})).toEqual({ atLoad: [], governYoungGeneration: false });
  });

  it('MCP_PROXY_V8_FLAGS replaces the list; empty means V8 defaults', () => {
    expect(serveV8Flags(['run'], { MCP_PROXY_V8_FLAGS: ' --max-lazy  --foo=1 ' })).toEqual({
      atLoad: ['--max-lazy', '--foo=1'],
      governYoungGeneration: false,
    });
    expect(serveV8Flags(['run'], { MCP_PROXY_V8_FLAGS: '' })).toEqual({ atLoad: [], governYoungGeneration: false });
  });
});
