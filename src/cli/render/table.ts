import { stripVTControlCharacters } from 'node:util';

export interface TableOptions {
  /** Per column; default: the first column left, the others right-aligned (numbers). */
  align?: readonly ('left' | 'right')[];
  /** Applied to the header line (the first row), e.g. dim. */
  header?: (line: string) => string;
  /** Applied to the last line, e.g. bold for a total. */
  last?: (line: string) => string;
}

/**
 * Rows of cells → aligned lines, two spaces apart. Widths count what is visible: cells may carry
 * colour codes. Trailing spaces are trimmed.
 */
export function renderTable(rows: readonly (readonly string[])[], opts: TableOptions = {}): string[] {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) =>
    Math.max(0, ...rows.map((r) => visibleLength(r[i] ?? ''))),
  );
  return rows.map((row, ri) => {
    const line = row
      .map((cell, i) => {
        const pad = ' '.repeat(widths[i]! - visibleLength(cell));
        const align = opts.align?.[i] ?? (i === 0 ? 'left' : 'right');
        return align === 'left' ? cell + pad : pad + cell;
      })
      .join('  ')
      .trimEnd();
    if (ri === 0 && opts.header) return opts.header(line);
    if (ri === rows.length - 1 && ri > 0 && opts.last) return opts.last(line);
    return line;
  });
}

function visibleLength(s: string): number {
  return stripVTControlCharacters(s).length;
}
