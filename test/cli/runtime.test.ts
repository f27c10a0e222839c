/**
 * The signal rule on a fake clock: repeats of the first signal within REPEAT_WINDOW_MS never cut the
 * graceful stop; a signal REPEAT_WINDOW_MS or more later, or the stop deadline, exits 130 and names
 * what was still owed. (test/cli/signals.test.ts checks the same with real processes.)
 */
import { describe, expect, it } from 'vitest';
import { createSignalHandling, REPEAT_WINDOW_MS, stopLimitMs } from '../../src/cli/runtime.js';

function harness() {
  let now = 0;
  const lines: string[] = [];
  const exits: number[] = [];
  const timers: { at: number; fn: () => void; cleared: boolean }[] = [];
  const h = createSignalHandling({
    now: () => now,
    write: (l) => lines.push(l),
    exit: (code) => exits.push(code),
    setTimer: (fn, ms) => {
      const t = { at: now + ms, fn, cleared: false };
      timers.push(t);
      return { clear: () => (t.cleared = true) };
    },
  });
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers) {
      if (!t.cleared && t.at <= now) {
        t.cleared = true;
        t.fn();
      }
    }
  };
  return { h, lines, exits, advance };
}

describe('graceful stop on SIGINT/SIGTERM', () => {
  it('aborts on the first signal and ignores any number of repeats within the window', () => {
    const { h, lines, exits, advance } = harness();
    h.stop.limit(60_000);
    h.stop.owe('manifest not written (m.json)');
    h.onSignal('SIGTERM');
    expect(h.signal.aborted).toBe(true);
    expect(h.signal.reason).toBe('SIGTERM');
    h.onSignal('SIGTERM'); // GNU timeout: the child, then its process group
    advance(600);
    h.onSignal('SIGINT');
    advance(REPEAT_WINDOW_MS - 601);
    h.onSignal('SIGINT');
    expect(exits).toEqual([]);
    // Said once, not once per repeat.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^otelpoc: SIGTERM again within 2 s: taken as the same request, still stopping/);
  });

  it('a signal REPEAT_WINDOW_MS or more after the first stops at once, naming what was lost', () => {
    const { h, lines, exits, advance } = harness();
    h.stop.limit(60_000);
    const flushed = h.stop.owe('final metrics export not sent');
    h.stop.owe('manifest not written (m.json)');
    h.onSignal('SIGINT');
    advance(1_000);
    flushed();
    advance(REPEAT_WINDOW_MS - 1_000);
    h.onSignal('SIGINT');
    expect(exits).toEqual([130]);
    expect(lines.at(-1)).toBe(
      'otelpoc: SIGINT again 2 s after the first: stopping now; lost: manifest not written (m.json)\n',
    );
  });

  it('the stop deadline ends a stop that takes too long, naming what was lost; a finished one is left alone', () => {
    const { h, lines, exits, advance } = harness();
    h.stop.owe('the report not written');
    h.onSignal('SIGTERM');
    // The command sets its own bound after the signal came: the deadline still counts from the signal.
    h.stop.limit(stopLimitMs(10_000));
    advance(14_999);
    expect(exits).toEqual([]);
    advance(1);
    expect(exits).toEqual([130]);
    expect(lines.at(-1)).toBe(
      'otelpoc: the graceful stop did not finish within 15 s: stopping now; lost: the report not written\n',
    );
  });

  it('settled() waits while a stop still owes something, and not at all without a signal', async () => {
    const { h } = harness();
    const done = h.stop.owe('manifest not written');
    await h.settled(); // no signal: nothing to wait for
    h.onSignal('SIGTERM');
    let settled = false;
    const p = h.settled().then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    done();
    await p;
    expect(settled).toBe(true);
  });
});
