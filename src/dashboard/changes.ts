// Which dashboard panels a changed .loki/ file feeds: the names in the stream's `state` event
// (`{"changed":[...]}`), so the page knows its snapshot is out of date. Pure: names in, names out.

/** A panel of the snapshot (its `ages` keys), plus `queue` (the Tasks panel, its age its own) and `events`
 *  (events.jsonl was replaced: reset the feed). */
export type Panel = "status" | "cost" | "timeline" | "checklist" | "gates" | "council" | "outcome" | "app" | "queue" | "events";

/** The directories under .loki/ that are watched besides .loki/ itself and each iterations/<n>/. */
export const WATCHED_DIRS = [
  "state",
  "checklist",
  "council",
  "verify",
  "metrics",
  "iterations",
  "app",
  "control",
  "proofs",
  "queue",
] as const;

/** Files of .loki/ itself, by name. events.jsonl is the stream's own business. */
const TOP: Record<string, Panel[]> = {
  "session.json": ["status"],
  "run.lock": ["status"],
  PAUSE: ["status"],
  STOP: ["status"],
  "COMPLETION.txt": ["outcome"],
  // The app's directory appears when a preview first starts: its state.json may be written before the
  // watch on it is attached, so the directory's creation already tells the page to look.
  app: ["app"],
  // A new queue replaces the whole directory (core/queue.ts): its creation is news, as the app's is.
  queue: ["queue"],
};

/** Files of .loki/state/, by name; any other state file counts as status. */
const STATE: Record<string, Panel[]> = {
  "orchestrator.json": ["status", "cost", "timeline"],
  "completion.json": ["outcome", "status"],
  "heldout-result.json": ["checklist", "outcome"],
};

const BY_DIR: Record<string, Panel[]> = {
  checklist: ["checklist"],
  council: ["council"],
  verify: ["gates"],
  iterations: ["timeline", "gates"],
  app: ["app"],
  control: ["status"],
  proofs: ["outcome"],
  queue: ["queue"],
};

/**
 * The panels a change to `name` in `dir` (relative to .loki/, "" for .loki/ itself) affects.
 * Temp files of an atomic write and lock files say nothing: the rename onto the real name does.
 */
export function panelsFor(dir: string, name: string): Panel[] {
  if (name.endsWith(".tmp") || (name.endsWith(".lock") && name !== "run.lock")) return [];
  if (dir === "") return TOP[name] ?? [];
  if (dir === "state") return STATE[name] ?? ["status"];
  if (dir === "metrics") return name.startsWith("cost") ? ["cost"] : name.startsWith("trust") ? ["council"] : [];
  const top = dir.split("/")[0] ?? dir;
  // An agent's transcript grows by the line while it works; no panel is built from it.
  if (top === "iterations" && name === "agent.jsonl") return [];
  // Nor from the app's log, which a chatty app appends to many times a second (the panel shows state.json's tail).
  if (top === "app" && name === "app.log") return [];
  return BY_DIR[top] ?? [];
}
