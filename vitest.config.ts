import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration and end-to-end files start servers and processes; two at a time fits two cores.
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ['default'],
  },
});
