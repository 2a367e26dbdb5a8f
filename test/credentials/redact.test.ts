import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { registerSecret } from '../../src/credentials/redact.js';
import { createLogger } from '../../src/observability/logger.js';
import { Redactor } from '../../src/observability/redact.js';

function capture(format: 'json' | 'pretty', redactor: Redactor) {
  let out = '';
  const destination = new Writable({
    write(chunk, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', format, destination, redactor });
  return { logger, out: () => out };
}

describe('registerSecret', () => {
  const secret = 'pa"ss\\word\nwith/special?&=chars';

  for (const format of ['json', 'pretty'] as const) {
    it(`masks a secret with quotes, backslashes and newlines in ${format} log lines`, async () => {
      const redactor = new Redactor();
      registerSecret(redactor, secret);
      const { logger, out } = capture(format, redactor);
      logger.debug({ env: { TOKEN: secret }, url: `https://h/x?t=${encodeURIComponent(secret)}` }, `value ${secret}`);
      await new Promise((r) => setImmediate(r));
      const text = out();
      expect(text).toContain('value ');
      expect(text).not.toContain(JSON.stringify(secret).slice(1, -1));
      expect(text).not.toContain(encodeURIComponent(secret));
      expect(text).not.toContain('word');
      expect(text).toContain('****');
    });
  }

  it('a plain secret is registered once', () => {
    const redactor = new Redactor();
    registerSecret(redactor, 'plain-secret-value');
    expect(redactor.size).toBe(1);
    registerSecret(undefined, 'x');
    registerSecret(redactor, '');
    expect(redactor.size).toBe(1);
  });
});
