// Learnings: when an iteration's checks pass after an earlier one of the same run failed, what failed
// (symptom, the check's fuller words, fingerprints) and what changed between the two checkpoints (the
// fix) become one redacted record — in this project's store and, with memory.global, in ~/.loki/memory.
import { basename, extname, join } from "node:path";
import { git } from "../core/git.ts";
import { sha256 } from "../core/hash.ts";
import { redactText } from "../core/redact.ts";
import { type Episode, Learning } from "../core/run-schema.ts";
import { GateResult } from "../core/schema.ts";
import { appendJsonl, readJson, type Workspace } from "../core/workspace.ts";
import { clip, oneLine } from "../core/text.ts";
import { keyLine } from "./episodes.ts";
import { projectLearnings, readLearnings, type StoreFile } from "./store.ts";

/** What changed between two checkpoints: per file the lines added and removed, and the first added lines of each. */
export type FixDiff = { files: { path: string; added: number; removed: number }[]; lines: { path: string; text: string }[] };

const SYMPTOMS = 3;
const CAUSE_CHARS = 400;
const FIX_FILES = 6;
const FIX_LINES = 4;
const LINE_CHARS = 120;
/** Files a learning names (and its index holds): a fix touching more is summed up as "and N more". */
const FILES = 12;
/** A git call of memory's: a diff of two checkpoints; never a wait the iteration notices. */
const GIT_TIMEOUT_MS = 30_000;

/** The episode of `runId` whose failure the passing iteration fixed: its latest failed one since its last passing one. */
export function failureToLearnFrom(runEpisodes: readonly Episode[]): Episode | undefined {
  for (let i = runEpisodes.length - 1; i >= 0; i--) {
    const e = runEpisodes[i] as Episode;
    // A green iteration (one that committed nothing too) ends the search: what failed before it was settled then.
    const green = (e.errors?.length ?? 0) === 0 && e.failures.length === 0 && e.result !== "agent_error";
    if (e.result === "progress" || e.result === "shipped" || green) return undefined;
    if (e.result === "gates_failed" && (e.errors?.length ?? 0) > 0 && e.sha) return e;
  }
  return undefined;
}

/** A learning from a failed episode and the passing one after it, every text field redacted. Pure. */
export function extractLearning(input: {
  failed: Episode;
  fixed: Episode;
  diff: FixDiff;
  /** The failed iteration's gates (gates.json), for the check's fuller words; [] when unreadable. */
  gates: readonly GateResult[];
  project: string;
  /** The repository's path, made "./" wherever the check printed it. */
  root: string;
}): Learning {
  const { failed, fixed, diff } = input;
  const errors = (failed.errors ?? []).slice(0, SYMPTOMS);
  const first = errors[0];
  const gate = input.gates.find((g) => g.status === "fail" && g.id === first?.type);
  // The check's words: its reason and the lines of its digest that name an error, the repository's path made "./".
  const digest = (gate?.digest ?? "").split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
  const said = gate
    ? [
        gate.reason.split("\n")[0] ?? "",
        ...digest.filter((line) => line.includes(keyLine(gate.digest ?? ""))).slice(0, 1),
        ...digest.slice(0, 2),
      ]
    : [first?.message ?? ""];
  const cause = [...new Set(said.map((line) => line.trim()))].join(" | ").replaceAll(`${input.root}/`, "./");
  const files = diff.files.slice(0, FIX_FILES).map((f) => `${f.path} (+${f.added} −${f.removed})`);
  const more = diff.files.length > FIX_FILES ? ` and ${diff.files.length - FIX_FILES} more` : "";
  const lines = fixLines(diff, `${errors.map((e) => e.message).join(" ")} ${cause}`).map(
    (line) => `+ ${clip(clean(line.trim()), LINE_CHARS)}`,
  );
  const fix = `changed ${files.join(", ") || "no file"}${more}${lines.length > 0 ? `; added: ${lines.join(" ; ")}` : ""}`;
  const tags = new Set<string>(errors.map((e) => e.type));
  for (const f of diff.files) {
    // Plain extensions only: a file name is the agent's to choose, and tags are searched.
    const ext = extname(f.path).slice(1).toLowerCase();
    if (/^[a-z0-9]{1,8}$/.test(ext)) tags.add(ext);
  }
  return Learning.parse({
    id: `lr_${sha256(`${failed.run_id}\0${failed.iteration}\0${errors.map((e) => e.fingerprint).join(",")}`).slice(0, 16)}`,
    ts: fixed.ts,
    project: clean(input.project),
    run_id: failed.run_id,
    failed_iteration: failed.iteration,
    fixed_iteration: fixed.iteration,
    goal: redactText(failed.goal ?? "").text,
    seen: failed.seen ?? [],
    symptom: errors.map((e) => clean(`${e.type}: ${e.message}`)),
    fingerprints: errors.map((e) => e.fingerprint),
    cause: clip(clean(cause), CAUSE_CHARS),
    fix: clean(fix),
    files: diff.files.slice(0, FILES).map((f) => clean(f.path)),
    tags: [...tags].slice(0, 12).map(clean),
    provider: fixed.provider,
    ...(fixed.model ? { model: fixed.model } : {}),
  });
}

/**
 * What changed from `from` to `to` in `root`: per file the lines added and removed (`--numstat -z`, names
 * unquoted) and the first added lines of each. A patch line is a file header only between `diff --git`
 * and the first hunk: an added line that reads "++ x" (shown "+++ x") is content, not a path.
 */
export async function fixDiff(root: string, from: string, to: string): Promise<FixDiff> {
  const args = ["-c", "core.quotepath=false", "diff", "--no-ext-diff", "--no-textconv", "--no-renames", "--no-color"];
  const range = ["--end-of-options", from, to];
  const numstat = await git([...args, "--numstat", "-z", ...range], { cwd: root, timeoutMs: GIT_TIMEOUT_MS });
  const files = numstat.stdout
    .split("\0")
    .filter(Boolean)
    .map((row) => {
      const [added, removed, ...path] = row.split("\t");
      return { path: path.join("\t"), added: Number(added) || 0, removed: Number(removed) || 0 };
    });
  const patch = await git([...args, "--unified=0", "--no-prefix", ...range], { cwd: root, timeoutMs: GIT_TIMEOUT_MS });
  const lines: FixDiff["lines"] = [];
  const perFile = new Map<string, number>();
  let path = "";
  let header = false;
  for (const line of patch.stdout.split("\n")) {
    if (line.startsWith("diff --git ")) header = true;
    else if (header && line.startsWith("+++ ")) path = line.slice(4);
    else if (line.startsWith("@@")) header = false;
    else if (!header && line.startsWith("+") && line.slice(1).trim() !== "" && (perFile.get(path) ?? 0) < FIX_LINES) {
      perFile.set(path, (perFile.get(path) ?? 0) + 1);
      lines.push({ path, text: line.slice(1) });
    }
  }
  return { files, lines };
}

/** The added lines that best say what the fix was: those of files the failure named, then of code, then of tests. */
function fixLines(diff: FixDiff, failure: string): string[] {
  const rank = (path: string) => (failure.includes(basename(path)) ? 0 : /(^|[/._-])(test|tests|spec)([/._-]|$)/i.test(path) ? 2 : 1);
  return [...diff.lines]
    .map((line, i) => ({ line, i }))
    .sort((a, b) => rank(a.line.path) - rank(b.line.path) || a.i - b.i)
    .slice(0, FIX_LINES)
    .map(({ line }) => line.text);
}

/**
 * After a passing iteration: the learning from the failure it fixed, appended to this project's store and
 * (when `global` names one) the global store. Returns it, or undefined when there was nothing to learn.
 * A global store that cannot be written is reported by `warn`, never a failed iteration.
 */
export async function learnFromFix(
  ws: Workspace,
  fixed: Episode,
  runEpisodes: readonly Episode[],
  global: StoreFile | null,
  warn: (message: string) => void,
): Promise<Learning | undefined> {
  // Only a passing iteration that committed something fixed anything (a green one with no change was a flake).
  if (fixed.result !== "progress") return undefined;
  const failed = failureToLearnFrom(runEpisodes);
  if (!failed?.sha || !fixed.sha || failed.sha === fixed.sha) return undefined;
  const diff = await fixDiff(ws.root, failed.sha, fixed.sha);
  if (diff.files.length === 0) return undefined;
  const gates = readGates(ws, failed.iteration);
  const learning = extractLearning({ failed, fixed, diff, gates, project: basename(ws.root), root: ws.root });
  // Learned once: a second passing iteration after the same failure adds nothing.
  if (readLearnings(projectLearnings(ws)).some((l) => l.id === learning.id)) return undefined;
  appendJsonl(projectLearnings(ws).jsonl, Learning, learning);
  if (global) {
    try {
      appendJsonl(global.jsonl, Learning, learning);
    } catch (error) {
      warn(
        `memory: the learning ${learning.id} stays in this project; the global store could not be written: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return learning;
}

/** The failed iteration's gates.json; [] when it is missing or unreadable (the learning then quotes the episode). */
function readGates(ws: Workspace, iteration: number): GateResult[] {
  try {
    return readJson(join(ws.iteration(iteration), "gates.json"), GateResult.array()) ?? [];
  } catch {
    return [];
  }
}

/** Redacted (whole, before any cut) and one line. */
const clean = (text: string) => oneLine(redactText(text).text);
