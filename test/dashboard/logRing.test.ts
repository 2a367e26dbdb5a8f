/**
 * The dashboard's log ring: bounded (the oldest lines fall out), in order, filtered by source, lowest
 * level and sequence, followed live; fed by the real logger, whose redaction runs before the ring sees
 * a line, and by the upstreams' `[name] text` stderr lines.
 */
import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { isLevel, LEVEL_ORDER, type LogLevelName, type LogRecord, LogRing } from '../../src/dashboard/logRing.js';
import { createLogger } from '../../src/observability/logger.js';
import { Redactor } from '../../src/observability/redact.js';

const push = (ring: LogRing, source: string, level: LogLevelName, msg: string) =>
  ring.push({ time: new Date().toISOString(), level, source, msg });

const discard = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

describe('LogRing', () => {
  test('bounded: never more than its capacity, the newest kept, in order, sequence numbers increasing', () => {
    const ring = new LogRing(50);
    for (let i = 0; i < 237; i++) push(ring, i % 2 ? 'a' : 'b', 'info', `line ${i}`);
    const all = ring.recent({}, 10_000);
    expect(all).toHaveLength(50);
    expect(all.map((l) => l.msg)).toEqual(Array.from({ length: 50 }, (_, i) => `line ${187 + i}`));
    for (let i = 1; i < all.length; i++) expect(all[i].seq).toBe(all[i - 1].seq + 1);
    // The limit keeps the newest.
    expect(ring.recent({}, 3).map((l) => l.msg)).toEqual(['line 234', 'line 235', 'line 236']);
  });

  test('filters: source, lowest level and after a sequence number combine', () => {
    const ring = new LogRing();
    for (const [i, level] of LEVEL_ORDER.entries()) {
      push(ring, 'proxy', level, `p${i}`);
      push(ring, 'echo', level, `e${i}`);
    }
    expect(ring.recent({ source: 'echo' }).map((l) => l.msg)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
    expect(ring.recent({ level: 'warn' }).map((l) => l.level)).toEqual([
      'warn',
      'warn',
      'error',
      'error',
      'fatal',
      'fatal',
    ]);
    const third = ring.recent()[2].seq;
    expect(ring.recent({ source: 'proxy', level: 'error', after: third }).map((l) => l.msg)).toEqual(['p4', 'p5']);
    expect(ring.sources()).toEqual(['echo', 'proxy']);
    expect([isLevel('warn'), isLevel('WARN'), isLevel('verbose'), isLevel(null)]).toEqual([true, false, false, false]);
  });

  test('follow: new lines that pass the filter, until unsubscribed', () => {
    const ring = new LogRing();
    const seen: LogRecord[] = [];
    const stop = ring.follow({ source: 'echo', level: 'warn' }, (l) => seen.push(l));
    push(ring, 'echo', 'info', 'quiet');
    push(ring, 'proxy', 'error', 'not echo');
    push(ring, 'echo', 'error', 'loud');
    stop();
    push(ring, 'echo', 'fatal', 'after stop');
    expect(seen.map((l) => l.msg)).toEqual(['loud']);
  });

  test('stderr lines: the server from "[name]", the rest as the message, info level', () => {
    const ring = new LogRing();
    ring.stderrLine('[github] rate limited: retry in 3s');
    ring.stderrLine('no prefix here');
    expect(ring.recent().map(({ source, level, msg }) => ({ source, level, msg }))).toEqual([
      { source: 'github', level: 'info', msg: 'rate limited: retry in 3s' },
      { source: 'upstream', level: 'info', msg: 'no prefix here' },
    ]);
  });

  test("the proxy's lines through the real logger: level, component, fields, secrets masked", async () => {
    const ring = new LogRing();
    const redactor = new Redactor();
    const secret = 'sk-ring-secret-0123456789';
    redactor.add(secret);
    const logger = createLogger({
      level: 'debug',
      format: 'json',
      destination: discard(),
      redactor,
      tap: ring.pinoLine,
    });
    logger
      .child({ component: 'pool' })
      .warn({ server: 'github', url: `https://x/?key=${secret}` }, `failed with ${secret}`);
    logger.debug({ headers: { authorization: 'Bearer abc' } }, 'request');
    ring.pinoLine('not json');
    // The logger's sink hands lines on one write at a time.
    await new Promise((r) => setImmediate(r));
    const [warn, debug] = ring.recent();
    expect(ring.recent()).toHaveLength(2);
    expect(warn).toMatchObject({ source: 'proxy', level: 'warn', component: 'pool' });
    expect(warn.msg).toMatch(/^failed with \S+ server=github url=https:\/\/x\/\?key=\S+$/);
    expect(debug).toMatchObject({ level: 'debug', msg: expect.stringContaining('request') });
    expect(JSON.stringify(ring.recent())).not.toContain(secret);
    expect(JSON.stringify(ring.recent())).not.toContain('Bearer abc');
  });
});
