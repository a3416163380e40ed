/**
 * Caller-typed text inside GitLab-flavoured Markdown (tracker issue bodies), shown exactly as
 * typed. GitLab finds `@mentions` and references (`#1`, `!1`, `~label`, `%milestone`, `$snippet`,
 * `&epic`) in the *rendered* text, so backslash escapes cannot stop them; a code span can: nothing
 * inside one is formatting, HTML, a link, a mention or a reference. Line breaks become spaces, so
 * no value can start a line of its own (where a `/quick action` would fire).
 *
 * @example
 * markdownText('@all /close **x**') // → "`@all /close **x**`"
 */
export function markdownText(value: string): string {
  const line = value.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ');
  if (line === '') return '';
  // A fence one backtick longer than the longest run inside; spaces pad a value that starts or
  // ends with a backtick (CommonMark strips exactly one space on each side).
  const longestRun = Math.max(0, ...Array.from(line.matchAll(/`+/g), (match) => match[0].length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = line.startsWith('`') || line.endsWith('`') || (line.startsWith(' ') && line.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${line}${pad}${fence}`;
}

/**
 * A link to a caller-given http(s) URL with our own label. The destination is written in angle
 * brackets with every character that could end it (or the line) percent-encoded; anything that is
 * not an http(s) URL is shown as text instead of linked.
 */
export function markdownLink(label: string, url: string): string {
  if (!/^https?:\/\/\S/.test(url)) return `${label} (${markdownText(url)})`;
  const destination = url.replace(/[<>\\`"'()[\]{}|^\s]/g, (char) => encodeURIComponent(char));
  return `[${label}](<${destination}>)`;
}

const WORD_JOINER = '\u2060';

/**
 * An issue title as sent to GitLab, which turns an `@name` in a title into a mention that notifies
 * (titles are mentionable there). Titles are fixed by the contract and carry caller text (the order
 * reference), so they cannot be escaped visibly: an invisible word joiner after an `@` that could
 * start a mention keeps it from being one. Email addresses are untouched (their `@` follows a word
 * character). `fromGitlabTitle` removes the joiners again when the title is read back.
 */
export function toGitlabTitle(title: string): string {
  return title.replace(/(^|[^\p{L}\p{N}_])@/gu, `$1@${WORD_JOINER}`);
}

export function fromGitlabTitle(title: string): string {
  return title.replaceAll(WORD_JOINER, '');
}
