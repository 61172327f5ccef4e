import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Files run in parallel even on two cores (vitest's default there is one at a time): most of an integration
    // file's time is spent waiting on servers, and running them together is what proves their isolation
    // (test/helpers/temporal-namespace.ts: a namespace, task queues, buckets and tenants of their own). Set here,
    // not per project: projects with different worker counts cannot run in one pool.
    maxWorkers: 3,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/global-stack.ts'],
          setupFiles: ['test/setup/runtime.ts'],
          // The Temporal core bridge is a native addon: forks, not threads (sdk-typescript#876).
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
