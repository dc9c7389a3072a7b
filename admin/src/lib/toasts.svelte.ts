/** Short confirmations and failures, read out by the layout's live region (lib/ui/toasts.svelte). */
export interface Toast {
  id: number;
  kind: "success" | "error";
  text: string;
}

export const toasts = $state<Toast[]>([]);
let next = 1;

export function dismiss(id: number): void {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}

/** Shows a toast; successes leave after 6 s, errors stay until dismissed. */
export function toast(text: string, kind: Toast["kind"] = "success"): void {
  const id = next++;
  toasts.push({ id, kind, text });
  if (kind === "success") setTimeout(() => dismiss(id), 6_000);
}
