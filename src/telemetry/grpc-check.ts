/**
 * One empty OTLP/gRPC metrics export (`MetricsService/Export` with an empty
 * ExportMetricsServiceRequest: zero bytes, valid protobuf, nothing stored), the gRPC counterpart of
 * doctor's empty OTLP/HTTP post: does something at `url` take OTLP over gRPC?
 */
import { createRequire } from 'node:module';
import type * as Grpc from '@grpc/grpc-js';

const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

export interface GrpcExportOutcome {
  ok: boolean;
  /** gRPC status code and name, e.g. "14 UNAVAILABLE"; absent on success. */
  status?: string;
  details?: string;
  durationMs: number;
}

/** `url`: http(s)://host:port (the gRPC endpoint as config.ts resolves it); `headers` go as metadata. */
export async function exportEmptyOverGrpc(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<GrpcExportOutcome> {
  // Loaded here: grpc-js costs ~0.2 s to load, which only a gRPC check should pay.
  const grpc = createRequire(import.meta.url)('@grpc/grpc-js') as typeof Grpc;
  const u = new URL(url);
  const credentials =
    u.protocol === 'https:' ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
  const client = new grpc.Client(u.host, credentials);
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
  const started = performance.now();
  const passThrough = (b: Buffer) => b;
  try {
    return await new Promise<GrpcExportOutcome>((resolve) => {
      client.makeUnaryRequest(
        EXPORT_PATH,
        passThrough,
        passThrough,
        Buffer.alloc(0),
        metadata,
        { deadline: Date.now() + timeoutMs },
        (err) => {
          const durationMs = performance.now() - started;
          if (!err) resolve({ ok: true, durationMs });
          else
            resolve({
              ok: false,
              status: `${err.code} ${grpc.status[err.code] ?? 'UNKNOWN'}`,
              details: err.details,
              durationMs,
            });
        },
      );
    });
  } finally {
    client.close();
  }
}
