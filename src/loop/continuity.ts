// Continuity notes (.loki/CONTINUITY.md): a status block rewritten each iteration and a learnings
// section no lesson is ever removed from — a repeat is merged into its earlier line as a count (×N)
// and moved last. A prompt gets the most recent learnings within a cap, so it stops growing.
import { readFileSync } from "node:fs";
import { writeFileAtomic, type Workspace } from "../core/workspace.ts";

const LEARNINGS = "## Learnings";
/** What a prompt takes: the latest this many learnings, within this many bytes. */
const PROMPT_LEARNINGS = 8;
const PROMPT_BYTES = 1500;

const COUNT = / \(×(\d+)\)$/;

function readLearnings(ws: Workspace): string {
  const text = read(ws);
  const at = text.indexOf(LEARNINGS);
  return at === -1 ? "" : text.slice(at + LEARNINGS.length).trim();
}

/** The learnings a prompt gets: the most recent first-to-last, at most PROMPT_LEARNINGS lines and PROMPT_BYTES. */
export function promptLearnings(ws: Workspace): string {
  const lines = learningLines(readLearnings(ws));
  const kept: string[] = [];
  let bytes = 0;
  for (const line of [...lines].reverse()) {
    const size = Buffer.byteLength(line) + 1;
    if (kept.length === PROMPT_LEARNINGS || bytes + size > PROMPT_BYTES) break;
    kept.unshift(line);
    bytes += size;
  }
  // The latest lesson is never left out whole: one longer than the cap is cut to it.
  const latest = lines.at(-1);
  if (kept.length === 0 && latest !== undefined)
    kept.push(
      `${Buffer.from(latest)
        .subarray(0, PROMPT_BYTES - 3)
        .toString("utf8")
        .replace(/\uFFFD$/, "")}…`,
    );
  const left = lines.length - kept.length;
  return [...kept, ...(left > 0 ? [`(${left} earlier learning${left === 1 ? "" : "s"} left out)`] : [])].join("\n");
}

/** Rewrite the status block; add `learning` (when any) last — a repeat of an earlier one replaces it, counted.
 *  Synced at the iteration's boundary: the iteration that writes it is redone after a power loss. */
export function updateContinuity(ws: Workspace, status: string[], learning?: string): void {
  const lines = learningLines(readLearnings(ws));
  if (learning) merge(lines, `- ${learning.replace(/\s*\n\s*/g, " ").trim()}`);
  writeFileAtomic(
    ws.continuity,
    `# Continuity\n\n## Status\n${status.map((line) => `- ${line}`).join("\n")}\n\n${LEARNINGS}\n${lines.join("\n")}\n`,
    0o600,
    "boundary",
  );
}

/** `line` added last; an earlier line with the same lesson is removed and its count carried on. */
function merge(lines: string[], line: string): void {
  const at = lines.findIndex((l) => l.replace(COUNT, "") === line);
  if (at === -1) {
    lines.push(line);
    return;
  }
  const count = Number(COUNT.exec(lines[at] as string)?.[1] ?? 1) + 1;
  lines.splice(at, 1);
  lines.push(`${line} (×${count})`);
}

function learningLines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}

function read(ws: Workspace): string {
  try {
    return readFileSync(ws.continuity, "utf8");
  } catch {
    return "";
  }
}
