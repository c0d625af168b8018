// What the run changed since its start commit, for the dashboard's diff panel: the files as of its
// latest checkpoint (HEAD) by index, and one file's unified diff, redacted and capped. Tree to tree,
// never the working tree: reading it would run the filter drivers the agent can define (.gitattributes
// + .git/config) on the host, outside the sandbox; git here runs none of them, and writes nothing.
import { z } from "zod";
import { git } from "../core/git.ts";
import { redactText } from "../core/redact.ts";
import { readJson, workspaceAt } from "../core/workspace.ts";
import { lazySchema } from "../core/lazy-schema.ts";

export type DiffFile = { index: number; path: string; added: number | null; deleted: number | null; binary: boolean };
/** `error` says why the list is empty when git could not answer (never a silent "no changes"). */
export type DiffList = { start_sha: string | null; files: DiffFile[]; error?: string };
export type FileDiff = { path: string; text: string; truncated: boolean };

export type DiffReader = {
  list: () => Promise<DiffList>;
  /** null: `index` is not in the last list. */
  file: (index: number) => Promise<FileDiff | null>;
  close: () => void;
};

export const DIFF_CAP_BYTES = 256 * 1024;

/** Only the fields read here: a state file from a newer engine still yields its start commit. */
const RunStart = lazySchema(() => z.object({ run_id: z.string(), start_sha: z.string().regex(/^[0-9a-f]{40,64}$/) }));
export type RunStart = z.infer<typeof RunStart>;

/** The run in .loki/state/orchestrator.json, or null when there is none or it is unreadable. */
export function readRunStart(root: string): RunStart | null {
  try {
    return readJson(workspaceAt(root).orchestrator, RunStart) ?? null;
  } catch {
    return null;
  }
}

const DIFF_FLAGS = ["--no-ext-diff", "--no-textconv", "--no-renames", "--no-color"];

/** `git diff --numstat -z` records: `added\tdeleted\tpath\0`, with `-\t-` for a binary file. */
export function parseNumstat(out: string): DiffFile[] {
  const files: DiffFile[] = [];
  for (const record of out.split("\0")) {
    const match = /^(-|\d+)\t(-|\d+)\t([\s\S]+)$/.exec(record);
    if (!match) continue;
    const binary = match[1] === "-" && match[2] === "-";
    const count = (n: string | undefined) => (n === undefined || n === "-" ? null : Number(n));
    files.push({ index: files.length, path: match[3] ?? "", added: count(match[1]), deleted: count(match[2]), binary });
  }
  return files;
}

type Listed = { sha: string; tree: string; files: DiffFile[] };

export function createDiffReader(root: string): DiffReader {
  let last: Listed | null = null;
  // Each answer from one list: a file is named by its index in the list the page was shown.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  /** The latest checkpoint's tree: the run commits every iteration's work, so this is the run's change so far. */
  async function checkpointTree(): Promise<string | { error: string }> {
    const head = await git(["rev-parse", "--verify", "--quiet", "HEAD^{tree}"], { cwd: root, timeoutMs: 10_000 });
    return head.ok ? head.stdout.trim() : { error: `git rev-parse HEAD failed: ${head.digest}` };
  }

  const list = () =>
    serial(async (): Promise<DiffList> => {
      const run = readRunStart(root);
      if (!run) return { start_sha: null, files: [] };
      const tree = await checkpointTree();
      if (typeof tree !== "string") return { start_sha: run.start_sha, files: [], error: redactText(tree.error).text };
      const stat = await git(["diff", ...DIFF_FLAGS, "--numstat", "-z", run.start_sha, tree], { cwd: root, timeoutMs: 120_000 });
      if (!stat.ok) return { start_sha: run.start_sha, files: [], error: redactText(`git diff failed: ${stat.digest}`).text };
      last = { sha: run.start_sha, tree, files: parseNumstat(stat.stdout) };
      return { start_sha: run.start_sha, files: last.files.map((f) => ({ ...f, path: redactText(f.path).text })) };
    });

  const file = async (index: number): Promise<FileDiff | null> => {
    if (!last) await list();
    return serial(async () => {
      const entry = last?.files[index];
      if (!last || !entry) return null;
      const out = await git(["diff", ...DIFF_FLAGS, last.sha, last.tree, "--", entry.path], {
        cwd: root,
        // The path is a name from git's own list, not a pattern: `*` or `:(glob)` in it must match only itself.
        env: { GIT_LITERAL_PATHSPECS: "1" },
        timeoutMs: 60_000,
        maxOutputBytes: DIFF_CAP_BYTES + 64 * 1024,
      });
      return { path: redactText(entry.path).text, ...capped(out.stdout, out.truncated) };
    });
  };

  const close = () => {
    last = null;
  };

  return { list, file, close };
}

/**
 * At most DIFF_CAP_BYTES, cut at a line end, then redacted: a secret split by the cut could
 * otherwise slip past the rules that need its whole shape.
 */
export function capped(raw: string, alreadyTruncated: boolean): { text: string; truncated: boolean } {
  const bytes = Buffer.from(raw, "utf8");
  let text = raw;
  let truncated = alreadyTruncated;
  if (bytes.length > DIFF_CAP_BYTES || alreadyTruncated) {
    const head = bytes.subarray(0, DIFF_CAP_BYTES);
    const end = head.lastIndexOf(0x0a);
    text = head.subarray(0, end + 1).toString("utf8");
    truncated = true;
  }
  return { text: redactText(text).text, truncated };
}
