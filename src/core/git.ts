// Git as loki reads and writes it for grading, checkpoints, review copies and proofs: hardened so
// that nothing in the repository or the user's config can redefine it (no replace objects, no
// system/global config, no attribute files, no hooks, no fsmonitor). Queries return null/false on
// failure; the functions that must succeed (repoRoot, workingTreeHash, dirtyFiles, switchBranch,
// commitCheckpoint, readGitSnapshot) throw a gitError naming the next step.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { gitError } from "./errors.ts";
import { type ExecOptions, type ExecResult, run } from "./exec.ts";
import { pinBinary, pinnedPath } from "./pinned.ts";
import { nameable, readOnly } from "./git-argv.ts";
import { sha256 } from "./hash.ts";
import { byConfig, mergeInProgress } from "./git-local.ts";
import type { GitSnapshot } from "./run-schema.ts";

/**
 * The environment of every hardened git call. `GIT_CONFIG_GLOBAL=/dev/null` also drops the user's
 * identity and aliases: commits get their identity passed explicitly (commitIdentityEnv).
 */
export const HARDENED_GIT_ENV: Readonly<Record<string, string>> = {
  GIT_NO_REPLACE_OBJECTS: "1",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_ATTR_NOSYSTEM: "1",
  GIT_TERMINAL_PROMPT: "0",
  GIT_OPTIONAL_LOCKS: "0",
};

/** Settings a repository's own .git/config could otherwise use to run code or change output. */
const HARDENED_CONFIG = [
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "core.attributesFile=/dev/null",
  "-c",
  "core.fsmonitor=false",
  "-c",
  "core.untrackedCache=false",
  "-c",
  "diff.external=",
  "-c",
  "diff.orderFile=/dev/null",
  // A checkpoint commit never starts repository maintenance (`git maintenance run --auto`, an auto
  // gc): a process per commit, and a gc that could race loki's own reads. The user's next commit does it.
  "-c",
  "maintenance.auto=false",
  "-c",
  "gc.auto=0",
];

/**
 * git as this process found it when it started, on PATH's absolute directories: a `git` a graded command
 * planted on PATH later (or a relative PATH entry in the repository) is never the one loki runs, and the
 * file is checked to be the same one before every call.
 */
const GIT = pinBinary("git");

/** The pinned git, for the calls that keep the user's own config (their identity, their push credentials). */
export function gitBinary(): string {
  return pinnedPath(GIT);
}

/** argv for a hardened git call: `git <hardening> <args>`. */
export function gitArgv(args: readonly string[], safeDirectories: readonly string[] = []): string[] {
  return [pinnedPath(GIT), ...HARDENED_CONFIG, ...safeDirectories.flatMap((dir) => ["-c", `safe.directory=${dir}`]), ...args];
}

let safeDirectories: Promise<string[]> | undefined;

/**
 * The user's own `safe.directory` entries (system and global config), read once per process: the
 * one setting of theirs hardened git keeps, so a CI container whose checkout belongs to another
 * user still works as it did. Every call carries them (without, some git commands see no repository
 * there and answer as if empty); read while the command's modules load (prefetchSafeDirectories).
 */
function userSafeDirectories(): Promise<string[]> {
  safeDirectories ??= run([pinnedPath(GIT), "config", "--get-all", "safe.directory"], { cwd: "/", timeoutMs: 10_000 }).then((r) =>
    r.ok ? r.stdout.split("\n").filter(Boolean) : [],
  );
  return safeDirectories;
}

/** Starts reading the user's safe.directory entries now (see userSafeDirectories). */
export function prefetchSafeDirectories(): void {
  void userSafeDirectories();
}

/** Runs `git <args>` hardened (see HARDENED_GIT_ENV); never throws, like exec's run. */
export async function git(args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return run(gitArgv(args, await userSafeDirectories()), {
    ephemeral: readOnly(args),
    ...options,
    env: { ...options.env, ...HARDENED_GIT_ENV },
  });
}

export { nameable, readOnly };

export async function isRepo(dir: string): Promise<boolean> {
  const result = await git(["rev-parse", "--is-inside-work-tree"], { cwd: dir, timeoutMs: 10_000 });
  return result.ok && result.stdout.trim() === "true";
}

export async function repoRoot(dir: string): Promise<string> {
  const result = await git(["rev-parse", "--show-toplevel"], { cwd: dir, timeoutMs: 10_000 });
  if (!result.ok) throw gitError(`${dir} is not inside a git repository`, { hint: "run `git init` first, or cd into your repository" });
  return result.stdout.trim();
}

export async function headSha(dir: string): Promise<string | null> {
  const result = await git(["rev-parse", "--verify", "--quiet", "HEAD"], { cwd: dir, timeoutMs: 10_000 });
  return result.ok ? result.stdout.trim() : null;
}

/** The fetch URL of `remote`, or null when it is not configured. */
export async function remoteUrl(dir: string, remote = "origin"): Promise<string | null> {
  const result = await git(["remote", "get-url", remote], { cwd: dir, timeoutMs: 10_000 });
  return result.ok ? result.stdout.trim() || null : null;
}

/**
 * `-c` settings that switch off every filter driver the repository's config defines. `git add`, and
 * any checkout, would run a driver's clean/smudge/process command on the host — one the agent can
 * write into .git/config and name in .gitattributes (git 2.39 cannot ignore in-tree attributes).
 * Reading the config runs nothing; an empty command is no filter. Call it after the agent's call has
 * ended (nothing it started outlives the call), right before the git call it guards.
 */
export function filtersOff(dir: string): Promise<string[]> {
  return filtersOfConfig(dir);
}

/** filtersOff's answer, read again only when the repository's config bytes change (core/git-local.ts). */
const filtersOfConfig = byConfig(async (dir) => {
  // Names only, NUL-separated: a value (any bytes, line breaks) never reads as a key.
  const listed = await git(["config", "--name-only", "-z", "--get-regexp", "^filter\\."], { cwd: dir, timeoutMs: 10_000 });
  // Exit 1 with nothing printed is "no filter"; a config that cannot be read whole is never read as none.
  if (listed.truncated || !(listed.exitCode === 0 || (listed.exitCode === 1 && listed.stdout === "")))
    throw gitError(`cannot read the filter drivers in ${dir}'s git config: ${listed.digest || listed.spawnError || "too large"}`, {
      hint: "check the repository's .git/config (git config --list --show-origin)",
    });
  const names = new Set<string>();
  for (const key of listed.stdout.split("\0")) {
    const name = /^filter\.(.*)\.[^.]+$/s.exec(key)?.[1];
    if (name === undefined) continue;
    // `-c filter.<name>.clean=` splits at the first "=" and names no driver when the name is empty:
    // such a driver could not be switched off, so nothing runs git in its repository.
    if (name === "" || name.includes("="))
      throw gitError(`the repository's git config defines a filter driver loki cannot switch off: ${JSON.stringify(name)}`, {
        hint: `remove it: git config --remove-section ${JSON.stringify(`filter.${name}`)}`,
      });
    names.add(name);
  }
  return [...names].flatMap((name) =>
    ["clean=", "smudge=", "process=", "required=false"].flatMap((setting) => ["-c", `filter.${name}.${setting}`]),
  );
});

/**
 * sha of a tree holding every tracked and untracked (not ignored) file as it is on disk now.
 * Built in a throwaway index so the user's staging area is untouched. `seed`: the commit whose files
 * count as tracked (default: `dir`'s HEAD, one git call more; null: none).
 */
export async function workingTreeHash(dir: string, seed?: string | null): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), "loki-index-"));
  const env = { GIT_INDEX_FILE: join(scratch, "index") };
  try {
    const head = seed === undefined ? await headSha(dir) : seed;
    const off = await filtersOff(dir);
    if (head) await mustRun(["read-tree", head], dir, env);
    await mustRun([...off, "add", "-A", "--", "."], dir, env);
    return (await mustRun([...off, "write-tree"], dir, env)).trim();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function mustRun(args: string[], cwd: string, env: Record<string, string>): Promise<string> {
  const result = await git(args, { cwd, env, timeoutMs: 120_000 });
  if (!result.ok) throw gitError(`git ${args.join(" ")} failed: ${result.digest}`);
  return result.stdout;
}

/** Uncommitted changes (tracked or untracked, not ignored), as `git status --porcelain` lines. */
export async function dirtyFiles(dir: string): Promise<string[]> {
  const result = await git([...(await filtersOff(dir)), "status", "--porcelain", "--untracked-files=all"], { cwd: dir, timeoutMs: 60_000 });
  if (!result.ok) throw gitError(`git status failed: ${result.digest}`);
  return result.stdout.split("\n").filter((line) => line.trim() !== "");
}

export async function treeOfHead(dir: string): Promise<string | null> {
  const result = await git(["rev-parse", "--verify", "--quiet", "HEAD^{tree}"], { cwd: dir, timeoutMs: 10_000 });
  return result.ok ? result.stdout.trim() : null;
}

export async function currentBranch(dir: string): Promise<string | null> {
  const result = await git(["symbolic-ref", "--quiet", "--short", "HEAD"], { cwd: dir, timeoutMs: 10_000 });
  return result.ok ? result.stdout.trim() : null;
}

/** Switch to `branch`, creating it at HEAD when it does not exist. */
export async function switchBranch(dir: string, branch: string): Promise<void> {
  const exists = (await git(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], { cwd: dir })).ok;
  // A switch checks files out, which runs smudge filters: none of the repository's own.
  const off = await filtersOff(dir);
  const result = await git([...off, ...(exists ? ["switch", "--quiet", branch] : ["switch", "--quiet", "-c", branch])], {
    cwd: dir,
    timeoutMs: 60_000,
  });
  if (!result.ok)
    throw gitError(`could not switch to branch ${branch}: ${result.digest}`, {
      hint: "commit or stash your changes, or choose another --branch",
    });
}

const identities = new Map<string, Promise<Record<string, string>>>();

/** commitIdentityEnv, read once per repository and process: a checkpoint per iteration reads the same. */
function commitIdentity(dir: string): Promise<Record<string, string>> {
  let identity = identities.get(dir);
  if (!identity) {
    identity = commitIdentityEnv(dir);
    identities.set(dir, identity);
  }
  return identity;
}

/**
 * Identity for loki's own commits, passed explicitly because hardened git reads no user config:
 * the user's configured name and email (a plain read, which runs nothing), else "loki".
 */
async function commitIdentityEnv(dir: string): Promise<Record<string, string>> {
  const read = async (key: string) => {
    const result = await run([gitBinary(), "config", "--get", key], { cwd: dir, env: { GIT_CONFIG_NOSYSTEM: "1" }, timeoutMs: 10_000 });
    return result.ok ? result.stdout.trim() : "";
  };
  const [name, email] = await Promise.all([read("user.name"), read("user.email")]);
  const n = name || "loki";
  const e = email || "loki@localhost";
  return { GIT_AUTHOR_NAME: n, GIT_AUTHOR_EMAIL: e, GIT_COMMITTER_NAME: n, GIT_COMMITTER_EMAIL: e };
}

/** HEAD and its tree after a checkpoint (nulls before the first commit), with whatever else its reader asks in the same call. */
export type HeadAndTree = { sha: string | null; tree: string | null };

/** Commit everything (tracked and untracked, not ignored) when anything changed. No hook and no filter
 *  driver runs (the agent's would otherwise run on the host): a checkpoint records the work as it is.
 *  `readHead` reads HEAD and its tree once the checkpoint is made (default: one rev-parse of just those). */
export async function commitCheckpoint<R extends HeadAndTree = HeadAndTree>(
  dir: string,
  message: string,
  never: readonly string[] = [],
  readHead: (dir: string) => Promise<R> = headAndTree as (dir: string) => Promise<R>,
): Promise<R & { changed: boolean }> {
  // add, and commit's index refresh too, would hash a racily clean file through its filter.
  const off = await filtersOff(dir);
  // `never`: repository paths no checkpoint stages, whatever a .gitignore the agent wrote says (the spec).
  const skip = never.map((rel) => `:(exclude,literal,top)${rel}`);
  const add = await git([...off, "add", "-A", "--", ".", ...skip], { cwd: dir, timeoutMs: 120_000 });
  // A skipped path that is also ignored makes git say so and exit 1, having staged everything else.
  const onlyIgnored = skip.length > 0 && add.exitCode === 1 && /are ignored by one of your \.gitignore files/.test(add.stderr);
  if (!add.ok && !onlyIgnored) throw gitError(`git add failed: ${add.digest}`);
  const nothingStaged = async () => (await git([...off, "diff", "--cached", "--quiet"], { cwd: dir, timeoutMs: 120_000 })).exitCode === 0;
  // With a merge pending (or no plain way to tell), what was staged is asked before committing: a
  // commit with nothing staged then still succeeds (a two-parent commit of an unchanged tree), and is
  // no checkpoint. Without one, commit itself refuses to commit nothing (exit 1), asked only then.
  if (mergeInProgress(dir) !== false && (await nothingStaged())) return { ...(await readHead(dir)), changed: false };
  const env = await commitIdentity(dir);
  const commit = await git([...off, "commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", message], {
    cwd: dir,
    env,
    timeoutMs: 120_000,
  });
  if (!commit.ok && commit.exitCode === 1 && (await nothingStaged())) return { ...(await readHead(dir)), changed: false };
  if (!commit.ok) throw gitError(`checkpoint commit failed: ${commit.digest}`);
  return { ...(await readHead(dir)), changed: true };
}

/**
 * Keeps `rel` (a spec) out of git in the repository at `dir` — a line in its local .git/info/exclude,
 * never a committed file — so the held-out items it names never enter history, where anything run in
 * the repository can read them. `firstCommit`: a repository loki just made gets a first commit (empty if
 * nothing else is there); null leaves an existing repository's history alone.
 */
export async function keepOutOfGit(dir: string, rel: string, firstCommit: string | null): Promise<void> {
  const common = await git(["rev-parse", "--git-common-dir"], { cwd: dir, timeoutMs: 10_000 });
  if (!common.ok) throw gitError(`not a git repository: ${common.digest}`);
  const info = join(isAbsolute(common.stdout.trim()) ? common.stdout.trim() : join(dir, common.stdout.trim()), "info");
  mkdirSync(info, { recursive: true });
  const exclude = join(info, "exclude");
  // An exclude pattern: glob characters and a leading ! or # are escaped, so the line names this path only.
  const line = `/${rel.replace(/[[\]*?\\]/g, "\\$&").replace(/^[!#]/, "\\$&")}`;
  const now = existsSync(exclude) ? readFileSync(exclude, "utf8") : "";
  if (!now.split("\n").includes(line)) appendFileSync(exclude, `${now === "" || now.endsWith("\n") ? "" : "\n"}${line}\n`);
  if (firstCommit === null || (await headSha(dir))) return;
  const made = await commitCheckpoint(dir, firstCommit, [rel]);
  if (made.sha) return;
  const empty = await git(["commit", "--quiet", "--allow-empty", "--no-verify", "--no-gpg-sign", "-m", firstCommit], {
    cwd: dir,
    env: await commitIdentity(dir),
    timeoutMs: 30_000,
  });
  if (!empty.ok) throw gitError(`first commit failed: ${empty.digest}`);
}

/** One commit on `parent` with `commit`'s tree (a run's checkpoints as one): no other history comes with it. */
export async function squashOnto(dir: string, commit: string, parent: string, message: string): Promise<string> {
  const made = await git(["commit-tree", `${commit}^{tree}`, "-p", parent, "-m", message], {
    cwd: dir,
    env: await commitIdentity(dir),
    timeoutMs: 60_000,
  });
  if (!made.ok) throw gitError(`git commit-tree failed: ${made.digest}`);
  return made.stdout.trim();
}

/** Commits exactly `paths` (loki's own files, e.g. the planner's architecture note); nothing else staged goes in. */
export async function commitPaths(dir: string, paths: readonly string[], message: string): Promise<string> {
  const off = await filtersOff(dir);
  const add = await git([...off, "add", "--", ...paths], { cwd: dir, timeoutMs: 120_000 });
  if (!add.ok) throw gitError(`git add failed: ${add.digest}`);
  const commit = await git([...off, "commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", message, "--", ...paths], {
    cwd: dir,
    env: await commitIdentity(dir),
    timeoutMs: 120_000,
  });
  if (!commit.ok) throw gitError(`commit failed: ${commit.digest}`);
  const head = await headAndTree(dir);
  if (!head.sha) throw gitError("commit made no HEAD");
  return head.sha;
}

/** HEAD and its tree in one git call (`--`: a file named HEAD is never taken for them); nulls before the first commit. */
export async function headAndTree(dir: string): Promise<HeadAndTree> {
  const result = await git(["rev-parse", "HEAD", "HEAD^{tree}", "--"], { cwd: dir, timeoutMs: 10_000 });
  const [sha, tree] = result.stdout.split("\n");
  const id = /^[0-9a-f]{40,64}$/;
  return result.ok && sha && tree && id.test(sha) && id.test(tree) ? { sha, tree } : { sha: null, tree: null };
}

/** The tree a commit points at (replace objects ignored, as everywhere here), or null. */
export async function treeOf(dir: string, commit: string): Promise<string | null> {
  const result = await git(["rev-parse", "--verify", "--quiet", `${commit}^{tree}`], { cwd: dir, timeoutMs: 10_000 });
  return result.ok ? result.stdout.trim() : null;
}

/** The git directory, the common one (a linked worktree's files are there), both absolute, and the tree
 *  `startSha` resolves to (null: none), as one git answer gave them. */
export type GitDirs = { gitDir: string; commonDir: string; startSha: string; startTree: string | null };

/**
 * GitDirs in one spawn; the start commit that no longer resolves asks again apart.
 */
async function gitDirsAndTree(dir: string, startSha: string): Promise<GitDirs> {
  const both = await git(["rev-parse", "--git-dir", "--git-common-dir", `${startSha}^{tree}`, "--"], { cwd: dir, timeoutMs: 10_000 });
  const [gitDir, commonDir, tree] = both.stdout.split("\n").map((line) => line.trim());
  if (both.ok && gitDir && commonDir && tree && /^[0-9a-f]{40,64}$/.test(tree) && !startSha.startsWith("-"))
    return { gitDir: resolve(dir, gitDir), commonDir: resolve(dir, commonDir), startSha, startTree: tree };
  const [dirs, startTree] = await Promise.all([
    git(["rev-parse", "--git-dir", "--git-common-dir"], { cwd: dir, timeoutMs: 10_000 }),
    treeOf(dir, startSha),
  ]);
  const [apart, common] = dirs.stdout.split("\n").map((line) => resolve(dir, line.trim()));
  if (!dirs.ok || apart === undefined || common === undefined) throw gitError(`${dir}: cannot locate the git directory: ${dirs.digest}`);
  return { gitDir: apart, commonDir: common, startSha, startTree };
}

/**
 * The git internals an agent could use to redefine what git shows or runs (config, hooks,
 * info/attributes, info/exclude, replace refs) plus the tree of `startSha`: recorded at run start
 * and read again by the git_integrity gate. A linked worktree's files are found through its common git dir.
 */
export async function readGitSnapshot(dir: string, startSha: string): Promise<GitSnapshot> {
  const snapshot = await gitSnapshotOf(dir, startSha);
  if (snapshot.start_tree === "") throw gitError(`${dir}: the start commit ${startSha} has no tree`);
  return snapshot;
}

/** readGitSnapshot's record, with `start_tree` "" when `startSha` no longer resolves to a tree. `dirs`: GitDirs
 *  the caller just read for this start commit (core/git-repo.ts gradingRevisions), so they are not asked again. */
export async function gitSnapshotOf(dir: string, startSha: string, dirs?: GitDirs): Promise<GitSnapshot> {
  const [located, refs] = await Promise.all([
    dirs?.startSha === startSha ? dirs : gitDirsAndTree(dir, startSha),
    git(["for-each-ref", "--format=%(refname) %(objectname)", "refs/replace/"], { cwd: dir, timeoutMs: 10_000 }),
  ]);
  const { gitDir, commonDir, startTree } = located;
  if (!refs.ok) throw gitError(`git for-each-ref refs/replace failed: ${refs.digest}`);
  const files: Record<string, string> = {};
  const record = (file: string) => {
    const rel = relative(commonDir, file);
    files[rel.startsWith("..") || isAbsolute(rel) ? file : `.git/${rel}`] = sha256(readFileSync(file));
  };
  const hooks = join(commonDir, "hooks");
  const hookFiles = existsSync(hooks) ? readdirSync(hooks, { recursive: true }).map((name) => join(hooks, String(name))) : [];
  const info = (name: string) => join(commonDir, "info", name);
  for (const file of [join(commonDir, "config"), join(gitDir, "config.worktree"), info("attributes"), info("exclude"), ...hookFiles]) {
    if (existsSync(file) && statSync(file).isFile()) record(file);
  }
  return { start_sha: startSha, start_tree: startTree ?? "", files, replace_refs: refs.stdout.split("\n").filter(Boolean).sort() };
}
