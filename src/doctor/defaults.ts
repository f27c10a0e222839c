import { DEFAULT_OTLP_ENDPOINT } from '../telemetry/config.js';
import { DEFAULT_TENANT } from '../telemetry/names.js';

/**
 * Where the services of the docker-compose stack (docker-compose.yml) answer on the host. The stack
 * tests check that the compose file publishes exactly these ports.
 */
export const STACK_URLS = {
  /** Alloy's OTLP/HTTP receiver (otelpoc's default export target). */
  otlpEndpoint: DEFAULT_OTLP_ENDPOINT,
  /** Alloy's HTTP server: UI, /-/ready, /metrics. */
  alloy: 'http://localhost:12345',
  /** cortex-tenant: POST /push, GET /alive. */
  cortexTenant: 'http://localhost:8085',
  /** Mimir's Prometheus API prefix (as `otelpoc verify --url`); /ready is at the origin. */
  mimir: 'http://localhost:9009/prometheus',
  /** Grafana: /api/health. */
  grafana: 'http://localhost:3000',
} as const;

/** The tenants of the stack's demo (`otelpoc load --tenants 3`) and the default tenant. */
export const DEMO_TENANTS = ['tenant-1', 'tenant-2', 'tenant-3', DEFAULT_TENANT] as const;

/** Client-ID of doctor's probe request: its own tenant, so it never mixes with a user's data. */
export const PROBE_CLIENT_ID = 'otelpoc-doctor';
