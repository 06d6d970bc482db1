import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'], testTimeout: 20_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/integration/**/*.test.tsx'],
          testTimeout: 240_000,
          hookTimeout: 600_000,
          // Tests share one Docker engine; files run one at a time so timings and names stay sane.
          fileParallelism: false,
          globalSetup: ['test/integration/global-setup.ts'],
          // A developer's selected remote gateway must not capture the tests' CLI calls.
          env: { OPENSHELL_GATEWAY: 'local' },
        },
      },
    ],
  },
});
