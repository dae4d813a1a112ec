import { defineConfig } from 'vitest/config';

// Three projects so a developer can run one: `npm run test:only -- --project unit` (or e2e, ha).
// `npm test` runs all three.
export default defineConfig({
  test: {
    // Each end-to-end file starts its own stack on free ports; two at a time fit on 2 cores.
    maxWorkers: 2,
    testTimeout: 60_000,
    // No retries: a test that fails once fails the run. A test that truly needs one names it
    // with `{ retry: n }` and a comment saying why.
    retry: 0,
    hookTimeout: 180_000,
    reporters: ['default'],
    projects: [
      // Pure logic and static checks of deploy/: no stack.
      {
        extends: true,
        test: { name: 'unit', include: ['packages/*/test/**/*.test.ts', 'test/deploy/**/*.test.ts', 'test/corpus/**/*.test.ts'] },
      },
      // One local stack (or data tier) per file, on free ports.
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts', 'test/data-tier/**/*.test.ts'] } },
      // The high-availability stack and its failover drills.
      { extends: true, test: { name: 'ha', include: ['test/ha/**/*.test.ts'] } },
    ],
  },
});
