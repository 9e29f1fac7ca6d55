// Playwright drives Debian's Chromium (no browser downloads here): /usr/bin/chromium, or
// CHROMIUM_PATH. The flags keep a root, headless, offline Chromium quiet.
import { defineConfig } from '@playwright/test';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.js',
  globalSetup: './global-setup.mjs',
  fullyParallel: true,
  workers: Number(process.env.LMP_BT_WORKERS ?? 2),
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 8_000 },
  reporter: [['list']],
  outputDir: process.env.LMP_BT_OUTPUT_DIR ?? '/tmp/lmp-browser-test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    locale: 'en-US',
    timezoneId: 'UTC',
    viewport: { width: 1280, height: 900 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    },
  },
});
