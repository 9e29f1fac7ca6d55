// The request log: filters (model, kind, outcome, error type), cursor paging, and live
// refresh of the first page only (a reader paging back in time keeps their page).
import { ApiError, ERROR_TYPES, type CompletionRecord, type RequestFilters } from "../api";
import { fillRows, h, section, setText } from "../dom";
import { formatDuration, formatInteger, formatTimestamp, formatTokensPerSecond, MISSING } from "../format";
import type { MessageKey } from "../i18n";
import { ERROR_LABEL_KEYS } from "./kind";
import type { DashboardData, View, ViewContext } from "./common";

const PAGE_SIZE = 50;

export function requestsView(ctx: ViewContext): View {
  const { t, locale, client } = ctx;
  let filters: RequestFilters = {};
  let cursors: (string | null)[] = [null]; // cursors[i] fetches page i + 1
  let page = 0;
  let nextCursor: string | null = null;
  let start: Date | null = null;
  let generation = 0; // answers to superseded requests are ignored

  const select = (id: string, labelKey: MessageKey, options: [string, string][], name: keyof RequestFilters) => {
    const control = h(
      "select",
      { id, name },
      h("option", { value: "" }, t("filter.any")),
      ...options.map(([value, label]) => h("option", { value }, label)),
    );
    control.addEventListener("change", () => {
      filters = { ...filters, [name]: control.value || undefined };
      resetPaging();
    });
    return { control, field: h("div", { class: "field" }, h("label", { for: id }, t(labelKey)), control) };
  };
  const modelSelect = select("log-model", "filter.model", [], "model");
  const kindSelect = select(
    "log-kind",
    "filter.streaming",
    [
      ["true", t("filter.streamed")],
      ["false", t("filter.nonStreamed")],
    ],
    "is_streaming",
  );
  const outcomeSelect = select(
    "log-outcome",
    "filter.success",
    [
      ["true", t("filter.successful")],
      ["false", t("filter.failed")],
    ],
    "success",
  );
  const errorSelect = select(
    "log-error",
    "filter.errorType",
    ERROR_TYPES.map((type) => [type, t(ERROR_LABEL_KEYS[type])]),
    "error_type",
  );
  const clear = h("button", { type: "button", class: "button" }, t("filter.clear"));
  clear.addEventListener("click", () => {
    for (const s of [modelSelect, kindSelect, outcomeSelect, errorSelect]) s.control.value = "";
    filters = {};
    resetPaging();
  });

  const columns: [MessageKey, string][] = [
    ["log.time", ""],
    ["log.model", "name"],
    ["log.kind", ""],
    ["log.outcome", ""],
    ["log.status", "num"],
    ["log.responseTime", "num"],
    ["log.ttft", "num"],
    ["log.tokens", "num"],
    ["log.speed", "num"],
    ["log.origin", "name"],
  ];
  const body = h("tbody");
  const table = h(
    "table",
    { class: "data-table" },
    h("thead", {}, h("tr", {}, ...columns.map(([key, cls]) => h("th", { scope: "col", class: cls }, t(key))))),
    body,
  );
  const tableWrapper = h("div", { class: "table-scroll", tabindex: 0, "aria-label": t("section.requestLog") }, table);
  const message = h("p", { class: "muted", role: "status" });
  const newest = h("button", { type: "button", class: "button" }, t("log.first"));
  const newer = h("button", { type: "button", class: "button" }, `← ${t("log.newer")}`);
  const older = h("button", { type: "button", class: "button" }, `${t("log.older")} →`);
  const pageLabel = h("span", { class: "muted", "aria-live": "polite" });
  newest.addEventListener("click", () => resetPaging());
  newer.addEventListener("click", () => {
    if (page > 0) void load(page - 1);
  });
  older.addEventListener("click", () => {
    if (nextCursor) {
      cursors[page + 1] = nextCursor;
      void load(page + 1);
    }
  });

  const element = h(
    "div",
    { class: "view" },
    section(
      t,
      "section.requestLog",
      "help.requestLog",
      h(
        "form",
        { class: "filters", "aria-label": t("filter.label"), on: { submit: (e) => e.preventDefault() } },
        modelSelect.field,
        kindSelect.field,
        outcomeSelect.field,
        errorSelect.field,
        h("div", { class: "field field-button" }, clear),
      ),
      tableWrapper,
      message,
      h("nav", { class: "pager", "aria-label": t("log.pagination") }, newest, newer, pageLabel, older),
    ),
  );

  function resetPaging(): void {
    cursors = [null];
    void load(0);
  }

  function outcome(record: CompletionRecord): HTMLElement {
    if (record.success) return h("span", { class: "badge good" }, t("log.ok"));
    const type = record.error_type ?? "";
    const label = type in ERROR_LABEL_KEYS ? t(ERROR_LABEL_KEYS[type]) : type || t("log.failed");
    return h("span", { class: "badge bad", title: type }, label);
  }

  async function load(targetPage: number): Promise<void> {
    const request = ++generation;
    try {
      const answer = await client.requests(start, filters, cursors[targetPage] ?? null, PAGE_SIZE);
      if (request !== generation) return;
      page = targetPage;
      nextCursor = answer.next_cursor;
      fillRows(
        body,
        answer.data.map((r) => [
          formatTimestamp(r.timestamp, locale),
          r.model ?? MISSING,
          r.is_streaming ? t("filter.streamed") : t("filter.nonStreamed"),
          outcome(r),
          r.status_code === null || r.status_code === undefined ? MISSING : String(r.status_code),
          formatDuration(r.timing.response_time_ms, locale),
          formatDuration(r.timing.time_to_first_token_ms, locale),
          formatInteger(r.tokens.total, locale),
          formatTokensPerSecond(r.tokens_per_second, locale),
          r.origin ?? MISSING,
        ]),
        columns.map(([, cls]) => cls),
      );
      tableWrapper.hidden = answer.data.length === 0;
      setText(message, answer.data.length === 0 ? t("log.empty") : "");
    } catch (error) {
      if (request !== generation) return;
      setText(
        message,
        error instanceof ApiError && error.kind === "unreachable"
          ? t("status.unreachable")
          : t("status.apiError", { message: error instanceof Error ? error.message : String(error) }),
      );
    }
    newest.disabled = page === 0;
    newer.disabled = page === 0;
    older.disabled = !nextCursor;
    setText(pageLabel, t("log.page", { page: page + 1 }));
  }

  function syncModelOptions(models: string[]): void {
    const control = modelSelect.control;
    const existing = new Set(Array.from(control.options, (o) => o.value));
    for (const model of models.sort()) {
      if (!existing.has(model)) control.append(h("option", { value: model }, model));
    }
  }

  return {
    element,
    update({ metrics }: DashboardData) {
      syncModelOptions(Object.keys(metrics.model_distribution));
    },
    refresh(newStart) {
      const rangeChanged = (newStart === null) !== (start === null);
      start = newStart;
      // Only the first page follows new rows; an older page stays put while it is read.
      if (page === 0 || rangeChanged) {
        if (rangeChanged) cursors = [null];
        void load(0);
      }
    },
    destroy() {
      generation++;
    },
  };
}
