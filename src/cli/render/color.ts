import { Chalk, type ChalkInstance } from 'chalk';
import type { Env } from '../../util/env.js';
import type { OutputStream } from '../runtime.js';

/**
 * One chalk instance per stream: colour only on a TTY; never when NO_COLOR is set to a non-empty
 * value (no-color.org) or --no-color was given; FORCE_COLOR (not "0") forces it on otherwise.
 */
export function colorFor(stream: OutputStream, env: Env, noColorFlag = false): ChalkInstance {
  const noColor = noColorFlag || (env.NO_COLOR ?? '') !== '';
  const force = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
  return new Chalk({ level: !noColor && (force || stream.isTTY) ? 1 : 0 });
}
