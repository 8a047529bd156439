import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    env: {
      NO_COLOR: '1',
      FLAGS_TODAY: '',
      GITHUB_ACTIONS: '',
      GITHUB_STEP_SUMMARY: '',
      // The caches (and their sealing key) live outside the repository, by default in the user's
      // cache folder: the tests keep theirs in a folder of this run instead.
      XDG_CACHE_HOME: join(tmpdir(), `flags-test-cache-${process.pid}`),
    },
  },
});
