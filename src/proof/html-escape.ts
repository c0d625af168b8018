// HTML escaping for the proof page's renderers (html.ts and its sections): every string from a proof's
// payload goes through esc() before it is put in markup. Pure.
const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}
