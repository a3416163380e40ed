import { escapeHtml as h, pageShell } from '../html.ts';
import { signedInTopbar } from '../lookup/lookup-pages.ts';
import { usageChart } from './usage-chart.ts';
import type { UsageReportResult } from './usage-report.ts';

export const TABLE_MAX_ROWS = 500;

export interface ReportPageModel {
  report: UsageReportResult;
  who: string;
  csrf: string;
  error?: { field: 'from' | 'to'; message: string };
  /** What the picker shows (the refused input when there is an error). */
  picker: { from: string; to: string };
}

function layout(title: string, body: string, header: string): string {
  return pageShell({
    title,
    section: 'Usage reports',
    body,
    header,
    styles: ['/reports/assets/reports.css'],
    wide: true,
  });
}

function topbarEnd(model: ReportPageModel): string {
  return signedInTopbar('reports', model.csrf, model.who);
}

function dateField(name: 'from' | 'to', label: string, model: ReportPageModel): string {
  const error = model.error?.field === name ? model.error.message : undefined;
  return `<div class="field">
      <label for="${name}">${label}</label>
      <input id="${name}" name="${name}" type="date" value="${h(model.picker[name])}" required${
        error ? ` aria-invalid="true" aria-describedby="${name}-error"` : ''
      }>
      ${error ? `<p class="message message--danger" id="${name}-error">${h(error)}</p>` : ''}
    </div>`;
}

export function reportPage(model: ReportPageModel): string {
  const { report } = model;
  const over = report.rows.filter((row) => row.overconsumed).length;
  const query = `from=${encodeURIComponent(report.from)}&to=${encodeURIComponent(report.to)}`;
  const summary =
    report.rows.length === 0
      ? 'No organisation had active licenses or reported usage in this period.'
      : `${report.rows.length} ${report.rows.length === 1 ? 'organisation' : 'organisations'}, ${over} overconsumed. Licenses count as active when valid on ${report.activeAt.slice(0, 16).replace('T', ' ')} UTC.`;
  const shownRows = report.rows.slice(0, TABLE_MAX_ROWS);
  const table =
    report.rows.length === 0
      ? ''
      : `<section class="card" aria-labelledby="table-title">
  <h2 id="table-title">Per organisation</h2>
  ${report.rows.length > shownRows.length ? `<p class="hint">The first ${shownRows.length} of ${report.rows.length} organisations; the CSV has all of them.</p>` : ''}
  <div class="table-scroll">
  <table class="report-table">
    <thead><tr><th scope="col">Organisation</th><th scope="col">Purchased</th><th scope="col">Trial users</th><th scope="col">Used (peak)</th><th scope="col">Available</th><th scope="col">Overconsumed</th><th scope="col">Active licenses</th><th scope="col">Last report</th></tr></thead>
    <tbody>
${shownRows
  .map(
    (row) =>
      `      <tr${row.overconsumed ? ' class="report-table__over"' : ''}><th scope="row">${h(row.organisation)}</th><td>${row.purchased}</td><td>${row.trialUsers}</td><td>${row.usedPeak}</td><td>${row.available}</td><td>${row.overconsumed ? '<span class="tag tag--danger">overconsumed</span>' : '<span class="tag">no</span>'}</td><td>${row.activeLicenses}</td><td>${row.lastReport ? `<time datetime="${h(row.lastReport)}">${h(row.lastReport.slice(0, 16).replace('T', ' '))} UTC</time>` : '–'}</td></tr>`,
  )
  .join('\n')}
    </tbody>
  </table>
  </div>
</section>`;
  return layout(
    'Usage report',
    `<section class="card">
  <h1>Purchased vs used</h1>
  <p class="hint">Seats each organisation bought (active, non-trial licenses) against the most users its installations reported on one day.</p>
  <form method="get" action="/reports" class="search period">
    ${dateField('from', 'From', model)}
    ${dateField('to', 'To', model)}
    <button type="submit" class="button button--primary">Show</button>
    <a class="button" href="/reports/usage.csv?${h(query)}" download>Download CSV</a>
  </form>
</section>
<p class="report-summary" role="status">${h(summary)}</p>
${
  report.rows.length === 0
    ? ''
    : `<section class="card" aria-labelledby="chart-title">
  <h2 id="chart-title">Chart: ${h(report.from)} to ${h(report.to)}</h2>
  <div class="table-scroll">${usageChart(report.rows, { title: 'chart-svg-title', desc: 'chart-svg-desc' })}</div>
</section>`
}
${table}`,
    topbarEnd(model),
  );
}
