/**
 * Small charts as inline SVG, drawn on the server: no script, no library, nothing fetched. Each series has its own
 * line style and marker shape as well as its colour, so the charts read without colour too; every chart is shown with
 * a table of the same figures beside it (the table is what screen readers get; the SVG is `aria-hidden`).
 */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export type Series = { name: string; values: (number | null)[]; style: 'a' | 'b' };

const WIDTH = 320;
const HEIGHT = 150;
const PAD = { left: 30, right: 10, top: 10, bottom: 24 };
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;

/** A legend entry: the series' name and a small sample of how it is drawn. */
type Key = { name: string; sample: string };

function frame(inner: string, keys: Key[], defs = ''): string {
  // Two entries a row when there are more than two, so four names fit on a phone.
  const perRow = keys.length > 2 ? 2 : keys.length;
  const rows = Math.ceil(keys.length / Math.max(1, perRow));
  const items = keys
    .map(
      (k, i) =>
        `<g transform="translate(${PAD.left + (i % perRow) * 140},${HEIGHT + 8 + Math.floor(i / perRow) * 14})">${k.sample}<text x="22" y="0">${esc(k.name)}</text></g>`,
    )
    .join('');
  const height = HEIGHT + 16 + (rows - 1) * 14;
  return `<svg class="chart" viewBox="0 0 ${WIDTH} ${height}" aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">${defs}${inner}${items}</svg>`;
}

const seriesKeys = (series: Series[]): Key[] =>
  series.map((s) => ({
    name: s.name,
    sample: `<line class="s-${s.style}" x1="0" y1="-4" x2="16" y2="-4"/>${marker(s.style, 8, -4)}`,
  }));

function marker(style: Series['style'], x: number, y: number): string {
  return style === 'a'
    ? `<circle class="m-a" cx="${x}" cy="${y}" r="3.5"/>`
    : `<rect class="m-b" x="${x - 3.5}" y="${y - 3.5}" width="7" height="7"/>`;
}

function yAxis(min: number, max: number, ticks: number[], format: (v: number) => string): string {
  return ticks
    .map((v) => {
      const y = PAD.top + PLOT_H - ((v - min) / (max - min || 1)) * PLOT_H;
      return `<line class="grid" x1="${PAD.left}" y1="${y}" x2="${WIDTH - PAD.right}" y2="${y}"/><text class="tick" x="${PAD.left - 4}" y="${y + 3}" text-anchor="end">${esc(format(v))}</text>`;
    })
    .join('');
}

function xLabels(labels: string[], at: (i: number) => number): string {
  // Only as many labels as fit; the table beside the chart has them all.
  const every = Math.max(1, Math.ceil(labels.length / 8));
  return labels
    .map((l, i) =>
      i % every === 0
        ? `<text class="tick" x="${at(i)}" y="${HEIGHT - PAD.bottom + 14}" text-anchor="middle">${esc(l)}</text>`
        : '',
    )
    .join('');
}

/**
 * Lines over a fixed scale (check-in answers 1–5 by round, health 0–100 by month): a gap between the series or a fall
 * shows at a glance. The scale is marked at each whole number unless `ticks` says where.
 */
export function lineChart(opts: { labels: string[]; series: Series[]; min: number; max: number; ticks?: number[] }) {
  const { labels, series, min, max } = opts;
  const x = (i: number) => PAD.left + (labels.length === 1 ? PLOT_W / 2 : (i / (labels.length - 1)) * PLOT_W);
  const y = (v: number) => PAD.top + PLOT_H - ((v - min) / (max - min)) * PLOT_H;
  const ticks = opts.ticks ?? Array.from({ length: max - min + 1 }, (_, i) => min + i);
  const lines = series
    .map((s) => {
      const points = s.values.map((v, i) => (v === null ? null : { x: x(i), y: y(v) }));
      // A missing answer breaks the line rather than joining across it.
      const path = points
        .map((p, i) => (p ? `${i > 0 && points[i - 1] ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}` : ''))
        .join('');
      const marks = points.map((p) => (p ? marker(s.style, p.x, p.y) : '')).join('');
      return `<path class="s-${s.style}" d="${path}"/>${marks}`;
    })
    .join('');
  return frame(yAxis(min, max, ticks, String) + xLabels(labels, x) + lines, seriesKeys(series));
}

/** Bars side by side per category (cohort, month): rates, counts (`whole`: the scale marks whole numbers only) or days. */
export function barChart(opts: {
  labels: string[];
  series: Series[];
  max?: number;
  format?: (v: number) => string;
  whole?: boolean;
}) {
  const { labels, series } = opts;
  const format = opts.format ?? String;
  const top = opts.max ?? Math.max(1, ...series.flatMap((s) => s.values.map((v) => v ?? 0)));
  const max = opts.max ?? niceCeiling(top);
  const groupW = PLOT_W / Math.max(1, labels.length);
  const barW = Math.min(28, (groupW * 0.8) / series.length);
  const x = (i: number) => PAD.left + groupW * i + groupW / 2;
  const bars = series
    .map((s, si) =>
      s.values
        .map((v, i) => {
          if (v === null) return '';
          const h = (v / max) * PLOT_H;
          const bx = x(i) - (barW * series.length) / 2 + si * barW;
          return `<rect class="b-${s.style}" x="${bx.toFixed(1)}" y="${(PAD.top + PLOT_H - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}"/>`;
        })
        .join(''),
    )
    .join('');
  const ticks = [0, max / 2, max].filter((v) => !opts.whole || Number.isInteger(v));
  return frame(yAxis(0, max, ticks, format) + xLabels(labels, x) + bars, seriesKeys(series));
}

/** A part of a stacked bar: good, watch, bad or not yet judged, each with its own fill pattern as well as colour. */
export type Part = { name: string; values: number[]; style: 'good' | 'watch' | 'bad' | 'none' };

/** The fill of each part: solid, hatched, cross-hatched, or white with a dashed edge. */
function patterns(id: string): string {
  const hatch = (name: string, lines: string) =>
    `<pattern id="${id}-${name}" class="p-${name}" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6"/>${lines}</pattern>`;
  return `<defs>${hatch('watch', '<path d="M0,6L6,0M-1,1L1,-1M5,7L7,5"/>')}${hatch('bad', '<path d="M0,0L6,6M0,6L6,0"/>')}</defs>`;
}

const partFill = (id: string, style: Part['style']) =>
  style === 'watch' || style === 'bad' ? ` fill="url(#${id}-${style})"` : '';

/**
 * Bars of whole counts stacked per category (how many matches in each health band, by cohort). `id` names the fill
 * patterns, so it must be unique on the page.
 */
export function stackedBarChart(opts: { id: string; labels: string[]; parts: Part[] }) {
  const { id, labels, parts } = opts;
  const totals = labels.map((_, i) => parts.reduce((n, p) => n + (p.values[i] ?? 0), 0));
  const max = niceCeiling(Math.max(1, ...totals));
  const groupW = PLOT_W / Math.max(1, labels.length);
  const barW = Math.min(28, groupW * 0.6);
  const x = (i: number) => PAD.left + groupW * i + groupW / 2;
  const bars = labels
    .map((_, i) => {
      let below = 0;
      return parts
        .map((p) => {
          const v = p.values[i] ?? 0;
          if (!v) return '';
          const h = (v / max) * PLOT_H;
          const y = PAD.top + PLOT_H - ((below + v) / max) * PLOT_H;
          below += v;
          return `<rect class="k-${p.style}"${partFill(id, p.style)} x="${(x(i) - barW / 2).toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}"/>`;
        })
        .join('');
    })
    .join('');
  const ticks = [0, max / 2, max].filter((v) => Number.isInteger(v));
  const keys = parts.map((p) => ({
    name: p.name,
    sample: `<rect class="k-${p.style}"${partFill(id, p.style)} x="0" y="-9" width="16" height="10"/>`,
  }));
  return frame(yAxis(0, max, ticks, String) + xLabels(labels, x) + bars, keys, patterns(id));
}

function niceCeiling(v: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 5, 10]) if (v <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}
