// The terminal's text as a test or a screen reader wants it: one logical line per line (rows the
// terminal wrapped are joined back), trailing blanks trimmed — except on the cursor's row, which
// keeps everything up to the cursor, so a prompt still ends in "# ".

export interface BufferRow {
  /** The row's text, untrimmed (full width). */
  text: string;
  /** The row continues the previous one (the terminal wrapped a long line). */
  isWrapped: boolean;
}

export interface BufferCursor {
  /** Absolute row index of the cursor. */
  row: number;
  /** The cursor's row from column 0 up to the cursor, untrimmed. */
  textBeforeCursor: string;
}

const trimRight = (s: string): string => s.replace(/ +$/, '');

export function bufferText(rows: readonly BufferRow[], cursor: BufferCursor): string {
  const lines: string[] = [];
  let lastKept = -1;
  rows.forEach((row, i) => {
    let text: string;
    if (rows[i + 1]?.isWrapped) text = row.text; // the line goes on: its trailing blanks are content
    else if (i === cursor.row) {
      const trimmed = trimRight(row.text);
      text = trimmed.length >= cursor.textBeforeCursor.length ? trimmed : cursor.textBeforeCursor;
    } else text = trimRight(row.text);
    if (row.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
    else lines.push(text);
    if (text !== '' || i === cursor.row) lastKept = lines.length - 1;
  });
  return lines.slice(0, lastKept + 1).join('\n');
}
