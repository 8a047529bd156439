import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/build-once.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests start git, servers and browsers of their own; two cores are shared between files.
    pool: 'forks',
    maxWorkers: 2,
    env: { NO_COLOR: '1', FLAGS_TODAY: '', GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' },
  },
});
