import { escapeHtml } from '../html.ts';
import type { OutgoingMail } from '../mail/mailer.ts';
import { csvFilename, reportCsv, type UsageReportResult } from './usage-report.ts';

export interface ReportEmailInput {
  from: string;
  to: string[];
  report: UsageReportResult;
  pageUrl: string;
  everyDays: number;
}

/** The scheduled report: a short summary in the body, every organisation in the attached CSV. */
export function composeReportEmail(input: ReportEmailInput): OutgoingMail {
  const { report } = input;
  const over = report.rows.filter((row) => row.overconsumed);
  const lines = [
    `Usage report for ${report.from} to ${report.to}: ${report.rows.length} organisations, ${over.length} overconsumed.`,
    '',
    ...(over.length > 0
      ? [
          'Overconsumed (used at peak / purchased):',
          ...over.slice(0, 20).map((row) => `- ${row.organisation}: ${row.usedPeak} / ${row.purchased}`),
          ...(over.length > 20 ? [`- and ${over.length - 20} more (see the attachment)`] : []),
          '',
        ]
      : []),
    `Every organisation is in the attached ${csvFilename(report)}. The same report on the page: ${input.pageUrl}`,
    `This report is sent every ${input.everyDays} days (REPORT_EMAIL_TO, REPORT_EVERY_DAYS).`,
  ];
  const html = `<!doctype html>
<html lang="en"><body style="font-family: system-ui, sans-serif; color: #2f3941; line-height: 1.5">
${lines
  .filter((line) => line !== '')
  .map((line) => `<p>${escapeHtml(line)}</p>`)
  .join('\n')}
</body></html>`;
  return {
    from: input.from,
    to: input.to.join(', '),
    subject: `Mintdesk usage report ${report.from} to ${report.to}${over.length > 0 ? ` (${over.length} overconsumed)` : ''}`,
    text: lines.join('\n'),
    html,
    attachments: [{ filename: csvFilename(report), content: reportCsv(report.rows), contentType: 'text/csv' }],
    headers: { 'X-Mintdesk-Report-Period': `${report.from}/${report.to}` },
  };
}
