// Where the metrics API is. The binary serves /config.js, which sets window.LMP_CONFIG before
// the app starts:
//   apiBaseUrl: an explicit URL (--dashboard-api-url), or "" for "work it out";
//   metricsPort: set when the page is served on the dashboard port, so that "work it out" means
//                the metrics port on the host the browser used to reach this page.

export interface LmpConfig {
  apiBaseUrl?: string;
  metricsPort?: number;
}

declare global {
  interface Window {
    LMP_CONFIG?: LmpConfig;
  }
}

export function resolveApiBaseUrl(
  config: LmpConfig | undefined,
  page: { protocol: string; hostname: string; port: string; origin: string },
): string {
  const explicit = config?.apiBaseUrl?.trim();
  if (explicit) return explicit.replace(/\/+$/, "");
  const metricsPort = config?.metricsPort;
  if (metricsPort && String(metricsPort) !== page.port) {
    const host = page.hostname.includes(":") ? `[${page.hostname}]` : page.hostname;
    return `${page.protocol}//${host}:${metricsPort}`;
  }
  return page.origin;
}
