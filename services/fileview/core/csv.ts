/**
 * CSV (RFC 4180) for fileviews. Pure. Quoted fields may hold the delimiter, quotes (doubled) and
 * line breaks; lines end with \n or \r\n; a final line break is optional; a UTF-8 BOM is skipped.
 * Unquoted fields are taken as they are (no trimming).
 */

export function parseCsv(text: string, delimiter = ','): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let fieldStarted = false;
  const endField = () => {
    record.push(field);
    field = '';
    fieldStarted = false;
  };
  const endRecord = () => {
    endField();
    if (!(record.length === 1 && record[0] === '')) records.push(record);
    record = [];
  };
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
      continue;
    }
    if (c === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (c === delimiter) endField();
    else if (c === '\n') endRecord();
    else if (c === '\r' && text[i + 1] === '\n') {
      endRecord();
      i++;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (field !== '' || fieldStarted || record.length > 0) endRecord();
  return records;
}

/** Header + records → rows (column → value); `columns` keeps only (and orders by) those names. */
export function csvRows(text: string, opts: { delimiter?: string; columns?: readonly string[] } = {}): Array<Record<string, string>> {
  const [header, ...records] = parseCsv(text, opts.delimiter ?? ',');
  if (!header) return [];
  const wanted = opts.columns ?? header;
  const index = wanted.map((c) => header.indexOf(c));
  return records.map((r) => {
    const row: Record<string, string> = {};
    wanted.forEach((c, k) => {
      const j = index[k]!;
      if (j >= 0 && j < r.length) row[c] = r[j]!;
    });
    return row;
  });
}
