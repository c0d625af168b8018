// How every prompt that lists checklist items lists them (DESIGN §5): one per line, `- [<id>] <text>`.
// Shared by the build prompt (loop) and the reviewer and judge prompts (review). Pure.

export function renderItems(items: readonly { id: string; text: string }[]): string {
  return items.map((item) => `- [${item.id}] ${item.text.includes("\n") ? item.text.replace(/\s*\n\s*/g, " ") : item.text}`).join("\n");
}
