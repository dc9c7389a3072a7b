/** A column of a DataTable: its header, and how to sort by it (omit to make it not sortable). */
export interface Column<T> {
  key: string;
  label: string;
  sort?: (row: T) => string | number;
  /** a header only screen readers hear (e.g. the actions column) */
  hiddenLabel?: boolean;
  align?: "start" | "end";
}

export type SortDirection = "ascending" | "descending";

/** Rows ordered by a column, stable for equal values; strings compared as people read them (numbers inside). */
export function sortRows<T>(rows: readonly T[], column: Column<T> | undefined, dir: SortDirection): T[] {
  const out = [...rows];
  const by = column?.sort;
  if (!by) return out;
  const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });
  const sign = dir === "ascending" ? 1 : -1;
  return out
    .map((row, i) => ({ row, i, v: by(row) }))
    .sort((a, b) => {
      const c =
        typeof a.v === "number" && typeof b.v === "number"
          ? a.v - b.v
          : collator.compare(String(a.v), String(b.v));
      return c === 0 ? a.i - b.i : sign * c;
    })
    .map((x) => x.row);
}
