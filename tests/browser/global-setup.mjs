// Starts one seeded stack for every test file (the data never changes during the run) and
// hands its URLs to the workers through the environment. Tests that need another store
// (empty, unreachable) start their own.
import { findBinary, seed, startDashboardStack } from './lib/stack.mjs';

export default async function globalSetup() {
  const started = Date.now();
  const stack = await startDashboardStack();
  try {
    await seed(stack);
  } catch (e) {
    await stack.stop().catch(() => {});
    throw e;
  }
  process.env.LMP_BT_API_URL = stack.apiUrl;
  process.env.LMP_BT_DASHBOARD_URL = stack.dashboardUrl;
  process.env.LMP_BT_MOUNTED_DASHBOARD_URL = stack.mountedDashboardUrl;
  console.log(`binary: ${findBinary()}\nseeded stack ready in ${Date.now() - started} ms: dashboard ${stack.dashboardUrl}, API ${stack.apiUrl}`);
  return async () => {
    await stack.stop();
  };
}
