/** One CSV record and the physical line it starts on (1-based; a quoted field's line breaks count). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** A CSV file read into records, or as far as it could be read (an unterminated quote ends it). */
export interface CsvTable {
  records: CsvRecord[];
  /** the line where a quoted field opened that never closes */
  unterminatedAt?: number;
}

/**
 * RFC 4180 CSV: quoted fields with "" escapes, commas and line breaks inside quotes, CRLF, LF or CR line ends, a
 * leading byte order mark ignored. Records whose fields are all blank (empty lines) are left out but counted, so
 * every record keeps the line it starts on in the file.
 */
export function parseCsv(text: string): CsvTable {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let quoteLine = 0;
  const input = text.replace(/^\uFEFF/, "");
  const end = () => {
    fields.push(field);
    if (fields.some((f) => f.trim() !== "")) records.push({ line: recordLine, fields });
    fields = [];
    field = "";
  };
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    const lineBreak = c === "\n" || c === "\r";
    if (lineBreak && c === "\r" && input[i + 1] === "\n") i++;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += lineBreak ? "\n" : c;
    } else if (c === '"' && field === "") {
      quoted = true;
      quoteLine = line;
    } else if (c === ",") {
      fields.push(field);
      field = "";
    } else if (lineBreak) end();
    else field += c;
    if (lineBreak) {
      line++;
      if (!quoted) recordLine = line;
    }
  }
  if (quoted) return { records, unterminatedAt: quoteLine };
  if (field !== "" || fields.length) end();
  return { records };
}

/** One CSV line; fields that could be read as formulas by spreadsheets are prefixed with a quote. */
export function csvLine(fields: string[]): string {
  return fields
    .map((f) => {
      const safe = /^[=+\-@\t\r]/.test(f) ? `'${f}` : f;
      return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
    })
    .join(",");
}
