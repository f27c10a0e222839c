import { type Command, Option } from 'commander';
import { parseExportInterval } from '../telemetry/config.js';
import { type DelayRange, parseDelayRange } from '../util/duration.js';
import { UsageError } from '../util/errors.js';
import { parseSeed } from '../util/random.js';

/**
 * Option parsers shared by the commands. Each throws a UsageError whose message names the flag and
 * what is allowed; cli/main.ts prints it as one line and exits 2.
 */
export function parseIntegerIn(what: string, min: number, max: number) {
  return (text: string): number => {
    if (!/^-?\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
      throw new UsageError(`${what}: expected an integer from ${min} to ${max}, got "${text}"`);
    }
    return Number(text);
  };
}

export const parsePort = parseIntegerIn('--port', 0, 65535);

/** Flags of the in-process server, shared by `serve`, `load --serve` and `run`. */
export interface ServerFlags {
  delay: DelayRange;
  seed?: number;
  otlpEndpoint?: string;
  exportInterval?: number;
  maxTenants: number;
}

export function addServerOptions(cmd: Command, opts: { delayDefault?: string } = {}): Command {
  return cmd
    .addOption(
      new Option('--delay <range>', 'response delay: fixed (0, 50ms, 1s) or a uniform range (0-500ms)')
        .default(parseDelayRange(opts.delayDefault ?? '0-500ms'), opts.delayDefault ?? '0-500ms')
        .argParser((v) => parseDelayRange(v, '--delay')),
    )
    .addOption(
      new Option('--seed <n>', 'seed the random delays, for reproducible runs').argParser((v) =>
        parseSeed(v),
      ),
    )
    .addOption(
      new Option(
        '--otlp-endpoint <url>',
        'OTLP/HTTP base URL (/v1/metrics is appended) [env: OTEL_EXPORTER_OTLP_ENDPOINT, default http://localhost:4318]',
      ),
    )
    .addOption(
      new Option(
        '--export-interval <duration>',
        'metric export interval [env: OTEL_METRIC_EXPORT_INTERVAL, default 10s]',
      ).argParser(parseExportInterval),
    )
    .addOption(
      new Option('--max-tenants <n>', 'distinct Client-ID values recorded before client_id="__overflow__"')
        .default(1000)
        .argParser(parseIntegerIn('--max-tenants', 1, 100_000)),
    );
}
