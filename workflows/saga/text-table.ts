/**
 * A table as a fixed-width markdown code block. The Web UI renders markdown tables with no cell padding, so their
 * columns run into each other; spaces in a preformatted block keep them apart at any width.
 */

/** The block's lines, fences included: a header row, a rule, then the rows; `rightAligned` holds column indexes. */
export function textTable(rows: readonly (readonly string[])[], rightAligned: readonly number[] = []): string[] {
  const header = rows[0] ?? [];
  const widths = header.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]) =>
    widths
      .map((width, column) => {
        const cell = row[column] ?? '';
        return rightAligned.includes(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return ['```', line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.slice(1).map(line), '```'];
}
