// The artifact side of `loki ci deliver`: its manifest, its proof and its one commit, each read as
// something an agent may have shaped — regular files inside the artifact only, bounded in size, the
// commit fetched under the issue's own ref name — and the checks that need the commit checked out.
import { createPublicKey } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative } from "node:path";
import { CI_BUNDLE_REF, CI_FILES, CiManifest } from "../core/ci-schema.ts";
import { messageOf, usageError, workspaceError } from "../core/errors.ts";
import { filtersOff, git } from "../core/git.ts";
import { writeFileAtomic } from "../core/workspace.ts";
import type { IssueRef } from "../forge/types.ts";
import { parseIssueArg } from "../spec/detect.ts";

const MANIFEST_MAX = 64 * 1024;
const PROOF_MAX = 32 * 1024 * 1024;

/** The artifact's proof of `runId`, copied to `dir` (the checkout's .loki/proofs/<run>/) where `loki proof verify` reads it. */
export function copyProof(artifact: string, runId: string, dir: string): void {
  const proofFile = join(artifact, CI_FILES.proofDir, runId, "proof.json");
  if (!insideArtifact(artifact, proofFile) || !lstatSync(proofFile).isFile())
    throw workspaceError(`the artifact has no proof for run ${runId} (${proofFile} is missing or not a file)`);
  if (lstatSync(proofFile).size > PROOF_MAX) throw workspaceError(`${proofFile} is larger than any proof loki writes`);
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, "proof.json"), readFileSync(proofFile, "utf8"), 0o644);
}

/**
 * `work` run in a checkout of `commit` of its own: git reads .gitattributes (a diff's hunk headers) from
 * the working tree, and the build derived the proof's diff in a tree at the run's head, not the default branch.
 */
export async function atCommit<T>(root: string, commit: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "loki-ci-deliver-"));
  // A checkout runs smudge filters: none of the repository's own (core/git.ts filtersOff).
  const added = await git([...(await filtersOff(root)), "worktree", "add", "--quiet", "--detach", dir, commit], {
    cwd: root,
    timeoutMs: 300_000,
  });
  if (!added.ok) throw workspaceError(`cannot check out ${commit.slice(0, 12)} to compare it with the proof: ${added.digest}`);
  try {
    return await work(dir);
  } finally {
    await git(["worktree", "remove", "--force", dir], { cwd: root, timeoutMs: 120_000 }).catch(() => null);
    rmSync(dir, { recursive: true, force: true });
    await git(["worktree", "prune"], { cwd: root, timeoutMs: 60_000 }).catch(() => null);
  }
}

/** The file exists and, links resolved, is in the artifact directory (a linked proof/ dir is not). */
function insideArtifact(artifact: string, file: string): boolean {
  if (!existsSync(file)) return false;
  const rel = relative(realpathSync(artifact), realpathSync(file));
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

export function sameKey(embedded: string, pem: string): boolean {
  try {
    const der = (text: string) => createPublicKey(text).export({ type: "spki", format: "der" });
    return der(embedded).equals(der(pem));
  } catch {
    return false;
  }
}

export function issueOf(text: string): IssueRef & { number: number } {
  const ref = issueFromRef(text);
  if (!ref || !("number" in ref)) throw usageError(`"${text}" is not a GitHub or GitLab issue`, { hint: "give it as owner/repo#N" });
  return ref;
}

export function issueFromRef(text: string): (IssueRef & { number: number }) | null {
  try {
    const target = parseIssueArg(text.trim());
    return target?.kind === "issue" && "number" in target.ref ? target.ref : null;
  } catch {
    return null;
  }
}

export function readManifest(dir: string): CiManifest {
  const path = join(dir, CI_FILES.manifest);
  if (!existsSync(path))
    throw usageError(`${dir} is not a whole loki CI artifact: ${CI_FILES.manifest} is missing`, {
      hint: "point at the directory `loki ci build --out` wrote (the build may have stopped before packing)",
    });
  // Regular files only: a link to /proc/self/environ would read this job's tokens into an error message.
  if (!lstatSync(path).isFile()) throw workspaceError(`${path} is not a regular file`);
  if (lstatSync(path).size > MANIFEST_MAX) throw workspaceError(`${path} is larger than any manifest loki writes`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw workspaceError(`${path} is not JSON (${messageOf(error)})`);
  }
  const parsed = CiManifest.safeParse(raw);
  if (!parsed.success)
    throw workspaceError(`${path} is not a loki CI manifest: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** The artifact's one commit for `branch`, fetched here (null: it carries none); or why it is not this issue's. */
export async function placeCommit(
  root: string,
  artifact: string,
  manifest: CiManifest,
  branch: string,
): Promise<{ commit: string | null } | string> {
  if (manifest.bundle === null) return { commit: null };
  const bundle = join(artifact, CI_FILES.bundle);
  if (!insideArtifact(artifact, bundle) || !lstatSync(bundle).isFile())
    throw workspaceError(`the artifact names ${CI_FILES.bundle} but has no such file`);
  const heads = await git(["bundle", "list-heads", bundle], { cwd: root });
  if (!heads.ok) throw workspaceError(`${bundle} is not a git bundle: ${heads.digest}`);
  const ref = `${CI_BUNDLE_REF}${branch}`;
  const names = heads.stdout
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .filter(Boolean);
  if (!names.includes(ref)) return `the artifact holds commits for ${names.join(", ") || "nothing"}, not ${branch}`;
  const fetched = await git(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", bundle, `+${ref}:${ref}`], {
    cwd: root,
    timeoutMs: 300_000,
  });
  if (!fetched.ok)
    throw workspaceError(`cannot take the commit from ${bundle}: ${fetched.digest}`, {
      hint: "check out with full history (fetch-depth: 0)",
    });
  const tip = await git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd: root });
  if (!tip.ok) throw workspaceError(`the bundle's ${ref} is not a commit`);
  return { commit: tip.stdout.trim() };
}
