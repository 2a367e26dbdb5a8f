import { describe, expect, it } from 'vitest';
import { sleep, withDeadline, within } from '../../src/util/async.js';

describe('async helpers', () => {
  it('within waits at most ms and never rejects on the timeout', async () => {
    const t0 = Date.now();
    await within(new Promise(() => {}), 30);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    await expect(within(Promise.reject(new Error('x')), 1000)).rejects.toThrow('x');
  });

  it('withDeadline rejects with "timed out: <message>" and passes a settled value through', async () => {
    await expect(withDeadline(new Promise(() => {}), 20, 'connect a')).rejects.toThrow('timed out: connect a');
    await expect(
      withDeadline(
        sleep(5).then(() => 7),
        1000,
        'x',
      ),
    ).resolves.toBe(7);
  });
});
