// Text the run prints to a terminal or a log: rid of control codes (text from the agent or the
// repository must not move the cursor or colour the screen), one line, cut to a number of terminal
// columns; and the agent's tool call as such a line, with secrets redacted. Pure.
import { redactText } from "../proof/redact.ts";

// C0 except newline, DEL, C1; and the bidirectional overrides that reorder what is shown.
const CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LINE_BREAKS = /[\t\n\r\u000b\u000c\u0085\u2028\u2029]+/g;

/** The text with every control code removed: newlines kept, a tab becomes a space. */
export function stripControls(text: string): string {
  return text.replace(/\r\n?/g, "\n").replace(/\t/g, " ").replace(CONTROLS, "");
}

/** The text as one line: line breaks and tabs become spaces, runs of spaces one, controls gone. */
export function oneLine(text: string): string {
  return stripControls(text.replace(LINE_BREAKS, " ")).replace(/ {2,}/g, " ").trim();
}

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Columns the text takes in a terminal. */
export function displayWidth(text: string): number {
  return Bun.stringWidth(text);
}

/** The text cut to at most `width` columns, ending in "…" when cut. */
export function fitWidth(text: string, width: number): string {
  if (width <= 0) return "";
  if (displayWidth(text) <= width) return text;
  let out = "";
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = displayWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out.trimEnd()}…`;
}

/** Input fields that say what a tool call is about, most telling first (Claude Code, Codex, OpenCode, Cline). */
const SUBJECT_KEYS = ["command", "file_path", "filePath", "notebook_path", "pattern", "query", "path", "url", "description"];
/** Longest input text looked at: a command may carry a whole file, and the line shows a few dozen columns. */
const MAX_INPUT = 4000;
const SHELL_WRAPPER = /^(?:\/(?:usr\/)?bin\/)?(?:ba|z)?sh\s+-l?c\s+(['"])([\s\S]*)\1$/;

/**
 * One line saying what the agent is doing: the tool and what it acts on, e.g. `Write src/todo.ts`,
 * `Bash npm test`. Paths inside the repository are shown relative to it; anything secret-looking is
 * redacted (the input is the agent's, and may hold a key it found).
 */
export function describeToolCall(call: { tool: string; input?: unknown }, root?: string): string {
  const tool = oneLine(call.tool).slice(0, 60) || "tool";
  const subject = subjectOf(call.input);
  if (!subject) return tool;
  let text = stripControls(subject.slice(0, MAX_INPUT));
  // Relative before redaction: redaction turns the home directory, and so a repository under it, into `~`.
  if (root) text = text.split(`${root.replace(/\/+$/, "")}/`).join("");
  text = oneLine(redactText(text).text.trim().replace(SHELL_WRAPPER, "$2"));
  return `${tool} ${text.slice(0, 300)}`;
}

function subjectOf(input: unknown): string | null {
  if (typeof input === "string") return input;
  if (typeof input !== "object" || input === null || Array.isArray(input)) return null;
  const fields = input as Record<string, unknown>;
  for (const key of SUBJECT_KEYS) {
    const value = fields[key];
    if (typeof value === "string" && value.trim() !== "") return value;
    if (Array.isArray(value) && value.every((part) => typeof part === "string")) return value.join(" ");
  }
  // Codex's apply_patch: the files it changes.
  const changes = fields.changes;
  if (Array.isArray(changes)) {
    const paths = changes.map((c) => (typeof c === "object" && c !== null ? (c as Record<string, unknown>).path : null));
    const named = paths.filter((p): p is string => typeof p === "string");
    if (named.length > 0) return named.length === 1 ? (named[0] ?? null) : `${named[0]} (+${named.length - 1} more)`;
  }
  return null;
}
