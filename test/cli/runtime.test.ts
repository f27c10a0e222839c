/**
 * The signal rule on a fake clock: repeats of the first signal within REPEAT_WINDOW_MS never cut the
 * graceful stop; a signal REPEAT_WINDOW_MS or more later, or the stop deadline, exits 130 and names
 * what was still owed. (test/cli/signals.test.ts checks the same with real processes.)
 */
import { describe, expect, it } from 'vitest';
import {
  createSignalHandling,
  FORCE_WINDOW_MS,
  REPEAT_WINDOW_MS,
  SAME_PRESS_MS,
} from '../../src/cli/runtime.js';
import { stopLimitMs } from '../../src/pipeline/lifecycle.js';

function harness(interactive = false) {
  let now = 0;
  const lines: string[] = [];
  const exits: number[] = [];
  const timers: { at: number; fn: () => void; cleared: boolean }[] = [];
  const h = createSignalHandling({
    now: () => now,
    write: (l) => lines.push(l),
    exit: (code) => exits.push(code),
    interactive: () => interactive,
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

  it('with --quiet or --json (limit quiet) the repeat note is not printed, and the stop still goes on', () => {
    const { h, lines, exits } = harness();
    h.stop.limit(60_000, { quiet: true });
    h.onSignal('SIGTERM');
    h.onSignal('SIGTERM');
    expect(lines).toEqual([]);
    expect(exits).toEqual([]);
  });

  it('three Ctrl-C presses within a second on a terminal stop at once, naming what was lost', () => {
    const { h, lines, exits, advance } = harness(true);
    h.stop.limit(60_000);
    h.stop.owe('manifest not written (m.json)');
    h.onSignal('SIGINT');
    h.onSignal('SIGINT'); // the same press, forwarded by npx: not a second press
    advance(300);
    h.onSignal('SIGINT');
    expect(exits).toEqual([]);
    advance(300);
    h.onSignal('SIGINT');
    expect(exits).toEqual([130]);
    expect(lines.at(-1)).toBe(
      'otelpoc: Ctrl-C 3 times within 1 s: stopping now; lost: manifest not written (m.json)\n',
    );
  });

  it('presses spread over more than a second, one press delivered many times, or no terminal: still graceful', () => {
    const spread = harness(true);
    spread.h.stop.limit(60_000);
    for (let i = 0; i < 3; i++) {
      spread.h.onSignal('SIGINT');
      spread.advance(FORCE_WINDOW_MS / 2 + 1);
    }
    expect(spread.exits).toEqual([]);
    const forwarded = harness(true);
    forwarded.h.stop.limit(60_000);
    for (let i = 0; i < 5; i++) {
      forwarded.h.onSignal('SIGINT');
      forwarded.advance(SAME_PRESS_MS / 5);
    }
    expect(forwarded.exits).toEqual([]);
    const script = harness(false); // timeout around npx, CI: no terminal
    script.h.stop.limit(60_000);
    for (let i = 0; i < 3; i++) {
      script.h.onSignal('SIGINT');
      script.advance(SAME_PRESS_MS + 1);
    }
    expect(script.exits).toEqual([]);
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
