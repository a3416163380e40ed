/**
 * Caller-typed text inside Slack mrkdwn (the team channel's incoming webhook). Slack's formatting
 * reference names `&`, `<` and `>` as the control characters to escape as HTML entities: without
 * a raw `<`, no `<!channel>`, `<@user>` or `<https://…|hidden link>` can form.
 *
 * @example
 * slackText('<!channel> & <https://evil|click>') // → "&lt;!channel&gt; &amp; &lt;https://evil|click&gt;"
 */
export function slackText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A link `<url|label>` to a caller-given http(s) URL: the URL cannot close the link early nor swap
 * its label (`|`, `<`, `>` and whitespace are percent-encoded, `&` escaped), the label is escaped
 * text. Anything that is not an http(s) URL is shown as text instead.
 */
export function slackLink(url: string, label: string): string {
  if (!/^https?:\/\/\S/.test(url)) return `${slackText(label)} (${slackText(url)})`;
  const target = url.replace(/[<>|\s]/g, (char) => encodeURIComponent(char)).replace(/&/g, '&amp;');
  return `<${target}|${slackText(label)}>`;
}
