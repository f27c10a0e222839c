import type { PipelineEvent, PrometheusBackend, ServePart } from './types.js';

export interface Destination {
  /** The metrics are captured in this process: no pipeline is involved. */
  embedded: boolean;
  reason: string;
}

/**
 * Where the in-process server's metrics go. A backend the user named means the pipeline; otherwise
 * the pipeline is used only when both its ends are there (something takes OTLP, and the Prometheus
 * API answers), so that `otelpoc run` with nothing running is still a green, honest, embedded run.
 */
export async function chooseDestination(
  serve: ServePart,
  backend: PrometheusBackend | undefined,
  isListening: (url: string) => Promise<boolean>,
): Promise<Destination> {
  if (serve.metrics === 'capture')
    return { embedded: true, reason: serve.captureReason ?? 'capture asked for' };
  if (serve.metrics === 'otlp' || backend === undefined) return { embedded: false, reason: 'OTLP asked for' };
  if (backend.given) return { embedded: false, reason: '--url given' };
  const otlpUrl = serve.otlp.metricsUrl;
  if (!(await isListening(otlpUrl))) {
    return { embedded: true, reason: `nothing listens at ${otlpUrl} and no --url` };
  }
  // Something takes OTLP; use it only if the query side is there too (the stack).
  if (await isListening(backend.url)) return { embedded: false, reason: 'the stack is listening' };
  return {
    embedded: true,
    reason: `something listens at ${otlpUrl} but nothing at ${backend.url}, and no --url`,
  };
}

/** The `destination` event: where the metrics go and where they are verified, and why. */
export function destinationEvent(
  serve: ServePart,
  dest: Destination,
  backend: PrometheusBackend | undefined,
): Extract<PipelineEvent, { type: 'destination' }> {
  return {
    type: 'destination',
    topology: dest.embedded ? 'embedded' : serve.tenantExport ? 'per-tenant-export' : 'otlp-endpoint',
    embedded: dest.embedded,
    reason: dest.reason,
    metricsUrl: serve.otlp.metricsUrl,
    ...(backend && !dest.embedded ? { verifiedAt: backend.url } : {}),
  };
}
