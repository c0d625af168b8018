// The transcript scan: every tool call an agent makes (the `tool_use` events its CLI streams) is
// checked against loki's private paths — the held-out store, the signing keys, the rest of ~/.loki
// and the repo's .loki/ internals. A hit is a reason the run cannot end VERIFIED. Pure.
import type { ProviderEvent } from "../providers/provider.ts";

export type PrivatePaths = {
  home: string;
  lokiHome: string;
  repoLoki: string;
  /** The run's working tree: its files are the agent's own, even when the tree itself lives under a
   *  checkout's .loki/worktrees/ (a delegated run); its own .loki/ stays private. */
  root?: string;
};

/** Input fields that name what a tool touches; file contents (`content`, `new_string`) are not read. */
const TARGET_FIELDS = [
  "file_path",
  "filePath",
  "path",
  "changes",
  "notebook_path",
  "command",
  "cmd",
  "pattern",
  "glob",
  "dir",
  "directory",
  "cwd",
  "url",
  "paths",
  "args",
  "argv",
];

type Area = { what: string; test: (text: string) => string | null };

function areas(paths: PrivatePaths): Area[] {
  const under = (suffix: string) => (text: string) => (text.includes(`${paths.lokiHome}/${suffix}`) ? `${paths.lokiHome}/${suffix}` : null);
  // `.loki/<name>` (the repo's state) — but not a bare `.loki/` (an ignore entry) or the DONE signal.
  const repoState = new RegExp(`(?:${escape(paths.repoLoki)}|(?:^|[\\s=:(/])\\.loki)/(?!signals(?:/DONE)?(?![\\w/]))[A-Za-z0-9_*?[{-]`);
  const home = new RegExp(`${escape(paths.lokiHome)}(?![\\w.-])`);
  return [
    { what: "loki's held-out store", test: under("heldout") },
    { what: "loki's signing key", test: under("keys") },
    { what: "loki's private state", test: (text) => (home.test(text) ? paths.lokiHome : null) },
    { what: "loki's run state (.loki/)", test: (text) => repoState.exec(text)?.[0]?.trim() ?? null },
  ];
}

/** Quotes dropped, every spelling of the home directory made absolute, as a shell would, and the
 *  run's own tree written `.` (so only what lies under it is judged, not where it lies). */
function normalize(text: string, paths: PrivatePaths): string {
  const expanded = text.replace(/["']/g, "").replace(/\$\{HOME\}|\$HOME\b|(?<=^|[\s=:(])~(?=\/|$)/g, paths.home);
  return paths.root ? expanded.replace(new RegExp(`${escape(paths.root)}(?=/|$|[\\s;&|)])`, "g"), ".") : expanded;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function targets(input: unknown): string[] {
  if (typeof input === "string") return [input];
  if (input === null || typeof input !== "object") return [];
  if (Array.isArray(input)) return input.flatMap(targets);
  return Object.entries(input as Record<string, unknown>).flatMap(([key, value]) => (TARGET_FIELDS.includes(key) ? targets(value) : []));
}

/** The reason a tool call is a trust violation, or null when it touches nothing private. */
export function privateAccess(event: ProviderEvent, paths: PrivatePaths): string | null {
  if (event.kind !== "tool_use") return null;
  for (const text of targets(event.input).map((t) => normalize(t, paths))) {
    for (const area of areas(paths)) {
      const hit = area.test(text);
      if (hit) return `the agent's ${event.tool} call tried to reach ${area.what} at ${hit}`;
    }
  }
  return null;
}
