import { defineConfig } from 'vitest/config';

// Unit tests run in Node on the tfjs `cpu` backend (see test/setup.ts).
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    // One module graph per worker: @tensorflow/tfjs takes seconds to import, once is enough.
    isolate: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
