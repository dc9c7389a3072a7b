/** Reordering a list by keyboard (one step up or down) and by drag and drop (to any place), and saying so. */

/** A copy of `items` with the item at `from` moved to index `to` (both clamped to the list). */
export function moveItem<T>(items: readonly T[], from: number, to: number): T[] {
  const out = [...items];
  if (from < 0 || from >= out.length) return out;
  const target = Math.max(0, Math.min(out.length - 1, to));
  const [item] = out.splice(from, 1);
  out.splice(target, 0, item as T);
  return out;
}

/**
 * Where a dragged item lands when dropped on the row at `over`, in its upper (`before`) or lower half: the index
 * to pass to {@link moveItem}.
 */
export function dropIndex(from: number, over: number, before: boolean): number {
  const slot = before ? over : over + 1;
  return slot > from ? slot - 1 : slot;
}

/** What a screen reader hears after a move: `“a.txt” moved to position 2 of 5.` */
export function movedText(name: string, index: number, total: number): string {
  return `“${name}” moved to position ${index + 1} of ${total}.`;
}

/** The keyboard step for Alt+Arrow keys: -1, +1, or 0 for any other key. */
export function keyStep(event: Pick<KeyboardEvent, "key" | "altKey" | "ctrlKey" | "metaKey">): -1 | 0 | 1 {
  if (!event.altKey || event.ctrlKey || event.metaKey) return 0;
  return event.key === "ArrowUp" ? -1 : event.key === "ArrowDown" ? 1 : 0;
}
