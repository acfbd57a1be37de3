/**
 * Text from outside the code (a customer's city, a cancellation's reason, a service's refusal) made inert for the
 * Web UI, which renders summaries, details and current details as markdown, HTML included: put in as it came, such
 * text could embolden, link, open a heading or a list, or carry a tag. Escaped, it shows exactly as it was typed.
 *
 * CommonMark lets a backslash escape any ASCII punctuation. Only what can start markdown or HTML is escaped, so that
 * ordinary text ("12 St. James Sq, London") still reads plainly where the raw text shows (the CLI, a log).
 */

/**
 * What opens markdown or HTML anywhere in a line (emphasis, code, links, tags, entities, tables, strikethrough),
 * and the bare autolinks of GitHub-flavoured markdown: `https://…`, `www.…`, `a@b.c`.
 */
// `www` starts an autolink after any character that is not a letter or digit (`_` too, which `\b` would miss).
const inlineSyntax = /[\\`*_[\]<>&|~@]|:(?=\/\/)|(?<=(?:^|[^a-z0-9])www)\./gi;
/** What opens a block at the start of a line: a heading, a list item, a setext underline. */
const blockMarker = /^[#+=-]/;
const orderedListMarker = /^(\d+)([.)])/;

/** `text` on one line, every markdown and HTML construct in it escaped: it renders as the characters it holds. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .trim()
    .replace(inlineSyntax, '\\$&')
    .replace(blockMarker, '\\$&')
    .replace(orderedListMarker, '$1\\$2');
}
