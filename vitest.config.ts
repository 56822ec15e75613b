import { defineConfig } from 'vitest/config';

// Three tiers, chosen by file name (see README "Tests"):
//   unit  *.test.ts          pure code, no network
//   int   *.int.test.ts      one adapter against the real service
//   e2e   test/e2e/**        the whole pipeline
// int and e2e share the services started by test/global-setup.ts (make up logic).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['services/**/*.test.ts', 'test/unit/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**', 'dist/**'],
        },
      },
      {
        test: {
          name: 'int',
          include: ['services/**/*.int.test.ts', 'test/int/**/*.int.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
