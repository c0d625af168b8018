// `loki_events`: the run's event stream (.loki/events.jsonl) by polling, from an opaque cursor. Each line
// is sealed as the dashboard's stream is (no held-out item named while the run lives) and redacted again;
// a replaced or shrunken file starts over from its first line and says so (`reset`).
import { open } from "node:fs/promises";
import { redactText } from "../core/redact.ts";
import { LokiEvent } from "../core/run-schema.ts";
import type { Workspace } from "../core/workspace.ts";
import { runIsFinal, streamSeal } from "../dashboard/stream-seal.ts";
import { ToolInputError } from "./paths.ts";

export type EventPage = {
  events: LokiEvent[];
  /** Pass it back to get the events after these. */
  cursor: string;
  /** The file was replaced (a new run) or the cursor was not one of its line starts: read from the top. */
  reset: boolean;
  /** More events are waiting past this page. */
  more: boolean;
};

const READ_CAP = 1024 * 1024;

type Cursor = { ino: number | null; offset: number; skipping: boolean };

export function parseCursor(value: string | undefined): Cursor {
  if (value === undefined || value === "") return { ino: null, offset: 0, skipping: false };
  const match = /^(\d{1,20})-(\d{1,15})-([01])$/.exec(value);
  if (!match) throw new ToolInputError(`cursor ${JSON.stringify(value)} is not one loki_events returned; omit it to read from the start`);
  return { ino: Number(match[1]), offset: Number(match[2]), skipping: match[3] === "1" };
}

const cursorText = (c: Cursor) => `${c.ino ?? 0}-${c.offset}-${c.skipping ? 1 : 0}`;

/** Up to `limit` events of `runId` (every run's when null) past `cursor`. */
export async function readEvents(ws: Workspace, cursorValue: string | undefined, limit: number, runId: string | null): Promise<EventPage> {
  const cursor = parseCursor(cursorValue);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(ws.events, "r");
  } catch {
    return { events: [], cursor: cursorText({ ino: null, offset: 0, skipping: false }), reset: cursor.offset > 0, more: false };
  }
  try {
    const stat = await handle.stat();
    let reset = (cursor.ino !== null && cursor.ino !== stat.ino) || stat.size < cursor.offset;
    if (!reset && cursor.offset > 0 && !cursor.skipping) {
      const before = Buffer.alloc(1);
      await handle.read(before, 0, 1, cursor.offset - 1);
      reset = before[0] !== 0x0a;
    }
    const at: Cursor = reset ? { ino: stat.ino, offset: 0, skipping: false } : { ...cursor, ino: stat.ino };
    const length = Math.min(stat.size - at.offset, READ_CAP);
    const events: LokiEvent[] = [];
    let more = false;
    if (length > 0) {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, at.offset);
      let bytes = buffer.subarray(0, bytesRead);
      if (at.skipping) {
        const end = bytes.indexOf(0x0a);
        at.offset += end === -1 ? bytes.length : end + 1;
        at.skipping = end === -1;
        bytes = end === -1 ? bytes.subarray(bytes.length) : bytes.subarray(end + 1);
      }
      // Sealed until the run is over for good: a stopped or capped run resumes with the same held-out items.
      const seal = streamSeal(ws, runIsFinal(ws));
      let start = 0;
      while (events.length < limit) {
        const end = bytes.indexOf(0x0a, start);
        if (end === -1) {
          // A line longer than a whole read is passed over up to its newline (as the dashboard's stream does).
          if (start === 0 && bytes.length === READ_CAP) {
            at.offset += bytes.length;
            at.skipping = true;
          }
          break;
        }
        const event = parseLine(bytes.subarray(start, end).toString("utf8"), seal);
        at.offset += end + 1 - start;
        start = end + 1;
        if (event && (runId === null || event.run_id === runId)) events.push(event);
      }
      // Another complete line waits in what was read, or the read stopped at its cap.
      more = bytes.indexOf(0x0a, start) !== -1 || (length === READ_CAP && at.offset < stat.size);
    }
    return { events, cursor: cursorText(at), reset: reset && cursor.offset > 0, more };
  } finally {
    await handle.close();
  }
}

function parseLine(line: string, seal: (line: string) => string): LokiEvent | null {
  try {
    const parsed = LokiEvent.safeParse(JSON.parse(redactText(seal(line)).text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
