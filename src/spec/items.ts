// How every prompt that lists checklist items lists them (DESIGN §5): one per line, `- [<id>] <text>`.
// Shared by the build prompt (loop) and the reviewer and judge prompts (review). Pure.

export function renderItems(items: readonly { id: string; text: string }[]): string {
  return items.map((item) => `- [${item.id}] ${lineText(item.text)}`).join("\n");
}

/** Buffer.byteLength(renderItems(items)), counted without the string: `- [` and `] ` are 5 bytes, and
 *  the lines are joined by one newline each; every piece meets the next at an ASCII character. */
export function renderedItemsBytes(items: readonly { id: string; text: string }[]): number {
  let bytes = Math.max(0, items.length - 1);
  for (const item of items) bytes += 5 + Buffer.byteLength(item.id) + Buffer.byteLength(lineText(item.text));
  return bytes;
}

/** An item's text on one line. */
function lineText(text: string): string {
  return text.includes("\n") ? text.replace(/\s*\n\s*/g, " ") : text;
}
