import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests start real backends (VictoriaMetrics, vmagent, vmauth) and wait for exports.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // 2 cores: a few files at a time keeps timing-sensitive backends responsive.
    maxWorkers: 2,
  },
});
