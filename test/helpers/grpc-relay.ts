/**
 * A test RELAY, not an OTLP receiver: no OTLP gRPC receiver is packaged for these machines
 * (VictoriaMetrics, vmagent and Prometheus take OTLP over HTTP only), so this serves OTLP/gRPC's
 * one metrics method, `/opentelemetry.proto.collector.metrics.v1.MetricsService/Export`, on
 * @grpc/grpc-js and forwards each request body unchanged (pass-through Buffer serializers: the
 * bytes are an ExportMetricsServiceRequest, the same message OTLP/HTTP protobuf posts) to an
 * OTLP/HTTP protobuf endpoint such as VictoriaMetrics' /opentelemetry/v1/metrics. It answers with
 * an empty ExportMetricsServiceResponse (zero bytes) when the endpoint took it, else with a gRPC
 * error carrying the endpoint's status. Each call's metadata is kept, to check that headers went
 * as gRPC metadata.
 */
import {
  type Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';

export const OTLP_METRICS_EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

const passThrough = (b: Buffer) => b;

const METRICS_SERVICE = {
  Export: {
    path: OTLP_METRICS_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: passThrough,
    requestDeserialize: passThrough,
    responseSerialize: passThrough,
    responseDeserialize: passThrough,
  },
} as const;

export interface GrpcRelay {
  /** http://127.0.0.1:PORT: what the gRPC exporter is given (no path). */
  endpoint: string;
  /** Every relayed call: its metadata and the HTTP status the endpoint answered. */
  calls: { metadata: Record<string, string>; bytes: number; httpStatus: number }[];
  stop(): Promise<void>;
}

/** Starts the relay on a free loopback port, forwarding to `otlpHttpUrl` (a full …/v1/metrics URL). */
export async function startGrpcRelay(otlpHttpUrl: string): Promise<GrpcRelay> {
  const calls: GrpcRelay['calls'] = [];
  const server = new Server();
  server.addService(METRICS_SERVICE, {
    Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      const metadata = flat(call.metadata);
      fetch(otlpHttpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: call.request,
        signal: AbortSignal.timeout(10_000),
      }).then(
        async (res) => {
          calls.push({ metadata, bytes: call.request.length, httpStatus: res.status });
          const text = await res.text();
          if (res.ok) callback(null, Buffer.alloc(0));
          else
            callback({ code: status.INTERNAL, details: `relayed: HTTP ${res.status} ${text.slice(0, 200)}` });
        },
        (err: unknown) => {
          calls.push({ metadata, bytes: call.request.length, httpStatus: 0 });
          callback({ code: status.UNAVAILABLE, details: `relay: ${String(err)}` });
        },
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    stop: () =>
      new Promise<void>((resolve) => {
        // Bounded: a graceful stop that hangs on a stuck call is forced after 2 s.
        const force = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

function flat(metadata: Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata.getMap())) out[k] = String(v);
  return out;
}
