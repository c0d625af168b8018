// Continuity notes (.loki/CONTINUITY.md): a status block rewritten each iteration and a learnings
// section that is only ever appended to — an iteration's lesson is never wiped by a later one.
import { readFileSync } from "node:fs";
import { writeFileAtomic, type Workspace } from "../core/workspace.ts";

const LEARNINGS = "## Learnings";

export function readLearnings(ws: Workspace): string {
  const text = read(ws);
  const at = text.indexOf(LEARNINGS);
  return at === -1 ? "" : text.slice(at + LEARNINGS.length).trim();
}

/** Rewrite the status block; append `learning` (when any) below the existing learnings. */
export function updateContinuity(ws: Workspace, status: string[], learning?: string): void {
  const previous = readLearnings(ws);
  const learnings = [previous, learning ? `- ${learning.replace(/\s*\n\s*/g, " ")}` : ""].filter(Boolean).join("\n");
  writeFileAtomic(
    ws.continuity,
    `# Continuity\n\n## Status\n${status.map((line) => `- ${line}`).join("\n")}\n\n${LEARNINGS}\n${learnings}\n`,
  );
}

function read(ws: Workspace): string {
  try {
    return readFileSync(ws.continuity, "utf8");
  } catch {
    return "";
  }
}
