// The metrics API as the dashboard uses it: /metrics, /timeseries and /completion_requests.
// Fields added after the reference's shape are optional: an older API simply lacks them.

export interface TokenTotals {
  reported_count: number;
  total: number;
  prompt_total: number;
  completion_total: number;
  avg_tokens_per_second: number | null;
}

export interface KindMetrics {
  total: number;
  successful: number;
  failed: number;
  tokens: TokenTotals;
  error_types: Record<string, number>;
  avg_response_time_ms?: number | null;
  avg_time_to_first_token_ms: number | null;
  avg_time_to_last_token_ms: number | null;
  avg_completion_duration_ms: number | null;
}

export interface Quantiles {
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
}

export type PercentileMetric =
  | "response_time_ms"
  | "time_to_first_token_ms"
  | "time_per_output_token_ms";
export type PercentileScope = "all" | "streamed" | "non_streamed";

export interface ModelMetrics {
  model: string;
  total: number;
  successful: number;
  failed: number;
  avg_response_time_ms: number | null;
  p50_response_time_ms: number | null;
  p95_response_time_ms: number | null;
  avg_time_to_first_token_ms: number | null;
  p95_time_to_first_token_ms: number | null;
  tokens: { prompt_total: number; completion_total: number; total: number };
  avg_tokens_per_second: number | null;
}

export interface MetricsResponse {
  timestamp: string;
  requests: {
    total: { total: number; successful: number; failed: number; avg_response_time_ms: number | null };
    streamed: KindMetrics;
    non_streamed: KindMetrics;
  };
  model_distribution: Record<string, number>;
  origin_distribution: Record<string, number>;
  percentiles?: Partial<Record<PercentileScope, Partial<Record<PercentileMetric, Quantiles>>>>;
  models?: ModelMetrics[];
}

export interface LatencyStats {
  avg: number | null;
  p50?: number | null;
  p95?: number | null;
  p99?: number | null;
}

export interface TimeseriesPoint {
  t: string;
  successful: number | null;
  failed: number | null;
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  total_tokens?: number | null;
  response_time_ms?: LatencyStats | null;
  time_to_first_token_ms?: LatencyStats | null;
  tokens_per_second?: { avg: number | null } | null;
}

export interface TimeseriesResponse {
  start: string;
  end: string;
  bucket: string;
  bucket_seconds?: number;
  series: { model: string | null; points: TimeseriesPoint[] }[];
}

export interface CompletionRecord {
  id?: number;
  timestamp: string;
  is_streaming: boolean;
  success: boolean;
  error_type: string | null;
  timing: {
    time_to_first_token_ms: number | null;
    time_to_last_token_ms: number | null;
    response_time_ms: number | null;
  };
  tokens: { total: number | null; prompt: number | null; completion: number | null };
  model: string | null;
  origin: string | null;
  status_code?: number | null;
  tokens_per_second?: number | null;
  endpoint?: string | null;
}

export interface RequestPage {
  data: CompletionRecord[];
  next_cursor: string | null;
}

export interface RequestFilters {
  model?: string;
  is_streaming?: "true" | "false";
  success?: "true" | "false";
  error_type?: string;
}

// Why a call failed: the API could not be reached at all, the endpoint does not exist (an
// older API), or it answered with an error.
export class ApiError extends Error {
  constructor(
    readonly kind: "unreachable" | "not_found" | "http",
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

const REQUEST_TIMEOUT_MS = 10_000;

export class MetricsClient {
  constructor(readonly baseUrl: string) {}

  url(path: string, params: Record<string, string | undefined> = {}): string {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) if (value) query.set(name, value);
    const text = query.toString();
    return `${this.baseUrl.replace(/\/+$/, "")}${path}${text ? `?${text}` : ""}`;
  }

  private async get<T>(path: string, params: Record<string, string | undefined>): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(this.url(path, params), {
        signal: controller.signal,
        headers: { Accept: "application/json" },
      });
    } catch (error) {
      throw new ApiError("unreachable", error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
    }
    if (response.status === 404) throw new ApiError("not_found", `${path}: 404`, 404);
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try {
        const body = (await response.json()) as { error?: { message?: string } };
        if (body.error?.message) message = body.error.message;
      } catch {
        // Not JSON: the status line says enough.
      }
      throw new ApiError("http", message, response.status);
    }
    try {
      return (await response.json()) as T;
    } catch {
      throw new ApiError("http", `${path}: the answer is not JSON`, response.status);
    }
  }

  metrics(start: Date | null): Promise<MetricsResponse> {
    return this.get("/metrics", { start: start?.toISOString() });
  }

  timeseries(start: Date | null, byModel = false): Promise<TimeseriesResponse> {
    return this.get("/timeseries", {
      start: start?.toISOString(),
      by: byModel ? "model" : undefined,
    });
  }

  requests(
    start: Date | null,
    filters: RequestFilters,
    cursor: string | null,
    limit = 50,
  ): Promise<RequestPage> {
    return this.get("/completion_requests", {
      envelope: "1",
      limit: String(limit),
      start: start?.toISOString(),
      cursor: cursor ?? undefined,
      ...filters,
    });
  }
}

export const ERROR_TYPES = [
  "invalid_request",
  "authentication",
  "not_found",
  "rate_limit",
  "backend_error",
  "backend_unreachable",
  "backend_timeout",
  "stream_interrupted",
  "client_disconnected",
  "invalid_response",
] as const;
