import { defineConfig } from 'vitest/config';

// Two tiers: `unit` needs nothing but Node; `integration` (and end to end) runs against a
// reacting cluster (kube-apiserver, etcd, controllers, scheduler, kwok nodes) started once by testbed/vitest/global-setup.ts.
export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: '.cache/test-results.json' }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['testbed/vitest/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
