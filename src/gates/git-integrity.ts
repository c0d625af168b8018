// Gate "git_integrity": git as loki reads it must not be redefined by the agent. A change during the
// run to .git/config, .git/hooks, .git/info/attributes or refs/replace/* (against the run-start
// snapshot the caller passes in), or any .gitattributes in the change, is a blocking finding.
import { posix } from "node:path";
import { readGitSnapshot, treeOf } from "../core/git.ts";
import type { GitSnapshot } from "../core/run-schema.ts";
import type { Finding } from "../core/schema.ts";
import { fingerprint, type ChangedFile, type Gate } from "./gate.ts";

const NO_RUN = ".git internals not compared: no loki run (no run-start snapshot)";
const NO_SNAPSHOT = ".git internals not compared: this run recorded no snapshot at its start";
const ATTRIBUTES_WHY = "attributes decide what the grader sees";

function high(rule: string, message: string, file: string | undefined, identity: string): Finding {
  return { severity: "high", file, message, rule, fingerprint: fingerprint(rule, file, identity) };
}

/** The rule a changed git-internal file falls under, from its `.git/…` key. */
function ruleOf(key: string): string {
  if (key.includes("/hooks/")) return "git-hook";
  if (key.endsWith("/info/attributes")) return "git-info-attributes";
  return "git-config";
}

/** One finding per git-internal file, replace ref or start tree that differs from the snapshot. */
export function compareGitSnapshots(before: GitSnapshot, after: GitSnapshot): Finding[] {
  const findings: Finding[] = [];
  const keys = [...new Set([...Object.keys(before.files), ...Object.keys(after.files)])].sort();
  for (const key of keys) {
    const [was, now] = [before.files[key], after.files[key]];
    if (was === now) continue;
    const verb = was === undefined ? "added" : now === undefined ? "removed" : "changed";
    findings.push(high(ruleOf(key), `the agent ${verb} ${key} during the run`, key, `${verb} ${now ?? ""}`));
  }
  const refName = (line: string) => line.split(" ")[0] ?? line;
  const wasRefs = new Map(before.replace_refs.map((line) => [refName(line), line]));
  const nowRefs = new Map(after.replace_refs.map((line) => [refName(line), line]));
  for (const ref of [...new Set([...wasRefs.keys(), ...nowRefs.keys()])].sort()) {
    const [was, now] = [wasRefs.get(ref), nowRefs.get(ref)];
    if (was === now) continue;
    const verb = was === undefined ? "added" : now === undefined ? "removed" : "changed";
    findings.push(
      high(
        "git-replace-ref",
        `the agent ${verb} replace ref ${ref} during the run: a replace ref swaps one object for another`,
        undefined,
        `${verb} ${now ?? was}`,
      ),
    );
  }
  if (before.start_tree !== after.start_tree) {
    const message = `the run-start commit ${before.start_sha.slice(0, 12)} no longer resolves to the tree recorded at run start (${before.start_tree.slice(0, 12)} → ${after.start_tree.slice(0, 12) || "none"})`;
    findings.push(high("git-start-tree", message, undefined, after.start_tree));
  }
  return findings;
}

const isAttributes = (path: string | undefined) => path !== undefined && posix.basename(path) === ".gitattributes";

/** One finding per .gitattributes file the change adds, modifies, deletes or renames. */
export function gitattributesFindings(files: readonly ChangedFile[]): Finding[] {
  return files
    .filter((file) => isAttributes(file.path) || isAttributes(file.oldPath))
    .map((file) => {
      const verb = file.status === "modified" ? "changed" : file.status;
      const identity = `${verb} ${file.added.map((l) => l.text).join("\n")}`;
      return high("gitattributes", `${file.path} ${verb}: ${ATTRIBUTES_WHY}`, file.path, identity);
    });
}

/** The repository now, against the snapshot; a start commit that no longer resolves has tree "". */
async function currentSnapshot(root: string, before: GitSnapshot): Promise<GitSnapshot> {
  if ((await treeOf(root, before.start_sha)) === null) {
    const { files, replace_refs } = await readGitSnapshot(root, "HEAD");
    return { start_sha: before.start_sha, start_tree: "", files, replace_refs };
  }
  return readGitSnapshot(root, before.start_sha);
}

export const gitIntegrityGate: Gate = {
  id: "git_integrity",
  title: "Git internals unchanged",
  when: () => true,
  run: async ({ subject, gitSnapshot }) => {
    const attributes = gitattributesFindings(subject.files);
    const internals = gitSnapshot ? compareGitSnapshots(gitSnapshot, await currentSnapshot(subject.root, gitSnapshot)) : [];
    const findings = [...attributes, ...internals];
    const details = { gitattributes: attributes.length, internals: internals.length, compared: Boolean(gitSnapshot) };
    if (findings.length > 0) {
      const more = findings.length > 1 ? ` (+${findings.length - 1} more)` : "";
      return { status: "fail", reason: `git as loki reads it was redefined: ${findings[0]?.message}${more}`, findings, details };
    }
    const compared = gitSnapshot
      ? ".git config, hooks, info/attributes and replace refs as at run start"
      : gitSnapshot === null
        ? NO_SNAPSHOT
        : NO_RUN;
    return { status: "pass", reason: `no .gitattributes changed; ${compared}`, findings: [], details };
  },
};
