const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] as string);
}

/** The policy of the server-rendered pages: their own scripts and styles only, no framing, forms to here. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export interface PageShell {
  title: string;
  /** The part of the service, shown beside the name in the top bar (`License lookup`, `Usage reports`). */
  section: string;
  body: string;
  /** Links and the sign-out form at the right of the top bar. */
  header?: string;
  /** Stylesheets after the shared ones. */
  styles?: string[];
  /** External scripts (the pages' CSP allows no inline script). */
  scripts?: string[];
  wide?: boolean;
}

/** The frame every server-rendered page of the lookup session shares: head, top bar, main landmark. */
export function pageShell(page: PageShell): string {
  const styles = ['/assets/base.css', '/lookup/assets/lookup.css', ...(page.styles ?? [])]
    .map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`)
    .join('\n');
  const scripts = (page.scripts ?? []).map((src) => `\n<script src="${escapeHtml(src)}"></script>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)} – Mintdesk</title>
${styles}
<link rel="icon" href="/lookup/assets/logo.svg">
</head>
<body>
<header class="topbar"><img src="/lookup/assets/logo.svg" alt="" width="24" height="24"><span>Mintdesk</span><span class="topbar__sub">${escapeHtml(page.section)}</span>${page.header ?? ''}</header>
<main class="page${page.wide ? ' page--wide' : ''}">
${page.body}
</main>${scripts}
</body>
</html>`;
}
