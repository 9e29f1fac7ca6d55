// Time charts on uPlot: created once per theme/language, then updated in place with setData so
// that a live refresh never redraws the page or resets the hover legend.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

import { bucketLabel } from "./timeframes";

export interface SeriesSpec {
  label: string;
  colorVar: string; // a CSS custom property of the theme
  dash?: number[];
  width?: number;
}

export interface ChartSpec {
  kind: "stackedBars" | "lines";
  series: SeriesSpec[];
  formatValue: (value: number | null) => string;
  // Axis ticks: shorter than legend values (no unit) so they fit beside the plot.
  formatAxis?: (value: number) => string;
  locale: string;
  ariaLabel: string;
  timeLabel: string; // the legend's name for the hovered bucket
  height?: number;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

export class TimeChart {
  private plot: uPlot | null = null;
  private readonly resizeObserver: ResizeObserver;
  private bucketSeconds = 60;
  private rawSeries: (number | null)[][] = [];

  constructor(
    private readonly host: HTMLElement,
    private readonly spec: ChartSpec,
  ) {
    host.setAttribute("role", "img");
    host.setAttribute("aria-label", spec.ariaLabel);
    this.resizeObserver = new ResizeObserver(() => this.fitWidth());
    this.resizeObserver.observe(host);
  }

  // `series` holds the values as people read them; stacking is done here for drawing.
  update(x: number[], series: (number | null)[][], bucketSeconds: number): void {
    this.bucketSeconds = bucketSeconds;
    this.rawSeries = series;
    let drawn = series;
    if (this.spec.kind === "stackedBars") {
      const [successful, failed] = series as number[][];
      drawn = [successful.map((s, i) => s + (failed[i] ?? 0)), successful];
    }
    const data = [x, ...drawn] as uPlot.AlignedData;
    if (!this.plot) this.plot = this.create(data);
    else this.plot.setData(data);
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  private width(): number {
    return Math.max(200, Math.floor(this.host.clientWidth));
  }

  private fitWidth(): void {
    if (!this.plot) return;
    const width = this.width();
    if (width !== this.plot.width) this.plot.setSize({ width, height: this.spec.height ?? 220 });
  }

  private create(data: uPlot.AlignedData): uPlot {
    const { spec } = this;
    const text = cssVar("--text-muted");
    const grid = cssVar("--grid");
    const font = `12px ${cssVar("--font-body")}`;
    const spanSeconds = () => {
      const xs = this.plot?.data[0] ?? data[0];
      return xs.length > 1 ? xs[xs.length - 1] - xs[0] : 0;
    };
    const axisLabel = (seconds: number) =>
      bucketLabel(new Date(seconds * 1000), this.bucketSeconds, spanSeconds(), spec.locale);

    const stacked = spec.kind === "stackedBars";
    const bars = uPlot.paths.bars!({ size: [0.8, 48], align: 1 });
    // Stacked: draw "failed" (full stack height, index 0 in spec order is successful) first.
    const order = stacked ? [spec.series[1], spec.series[0]] : spec.series;
    const series: uPlot.Series[] = [
      { label: spec.timeLabel, value: (_u, v) => (v === null ? "—" : axisLabel(v)) },
      ...order.map((s, index): uPlot.Series => {
        const color = cssVar(s.colorVar);
        const rawIndex = stacked ? (index === 0 ? 1 : 0) : index;
        return {
          label: s.label,
          stroke: color,
          width: s.width ?? (stacked ? 0 : 2),
          dash: s.dash,
          fill: stacked ? color : undefined,
          paths: stacked ? bars : undefined,
          spanGaps: false,
          // Dots make isolated buckets (a gap on each side) visible as more than nothing.
          points: { show: !stacked, size: 4, fill: color },
          // The legend shows what was measured, not the stacked height.
          value: (_u, _v, _si, idx) =>
            idx === null || idx === undefined
              ? "—"
              : spec.formatValue(this.rawSeries[rawIndex]?.[idx] ?? null),
        };
      }),
    ];
    const axis = (values: uPlot.Axis["values"], size?: number): uPlot.Axis => ({
      stroke: text,
      font,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      values,
      size,
    });
    return new uPlot(
      {
        width: this.width(),
        height: spec.height ?? 220,
        series,
        cursor: { drag: { x: false, y: false }, points: { size: 6 } },
        legend: { live: true },
        scales: {
          // Bars start at their bucket's first second, so the last one needs a bucket of room.
          x: {
            time: true,
            range: (_u, min, max) => [min, max + (stacked ? this.bucketSeconds : 0)],
          },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] },
        },
        axes: [
          axis((_u, splits) => splits.map(axisLabel)),
          axis((_u, splits) => splits.map((v) => (spec.formatAxis ?? spec.formatValue)(v)), 72),
        ],
      },
      data,
      this.host,
    );
  }
}
