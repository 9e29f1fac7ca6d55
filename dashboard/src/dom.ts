// A few DOM helpers: enough structure for a dashboard without a framework's weight.
import type { MessageKey, Translate } from "./i18n";

type Child = Node | string | null | undefined | false;
type Listener = (event: Event) => void;
type Attributes = Record<string, string | number | boolean | null | undefined | Record<string, Listener>>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "on") {
      for (const [event, listener] of Object.entries(value as Record<string, Listener>))
        element.addEventListener(event, listener as EventListener);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else if (value !== false && value !== null && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

let nextId = 0;
export function uniqueId(prefix: string): string {
  return `${prefix}-${++nextId}`;
}

// Sets text only when it changed, so live refreshes do not disturb selection or screen readers.
export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

// A section: heading, a help button whose tooltip explains it, and a body.
export function section(
  t: Translate,
  titleKey: MessageKey,
  helpKey: MessageKey | null,
  ...body: Child[]
): HTMLElement {
  const headingId = uniqueId("section");
  const title = t(titleKey);
  return h(
    "section",
    { class: "panel", "aria-labelledby": headingId },
    h("div", { class: "panel-head" }, h("h2", { id: headingId }, title), helpKey && helpTip(t, title, t(helpKey))),
    ...body,
  );
}

// A help tooltip that opens on hover and on keyboard focus; Escape closes it.
export function helpTip(t: Translate, sectionTitle: string, text: string): HTMLElement {
  const tipId = uniqueId("tip");
  const wrapper = h("span", { class: "help" });
  const button = h(
    "button",
    {
      type: "button",
      class: "help-button",
      "aria-label": t("help.show", { section: sectionTitle }),
      "aria-describedby": tipId,
    },
    "?",
  );
  const tip = h("span", { role: "tooltip", id: tipId, class: "help-tip" }, text);
  button.addEventListener("keydown", (event) => {
    if (event.key === "Escape") wrapper.classList.add("help-dismissed");
  });
  button.addEventListener("blur", () => wrapper.classList.remove("help-dismissed"));
  button.addEventListener("click", () => wrapper.classList.toggle("help-open"));
  wrapper.append(button, tip);
  return wrapper;
}

export interface StatCard {
  element: HTMLElement;
  set(value: string, detail?: string, level?: string): void;
}

export function statCard(t: Translate, labelKey: MessageKey, helpKey: MessageKey | null): StatCard {
  const value = h("div", { class: "stat-value" }, "—");
  const detail = h("div", { class: "stat-detail" });
  const label = t(labelKey);
  const element = h(
    "div",
    { class: "stat" },
    h("div", { class: "stat-label" }, h("span", {}, label), helpKey && helpTip(t, label, t(helpKey))),
    value,
    detail,
  );
  return {
    element,
    set(text, detailText = "", level) {
      setText(value, text);
      setText(detail, detailText);
      if (level !== undefined) value.dataset.level = level;
    },
  };
}

// A ranked list with proportional bars: model usage, request sources, error types.
export interface BarList {
  element: HTMLElement;
  set(entries: [string, number][], formatCount: (n: number) => string, formatShare: (f: number) => string): void;
}

export function barList(emptyText: string): BarList {
  const list = h("ul", { class: "bar-list" });
  const empty = h("p", { class: "muted" }, emptyText);
  const element = h("div", {}, list, empty);
  return {
    element,
    set(entries, formatCount, formatShare) {
      const total = entries.reduce((sum, [, n]) => sum + n, 0);
      const max = Math.max(1, ...entries.map(([, n]) => n));
      empty.hidden = entries.length > 0;
      while (list.children.length > entries.length) list.lastElementChild!.remove();
      entries.forEach(([name, count], index) => {
        let item = list.children[index] as HTMLLIElement | undefined;
        if (!item) {
          item = h(
            "li",
            {},
            h("span", { class: "bar-name" }),
            h("span", { class: "bar-count" }),
            h("span", { class: "bar-track", "aria-hidden": "true" }, h("span", { class: "bar-fill" })),
          );
          list.append(item);
        }
        const [nameEl, countEl, track] = Array.from(item.children) as HTMLElement[];
        setText(nameEl, name);
        nameEl.title = name;
        setText(countEl, `${formatCount(count)} · ${formatShare(count / (total || 1))}`);
        (track.firstElementChild as HTMLElement).style.width = `${(count / max) * 100}%`;
      });
    },
  };
}

// Replaces a tbody's rows, reusing row elements so a refresh does not flash.
export function fillRows(body: HTMLTableSectionElement, rows: (string | Node)[][], cellClasses: string[] = []): void {
  while (body.rows.length > rows.length) body.deleteRow(-1);
  rows.forEach((cells, r) => {
    const row = body.rows[r] ?? body.insertRow();
    while (row.cells.length > cells.length) row.deleteCell(-1);
    cells.forEach((cell, c) => {
      const td = row.cells[c] ?? row.insertCell();
      if (cellClasses[c]) td.className = cellClasses[c];
      if (typeof cell === "string") {
        if (td.childElementCount) td.replaceChildren(cell);
        else setText(td, cell);
      } else {
        td.replaceChildren(cell);
      }
    });
  });
}
