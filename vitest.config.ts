import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Each end-to-end file starts its own stack on free ports; two at a time fit on 2 cores.
    maxWorkers: 2,
    testTimeout: 60_000,
    // End-to-end tests and drills run real servers on a 2-core machine; a timing-sensitive
    // failure gets one more try. A test that fails twice fails the run.
    retry: 1,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
