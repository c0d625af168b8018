// Reading events.jsonl for the stream: the complete lines past a byte offset as SSE frames, each
// sealed and redacted again; an unterminated tail waits for its newline. Reads only; knows nothing of clients.
import { open } from "node:fs/promises";
import { redactText } from "../core/redact.ts";

/** Where one reader is in the file: `ino` tells a replaced file; `again` asks for another read;
 *  `skipping`: inside a line too long to frame, passed over until its newline. */
export type Tail = { offset: number; ino: number | null; again: boolean; skipping?: boolean };

const READ_CAP = 16 * 1024 * 1024;

export function frame(event: string, data: string, id?: number): string {
  return `${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`;
}

/** A Last-Event-ID or `?from=`: a byte offset, or 0 when absent or not a plain number. */
export function parseOffset(value: string | null): number {
  return value !== null && /^\d{1,15}$/.test(value) ? Number(value) : 0;
}

/**
 * The frames of the complete lines past the client's offset; an unterminated tail waits for its newline. A file
 * that shrank, was replaced, or an offset that is not a line start means a new file: replay it from 0.
 */
export async function readNew(client: Tail, path: string, seal: (line: string) => string = (line) => line): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch {
    return "";
  }
  try {
    const stat = await handle.stat();
    const fresh = client.ino === null;
    let restart = (client.ino !== null && client.ino !== stat.ino) || stat.size < client.offset;
    if (!restart && fresh && client.offset > 0) {
      const before = Buffer.alloc(1);
      await handle.read(before, 0, 1, client.offset - 1);
      restart = before[0] !== 0x0a;
    }
    client.ino = stat.ino;
    if (restart) {
      client.offset = 0;
      client.skipping = false;
    }
    const reset = restart ? frame("state", JSON.stringify({ changed: ["events"] })) : "";
    const length = Math.min(stat.size - client.offset, READ_CAP);
    if (length <= 0) return reset;
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, client.offset);
    let bytes = buffer.subarray(0, bytesRead);
    // A single line longer than a whole read can never be framed: it is passed over up to its newline,
    // so the lines after it still arrive (the snapshot's reader skips a line it cannot parse too).
    if (client.skipping) {
      const end = bytes.indexOf(0x0a);
      client.offset += end === -1 ? bytesRead : end + 1;
      client.skipping = end === -1;
      bytes = end === -1 ? bytes.subarray(bytesRead) : bytes.subarray(end + 1);
    }
    const { text, consumed } = framesOf(bytes, client.offset, seal);
    client.offset += consumed;
    if (consumed === 0 && bytes.length === READ_CAP) {
      client.offset += bytes.length;
      client.skipping = true;
    }
    if (bytesRead === READ_CAP) client.again = true;
    return reset + text;
  } finally {
    await handle.close();
  }
}

/** One `ev` frame per complete line, sealed (stream-seal.ts) and redacted again (the write-time pass
 *  may predate today's rules). */
function framesOf(bytes: Buffer, base: number, seal: (line: string) => string): { text: string; consumed: number } {
  let text = "";
  let start = 0;
  for (let end = bytes.indexOf(0x0a); end !== -1; end = bytes.indexOf(0x0a, start)) {
    // A bare CR would end the SSE data line early and let a line forge its own event.
    const line = bytes.subarray(start, end).toString("utf8").replace(/\r/g, "");
    start = end + 1;
    if (line.trim() !== "") text += frame("ev", redactText(seal(line)).text, base + start);
  }
  return { text, consumed: start };
}
