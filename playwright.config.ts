import { defineConfig } from '@playwright/test';

// Debian's Chromium, never a downloaded browser (scripts/ensure-chromium.mjs installs it).
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// Without these, Chromium keeps trying to reach Google's servers on this offline machine.
const quiet = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PORT = 4173;

export default defineConfig({
  testDir: 'e2e',
  timeout: 180_000,
  expect: { timeout: 120_000 },
  workers: 1,
  reporter: [['list'], ['./e2e/summary-reporter.ts']],
  use: { baseURL: `http://127.0.0.1:${PORT}`, headless: true },
  webServer: {
    command: `npx vite preview --port ${PORT} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
  projects: [
    {
      // SwiftShader gives a real (software) WebGPU adapter with this flag on a machine without a GPU.
      name: 'webgpu',
      testMatch: /\.webgpu\.spec\.ts$/,
      use: { launchOptions: { executablePath, args: [...quiet, '--enable-unsafe-webgpu'] } },
    },
    {
      name: 'no-webgpu',
      testMatch: /\.nowebgpu\.spec\.ts$/,
      use: { launchOptions: { executablePath, args: quiet } },
    },
  ],
});
