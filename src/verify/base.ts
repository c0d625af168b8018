// Which commit `loki verify` grades from: the named base, else the branch's upstream, else
// origin/HEAD, else main/master — then the merge base with HEAD. Reads git only; every failure is
// a git error (exit 3) whose hint says how to fix it (shallow CI clones: fetch-depth 0).
import { gitError } from "../core/errors.ts";
import { git as hardenedGit } from "../core/git.ts";

const TIMEOUT_MS = 60_000;
const SHALLOW_HINT =
  "this is a shallow clone without the base's history: run `git fetch --unshallow` (GitHub Actions: `fetch-depth: 0` on actions/checkout; GitLab CI: GIT_DEPTH: 0)";

export type ResolvedBase = { ref: string; sha: string; mergeBase: string; how: "explicit" | "upstream" | "origin/HEAD" | "default branch" };
/** The branch checked out (null when detached); a promise of it, so that a named base resolves while it is read. */
type Branch = string | null | Promise<string | null>;

const git = (root: string, args: string[]) => hardenedGit(args, { cwd: root, timeoutMs: TIMEOUT_MS });

/** A name rev-parse is asked to resolve at all (never an option). */
const nameable = (ref: string) => ref.trim() !== "" && !ref.startsWith("-");

async function commitOf(root: string, ref: string): Promise<string | null> {
  if (!nameable(ref)) return null;
  const result = await git(root, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]);
  return result.ok ? result.stdout.trim() : null;
}

async function isShallow(root: string): Promise<boolean> {
  return (await git(root, ["rev-parse", "--is-shallow-repository"])).stdout.trim() === "true";
}

/** The default base: a branch this one was cut from, never the branch's own remote copy. */
async function defaultBase(root: string, current: Branch): Promise<{ ref: string; how: ResolvedBase["how"] } | null> {
  const [branch, upstream] = await Promise.all([current, git(root, ["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"])]);
  const name = upstream.ok ? upstream.stdout.trim() : "";
  // `git push -u` makes origin/<branch> the upstream: diffing against it shows only unpushed commits.
  const ownCopy = branch !== null && name.slice(name.indexOf("/") + 1) === branch && name !== branch;
  if (name !== "" && !ownCopy) return { ref: name, how: "upstream" };
  const originHead = await git(root, ["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"]);
  if (originHead.ok && originHead.stdout.trim() !== "") return { ref: originHead.stdout.trim(), how: "origin/HEAD" };
  for (const ref of ["main", "master", "origin/main", "origin/master"]) {
    if ((await commitOf(root, ref)) !== null) return { ref, how: "default branch" };
  }
  return null;
}

/** `known`: the commit the named base is, when the caller has read it already (null: not read, or not one). */
export async function resolveBase(
  root: string,
  base: string | undefined,
  branch: Branch,
  known: Promise<string | null> = Promise.resolve(null),
): Promise<ResolvedBase> {
  const chosen = base !== undefined ? { ref: base, how: "explicit" as const } : await defaultBase(root, branch);
  if (chosen === null) {
    const hint = (await isShallow(root)) ? SHALLOW_HINT : "name one: loki verify origin/main (or fetch it first: git fetch origin main)";
    throw gitError("no base to verify against: this branch has no upstream, and there is no origin/HEAD, main or master", { hint });
  }
  // The merge base is asked for with the name as rev-parse resolves it, at the same time: one
  // git process's wait instead of two (nothing moves the ref between them; its answer counts only
  // when the name is a commit).
  const [sha, merge] = await Promise.all([
    base !== undefined ? known.then((commit) => commit ?? commitOf(root, chosen.ref)) : commitOf(root, chosen.ref),
    nameable(chosen.ref) ? git(root, ["merge-base", "--end-of-options", `${chosen.ref}^{commit}`, "HEAD"]) : null,
  ]);
  if (sha === null || merge === null) throw await unknownBase(root, chosen.ref);
  if (!merge.ok || merge.stdout.trim() === "") {
    const shallow = await isShallow(root);
    throw gitError(`${chosen.ref} and HEAD have no common ancestor${shallow ? " in this shallow clone" : ""}`, {
      hint: shallow ? SHALLOW_HINT : `is ${chosen.ref} the branch this one was cut from? name another base: loki verify <base>`,
      data: { base: chosen.ref },
    });
  }
  return { ref: chosen.ref, sha, mergeBase: merge.stdout.trim(), how: chosen.how };
}

async function unknownBase(root: string, ref: string): Promise<Error> {
  const [shallow, remotes] = await Promise.all([isShallow(root), git(root, ["remote"])]);
  const slash = ref.indexOf("/");
  const remote = slash > 0 && remotes.stdout.split("\n").includes(ref.slice(0, slash)) ? ref.slice(0, slash) : null;
  const hint = shallow
    ? `${SHALLOW_HINT}; then fetch the base: git fetch origin ${remote ? ref.slice(slash + 1) : ref}`
    : remote
      ? `fetch it first: git fetch ${remote} ${ref.slice(slash + 1)}`
      : "check the name (git branch -a; git log --oneline -10), or fetch it first: git fetch origin <branch>";
  return gitError(`unknown base "${ref}": not a commit in this repository`, { hint, data: { base: ref } });
}
