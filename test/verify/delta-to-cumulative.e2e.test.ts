/**
 * Delta converted to cumulative on the way, verified for real: `otelpoc run --otlp-protocol
 * http/json --temporality delta` exports through a RELAY that EMULATES Alloy's
 * otelcol.processor.deltatocumulative (test/helpers/delta-to-cumulative-relay.ts: it accumulates the
 * delta sums and histograms and forwards them as cumulative OTLP/HTTP protobuf) into VictoriaMetrics.
 * Summing those cumulative samples over the run would over-count; verify must read them by their
 * newest sample and call the kind **changed** (delta-to-cumulative), counts exact — a pass only with
 * --accept-change delta-to-cumulative. The relay also shows what the CLI's flags really exported.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import type { VerifyReport } from '../../src/verify/types.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable } from '../helpers/backends.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import {
  type DeltaToCumulativeRelay,
  startDeltaToCumulativeRelay,
} from '../helpers/delta-to-cumulative-relay.js';

const enabled = backendsAvailable('delta converted to cumulative (VictoriaMetrics + relay)');

describe.skipIf(!enabled)('delta → relay (deltatocumulative emulation) → VictoriaMetrics', () => {
  const vm = useVictoriaMetrics();
  let relay: DeltaToCumulativeRelay;
  let dir: string;
  beforeAll(async () => {
    relay = await startDeltaToCumulativeRelay(vm.otlpEndpoint);
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-d2c-'));
  });
  afterAll(async () => {
    await relay?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const run = (name: string, extra: string[] = []) =>
    runCli(
      [
        'run',
        '--url',
        vm.promUrl,
        '--no-tenant-header',
        '--otlp-endpoint',
        relay.endpoint,
        '--otlp-protocol',
        'http/json',
        '--temporality',
        'delta',
        // 3 s at 20/s with a 1 s export interval: several exports, so the cumulative samples' sum over-counts.
        '--requests',
        '60',
        '--rps',
        '20',
        '--json',
        '--out',
        join(dir, `${name}.json`),
        '--verify-timeout',
        '40s',
        ...extra,
      ],
      { cwd: dir, env: cleanEnv(), timeoutMs: 90_000 },
    );

  it('changed (delta-to-cumulative), counts exact: exit 1 unless accepted, then exit 0', async () => {
    const before = relay.received.length;
    const r = await run('d2c');
    expect(r.code, `${r.stderr}\n${r.stdout.slice(0, 2000)}`).toBe(1);
    const doc = JSON.parse(r.stdout) as { manifest: RunManifest; verify: VerifyReport };
    // The flags reached the export: JSON bodies, the counter as a delta sum, recorded in the manifest.
    const sent = relay.received.slice(before);
    const counter = sent
      .flatMap((e) => e.resourceMetrics.flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics)))
      .filter((m) => m.name === 'http.server.request.count' || m.sum?.isMonotonic);
    expect(counter.length).toBeGreaterThan(1);
    expect(counter.every((m) => m.sum?.aggregationTemporality === 1)).toBe(true);
    expect(relay.forwarded.errors).toEqual([]);
    expect(doc.manifest.server?.kind).toMatchObject({ protocol: 'http/json', temporality: 'delta' });

    const kinds = doc.verify.kinds!.tenants;
    expect(kinds.length).toBe(doc.manifest.tenants.length);
    for (const v of kinds) {
      expect(v, JSON.stringify(v)).toMatchObject({
        outcome: 'changed',
        change: 'delta-to-cumulative',
        accepted: false,
      });
      expect(v.how).toContain(
        'delta converted to cumulative on the way (e.g. Alloy otelcol.processor.deltatocumulative)',
      );
      for (const s of v.byStatus) {
        expect(String(s.counter)).toBe(s.expected);
        expect(String(s.histogram)).toBe(s.expected);
      }
    }
    // Only the kind check fails: the seven checks read the converted series as cumulative, exactly.
    const failing = doc.verify.results.filter((x) => !x.ok);
    expect(
      failing.map((x) => x.check),
      JSON.stringify(failing.map((x) => x.problems)),
    ).toEqual(kinds.map(() => 'kind'));

    const accepted = await run('d2c-accepted', ['--accept-change', 'delta-to-cumulative']);
    expect(accepted.code, accepted.stderr).toBe(0);
    const ok = JSON.parse(accepted.stdout) as { verify: VerifyReport };
    expect(ok.verify.kinds!.tenants.every((v) => v.accepted === true)).toBe(true);
  });
});
