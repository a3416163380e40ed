import { escapeHtml as h } from '../html.ts';
import type { UsageReportRow } from './usage-report.ts';

export const CHART_MAX_ORGANISATIONS = 25;

const WIDTH = 760;
const LABEL_WIDTH = 210;
const VALUE_WIDTH = 70;
const BAR_HEIGHT = 12;
const GROUP_HEIGHT = 40;
const TOP = 34;

/** Names longer than this are shortened in the chart (the full name is in each group's title). */
const LABEL_CHARS = 30;

/**
 * Purchased vs used per organisation as inline SVG, rendered on the server: no script, no
 * inline style (the page's CSP has neither), presentation attributes only. Screen readers get
 * `role="img"` with a title and a description that states every figure drawn.
 */
export function usageChart(rows: UsageReportRow[], ids: { title: string; desc: string }): string {
  const shown = rows.slice(0, CHART_MAX_ORGANISATIONS);
  const max = Math.max(1, ...shown.flatMap((row) => [row.purchased, row.usedPeak]));
  const scale = (value: number) => ((WIDTH - LABEL_WIDTH - VALUE_WIDTH) * value) / max;
  const height = TOP + shown.length * GROUP_HEIGHT + 8;
  const description = shown
    .map(
      (row) =>
        `${row.organisation}: ${row.purchased} purchased, ${row.usedPeak} used at peak${row.overconsumed ? ', overconsumed' : ''}.`,
    )
    .join(' ');
  const groups = shown
    .map((row, index) => {
      const y = TOP + index * GROUP_HEIGHT;
      const label =
        row.organisation.length > LABEL_CHARS ? `${row.organisation.slice(0, LABEL_CHARS - 1)}…` : row.organisation;
      const usedColour = row.overconsumed ? '#cd3642' : '#038153';
      const purchasedWidth = scale(row.purchased);
      const usedWidth = scale(row.usedPeak);
      return `<g class="chart__group">
  <title>${h(row.organisation)}: ${row.purchased} purchased, ${row.usedPeak} used</title>
  <text x="${LABEL_WIDTH - 10}" y="${y + BAR_HEIGHT + 4}" text-anchor="end" class="chart__label"${row.overconsumed ? ' font-weight="600"' : ''}>${h(label)}</text>
  <rect x="${LABEL_WIDTH}" y="${y}" width="${purchasedWidth.toFixed(1)}" height="${BAR_HEIGHT}" fill="#1f73b7" rx="2"></rect>
  <text x="${(LABEL_WIDTH + purchasedWidth + 6).toFixed(1)}" y="${y + BAR_HEIGHT - 2}" class="chart__value">${row.purchased}</text>
  <rect x="${LABEL_WIDTH}" y="${y + BAR_HEIGHT + 3}" width="${usedWidth.toFixed(1)}" height="${BAR_HEIGHT}" fill="${usedColour}" rx="2"></rect>
  <text x="${(LABEL_WIDTH + usedWidth + 6).toFixed(1)}" y="${y + 2 * BAR_HEIGHT + 1}" class="chart__value">${row.usedPeak}</text>
</g>`;
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-labelledby="${ids.title} ${ids.desc}" class="chart" font-size="12" font-family="system-ui, sans-serif" fill="#2f3941">
<title id="${ids.title}">Purchased vs used users per organisation${rows.length > shown.length ? ` (the first ${shown.length} of ${rows.length})` : ''}</title>
<desc id="${ids.desc}">${h(description)}</desc>
<g class="chart__legend" aria-hidden="true">
  <rect x="${LABEL_WIDTH}" y="6" width="12" height="12" fill="#1f73b7" rx="2"></rect><text x="${LABEL_WIDTH + 18}" y="16">Purchased</text>
  <rect x="${LABEL_WIDTH + 100}" y="6" width="12" height="12" fill="#038153" rx="2"></rect><text x="${LABEL_WIDTH + 118}" y="16">Used (peak)</text>
  <rect x="${LABEL_WIDTH + 215}" y="6" width="12" height="12" fill="#cd3642" rx="2"></rect><text x="${LABEL_WIDTH + 233}" y="16">Used, over purchased</text>
</g>
<line x1="${LABEL_WIDTH}" y1="${TOP - 6}" x2="${LABEL_WIDTH}" y2="${height - 4}" stroke="#d8dcde"></line>
${groups}
</svg>`;
}
