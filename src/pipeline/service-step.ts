/**
 * The load's part in proving a service of the user's (no run label in its metrics): just before the
 * first request, a snapshot of the service's cumulative counts in the backend, stored in the
 * manifest with the profile; the load then sends no warm-up requests (the service would count them)
 * and names the tenant in the profile's header. After the load, verifyServiceManifests checks them.
 */
import type { LoadConfig } from '../load/config.js';
import type { LoadDeps } from '../load/runner.js';
import type { RunManifest } from '../manifest/schema.js';
import type { ServiceProfile, ServiceSnapshot } from '../manifest/service.js';
import { UsageError } from '../util/errors.js';
import { promClientFor } from '../verify/prom-client.js';
import { serviceTenant, takeServiceSnapshot } from '../verify/service/counts.js';
import { loadServiceProfile } from '../verify/service/profile.js';
import { type ServiceVerifyReport, verifyService } from '../verify/service/verify-service.js';
import type { PipelineConfig, PrometheusBackend } from './types.js';

/** The config with its service profiles loaded: a bad profile throws here, before any traffic. */
export async function loadServiceProfiles(config: PipelineConfig): Promise<PipelineConfig> {
  const load = async (ref: ServiceProfile | string) =>
    typeof ref === 'string' ? loadServiceProfile(ref) : ref;
  const out = { ...config };
  if (config.load?.service) {
    out.load = {
      ...config.load,
      service: { ...config.load.service, profile: await load(config.load.service.profile) },
    };
  }
  if (config.verify?.serviceProfile) {
    out.verify = { ...config.verify, serviceProfile: await load(config.verify.serviceProfile) };
  }
  return out;
}

/**
 * The --service-profile given (`flag`: as given, the flag or its env var), loaded and checked now,
 * before any work: a problem goes to `problems`. A file is read relative to `cwd`.
 */
export async function profileFrom(
  ref: string | undefined,
  flag: string | undefined,
  cwd: string,
  problems: string[],
): Promise<ServiceProfile | undefined> {
  if (ref === undefined) return undefined;
  try {
    return await loadServiceProfile(ref, flag, cwd);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    problems.push(err.message);
    return undefined;
  }
}

/** Only after loadServiceProfiles. */
function loaded(ref: ServiceProfile | string): ServiceProfile {
  if (typeof ref === 'string')
    throw new Error(`service profile ${ref} not loaded (loadServiceProfiles first)`);
  return ref;
}

export interface ServiceBeforeLoad {
  profile: ServiceProfile;
  snapshot: ServiceSnapshot;
  /** What runLoad gets so that only the run's requests reach the service. */
  loadDeps: Pick<LoadDeps, 'warmUp' | 'tenantHeader'>;
}

/** Takes the snapshot, now, for every tenant the load will send as. */
export async function beforeFirstRequest(
  service: { profile: ServiceProfile | string; backend: PrometheusBackend } | undefined,
  config: LoadConfig,
  signal?: AbortSignal,
): Promise<ServiceBeforeLoad | undefined> {
  if (!service) return undefined;
  const profile = loaded(service.profile);
  const client = promClientFor(service.backend);
  try {
    const tenants = config.tenants.map((t) => serviceTenant(profile, t.clientId));
    const snapshot = await takeServiceSnapshot(client, profile, tenants, Date.now(), signal);
    return {
      profile,
      snapshot,
      loadDeps: { warmUp: false, tenantHeader: profile.tenantHeader },
    };
  } finally {
    await client.close();
  }
}

export function withService(manifest: RunManifest, before: ServiceBeforeLoad | undefined): RunManifest {
  return before ? { ...manifest, service: { profile: before.profile, snapshot: before.snapshot } } : manifest;
}

/** verify of each manifest by the profile's counts; a manifest without a snapshot is refused. */
export async function verifyServiceManifests(
  ref: ServiceProfile | string,
  manifests: { manifest: RunManifest; source: string }[],
  backend: PrometheusBackend | undefined,
  opts: { timeoutMs: number; settleMs: number; signal?: AbortSignal | undefined },
): Promise<ServiceVerifyReport[]> {
  const profile = loaded(ref);
  if (!backend) throw new Error('verify --service-profile needs a backend to query');
  const client = promClientFor(backend);
  try {
    const reports: ServiceVerifyReport[] = [];
    for (const { manifest } of manifests) {
      reports.push(
        await verifyService({
          client,
          profile,
          manifest,
          snapshot: manifest.service?.snapshot,
          timeoutMs: opts.timeoutMs,
          settleMs: opts.settleMs,
          ...(opts.signal ? { signal: opts.signal } : {}),
        }),
      );
    }
    return reports;
  } finally {
    await client.close();
  }
}
