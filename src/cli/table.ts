/** Plain-text tables for list commands: one header line, columns padded to their widest cell. */

export type Cell = string | number | Date | null | undefined;

const text = (cell: Cell): string => {
  if (cell === null || cell === undefined) return '-';
  return cell instanceof Date ? cell.toISOString() : String(cell);
};

/** Lines of a table with `headers`; empty cells show as `-` so that columns stay splittable on whitespace. */
export function formatTable(headers: string[], rows: Cell[][]): string[] {
  const cells = [headers, ...rows.map((row) => row.map(text))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
