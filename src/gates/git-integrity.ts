// Gate "git_integrity": git as loki reads it must not be redefined by the agent. A change during the
// run to .git/config, .git/hooks, .git/info/attributes, .git/info/exclude or refs/replace/* (against
// the run-start snapshot the caller passes in) is a blocking finding, and so is what no diff shows
// but the tests still run (unseen.ts) when it was not there at run start. A .gitattributes in the change is the
// grader_config gate's: attributes are read from the base, so the change is a configuration change.
import { gitSnapshotOf } from "../core/git.ts";
import type { GitSnapshot } from "../core/run-schema.ts";
import type { Finding } from "../core/schema.ts";
import { fingerprint, type Gate } from "./gate.ts";
import { readUnseen, unseenFindings } from "./unseen.ts";

const NO_RUN = ".git internals not compared: no loki run (no run-start snapshot)";

function high(rule: string, message: string, file: string | undefined, identity: string): Finding {
  return { severity: "high", file, message, rule, fingerprint: fingerprint(rule, file, identity) };
}

/** The rule a changed git-internal file falls under, from its `.git/…` key. */
function ruleOf(key: string): string {
  if (key.includes("/hooks/")) return "git-hook";
  if (key.endsWith("/info/attributes")) return "git-info-attributes";
  if (key.endsWith("/info/exclude")) return "git-info-exclude";
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

export const gitIntegrityGate: Gate = {
  id: "git_integrity",
  title: "Git internals unchanged",
  when: () => true,
  run: async ({ subject, gitSnapshot, gitDirs, unseen: read }) => {
    const [internals, unseen] = await Promise.all([
      gitSnapshot ? gitSnapshotOf(subject.root, gitSnapshot.start_sha, gitDirs).then((now) => compareGitSnapshots(gitSnapshot, now)) : [],
      read ?? readUnseen(subject.root),
    ]);
    const findings = [...internals, ...unseenFindings(unseen, gitSnapshot ?? undefined)];
    const details = {
      internals: internals.length,
      hidden: Object.keys(unseen.hidden).length,
      ignored_configs: Object.keys(unseen.ignored).length,
      compared: Boolean(gitSnapshot),
    };
    if (findings.length > 0) {
      const more = findings.length > 1 ? ` (+${findings.length - 1} more)` : "";
      const what = internals.length > 0 ? "git as loki reads it was redefined" : "the tests read what no diff shows";
      return { status: "fail", reason: `${what}: ${findings[0]?.message}${more}`, findings, details };
    }
    if (!gitSnapshot) return { status: "pass", reason: `nothing hidden from the diff; ${NO_RUN}`, findings: [], details };
    return {
      status: "pass",
      reason: ".git config, hooks, info/attributes, info/exclude and replace refs as at run start; nothing hidden from the diff",
      findings: [],
      details,
    };
  },
};
