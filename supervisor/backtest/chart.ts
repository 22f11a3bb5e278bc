/**
 * Inline SVG line charts for the HTML report: round tick values on the value axis, dates at round times on the time
 * axis, both axes labelled. No script, no external asset.
 */

export const CHART_WIDTH = 960;
export const CHART_HEIGHT = 280;
const PAD = { left: 84, right: 16, top: 14, bottom: 44 };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A step of 1, 2, 2.5 or 5 times a power of ten that cuts `range` into about `count` parts. */
export function niceStep(range: number, count: number): number {
  const raw = range / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const factor = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 2.5 ? 2.5 : normalized <= 5 ? 5 : 10;
  return factor * magnitude;
}

/** The axis from a round value at or below `min` to one at or above `max`, and the round values between. */
export function niceTicks(min: number, max: number, count = 5): { from: number; to: number; step: number; ticks: number[] } {
  let low = min;
  let high = max;
  if (low === high) {
    const pad = low === 0 ? 1 : Math.abs(low) * 0.01;
    low -= pad;
    high += pad;
  }
  const step = niceStep(high - low, count);
  const from = Math.floor(low / step) * step;
  const to = Math.ceil(high / step) * step;
  const ticks: number[] = [];
  // Counted in steps, so float error never adds or drops a tick.
  for (let index = 0; index <= Math.round((to - from) / step); index++) ticks.push(Number((from + index * step).toPrecision(12)));
  return { from, to, step, ticks };
}

/** Decimals enough to tell ticks `step` apart, thousands separated. */
export function formatTick(value: number, step: number): string {
  const places = Math.max(0, Math.min(8, -Math.floor(Math.log10(step) + 1e-9) + (Number.isInteger(step / 10 ** Math.floor(Math.log10(step))) ? 0 : 1)));
  return value.toLocaleString('en-US', { minimumFractionDigits: places, maximumFractionDigits: places });
}

const TIME_STEPS = [HOUR, 2 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY];
const MONTH_STEPS = [1, 2, 3, 6, 12];

/** Round moments in [from, to] (UTC hours, days, weeks, months or years), at most about `count` of them. */
export function timeTicks(from: number, to: number, count = 7): { ticks: number[]; format(at: number): string } {
  const span = Math.max(1, to - from);
  const fixed = TIME_STEPS.find((step) => span / step <= count);
  if (fixed !== undefined) {
    // Weeks start on a Monday; 1970-01-05 was one.
    const origin = fixed >= 7 * DAY ? 4 * DAY : 0;
    const ticks: number[] = [];
    for (let at = Math.ceil((from - origin) / fixed) * fixed + origin; at <= to; at += fixed) ticks.push(at);
    const format = fixed < DAY ? (at: number) => new Date(at).toISOString().slice(5, 16).replace('T', ' ') : (at: number) => new Date(at).toISOString().slice(0, 10);
    return { ticks, format };
  }
  const months = MONTH_STEPS.find((step) => span / (step * 30.44 * DAY) <= count) ?? Math.ceil(span / (30.44 * DAY) / count / 12) * 12;
  const start = new Date(from);
  let year = start.getUTCFullYear();
  let month = Math.ceil(start.getUTCMonth() / months) * months;
  const ticks: number[] = [];
  for (;;) {
    const at = Date.UTC(year + Math.floor(month / 12), month % 12, 1);
    if (at > to) break;
    if (at >= from) ticks.push(at);
    month += months;
    if (month >= 12) {
      year += Math.floor(month / 12);
      month %= 12;
    }
  }
  return { ticks, format: (at: number) => new Date(at).toISOString().slice(0, months >= 12 ? 4 : 7) };
}

export interface ChartSeries {
  title: string;
  /** The value axis' label, unit included, e.g. "Equity (USDT)". */
  axisLabel: string;
  points: ReadonlyArray<readonly [number, number]>;
  color: string;
  /** Fill between the line and zero (the drawdown chart). */
  fill: boolean;
  /** Shown values are `value × scale` (100 for a fraction shown in percent). */
  scale?: number;
  /** A vertical marker, e.g. where out-of-sample starts. */
  marker?: { at: number; label: string };
}

export function chart(series: ChartSeries): string {
  const title = `<h2>${escapeHtml(series.title)}</h2>`;
  const { points } = series;
  if (points.length < 2) return `${title}<p>Not enough data for a chart.</p>`;
  const scale = series.scale ?? 1;
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y * scale);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  let low = Math.min(...ys);
  let high = Math.max(...ys);
  if (series.fill) high = Math.max(high, 0);
  const axis = niceTicks(low, high, 5);
  low = axis.from;
  high = axis.to;
  const plotW = CHART_WIDTH - PAD.left - PAD.right;
  const plotH = CHART_HEIGHT - PAD.top - PAD.bottom;
  const sx = (x: number): number => PAD.left + ((x - x0) / Math.max(1, x1 - x0)) * plotW;
  const sy = (y: number): number => PAD.top + (1 - (y - low) / (high - low)) * plotH;
  const path = points.map(([x, y], index) => `${index === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y * scale).toFixed(1)}`).join('');
  const area = series.fill ? `<path d="${path}L${sx(x1).toFixed(1)},${sy(0).toFixed(1)}L${sx(x0).toFixed(1)},${sy(0).toFixed(1)}Z" fill="${series.color}" fill-opacity="0.25"/>` : '';
  const yTicks = axis.ticks.map((value) => {
    const y = sy(value).toFixed(1);
    return `<line x1="${PAD.left}" x2="${CHART_WIDTH - PAD.right}" y1="${y}" y2="${y}" stroke="#e3e3e3"/><text class="y-tick" x="${PAD.left - 6}" y="${(Number(y) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(formatTick(value, axis.step))}</text>`;
  });
  const time = timeTicks(x0, x1);
  const xTicks = time.ticks.map((at) => {
    const x = sx(at).toFixed(1);
    return `<line x1="${x}" x2="${x}" y1="${PAD.top}" y2="${CHART_HEIGHT - PAD.bottom}" stroke="#f0f0f0"/><text class="x-tick" x="${x}" y="${CHART_HEIGHT - PAD.bottom + 16}" text-anchor="middle">${escapeHtml(time.format(at))}</text>`;
  });
  const marker =
    series.marker === undefined || series.marker.at < x0 || series.marker.at > x1
      ? ''
      : `<line x1="${sx(series.marker.at).toFixed(1)}" x2="${sx(series.marker.at).toFixed(1)}" y1="${PAD.top}" y2="${CHART_HEIGHT - PAD.bottom}" stroke="#8250df" stroke-dasharray="4 3"/><text x="${(sx(series.marker.at) + 4).toFixed(1)}" y="${PAD.top + 12}" fill="#8250df">${escapeHtml(series.marker.label)}</text>`;
  const yLabel = `<text class="axis-label" transform="translate(16 ${(PAD.top + plotH / 2).toFixed(1)}) rotate(-90)" text-anchor="middle">${escapeHtml(series.axisLabel)}</text>`;
  const xLabel = `<text class="axis-label" x="${(PAD.left + plotW / 2).toFixed(1)}" y="${CHART_HEIGHT - 6}" text-anchor="middle">Date (UTC)</text>`;
  const frame = `<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#c8c8c8"/>`;
  return `${title}<svg class="chart" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" width="100%" role="img" aria-label="${escapeHtml(series.title)}">${yTicks.join('')}${xTicks.join('')}${frame}${area}<path class="line" d="${path}" fill="none" stroke="${series.color}" stroke-width="1.6"/>${marker}${yLabel}${xLabel}</svg>`;
}
