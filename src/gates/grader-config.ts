// Gate "grader_config": the diff being graded must not change how it is graded. Compares the head's
// test/build/lint commands, .lokiignore, .gitattributes and loki.yaml `verify:` with the
// configuration frozen at the base; a change blocks unless the user accepted it (--accept-config-change).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fingerprint, type Gate, type GateOutcome } from "./gate.ts";
import { SYSTEM_TOOLS } from "./grader-inputs.ts";
import { freezeGrader, graderChanges, type GraderChange } from "./grader.ts";
import { NOT_FOUND, programFingerprints } from "./programs.ts";
import { commitTree, fsTree } from "./tree.ts";

const HOW_TO_ACCEPT =
  "if the change is intended, a maintainer accepts it with `loki verify --accept-config-change` (a run: `loki start|resume --accept-config-change`)";

export const graderConfigGate: Gate = {
  id: "grader_config",
  title: "Grading configuration unchanged",
  when: ({ frozen }) => (frozen === undefined ? "no grading configuration was frozen for this check" : true),
  run: async ({ subject, config, frozen, acceptConfigChange }) => {
    if (frozen === undefined) return { status: "skipped", reason: "no grading configuration was frozen", findings: [] };
    const onDisk = subject.includesWorktree || frozen.read_from === "working tree";
    const tree = onDisk ? fsTree(subject.root) : await commitTree(subject.root, subject.head);
    const changes = graderChanges(frozen, await freezeGrader(tree, config), subject.files);
    // Installed dependencies committed in the diff decide what the test command runs.
    for (const file of subject.files.filter((f) => /(?:^|\/)node_modules\//.test(f.path)))
      changes.push({ what: `${file.path} (a committed dependency)`, before: "", after: file.status, file: file.path });
    changes.push(...programChanges(subject.root, frozen.programs));
    const shadows = shadowed(subject.root);
    if (shadows.length > 0) return shadowing(shadows);
    const details = { frozen_at: frozen.origin, test: frozen.test?.shell ?? frozen.test?.argv.join(" ") ?? null, changes };
    if (changes.length === 0)
      return { status: "pass", reason: `unchanged since ${frozen.origin} (${describeTest(frozen.test)})`, findings: [], details };
    const summary = changes.map((c) => c.what).join(", ");
    if (acceptConfigChange === true)
      return {
        status: "pass",
        reason: `accepted change to the grading configuration (--accept-config-change): ${summary}`,
        findings: [],
        details: { ...details, accepted: true },
      };
    return changed(changes, summary, details);
  },
};

function changed(changes: GraderChange[], summary: string, details: Record<string, unknown>): GateOutcome {
  const findings = changes.map((c) => ({
    severity: "high" as const,
    rule: "grader_config_changed",
    message: c.program
      ? `${c.what} changed during the run (${c.before} → ${c.after}); the tests ran the changed one — ${HOW_TO_ACCEPT}`
      : `${c.what} changed in the graded diff (${c.before || "—"} → ${c.after}); graded with the base's instead — ${HOW_TO_ACCEPT}`,
    ...(c.file === undefined ? {} : { file: c.file }),
    fingerprint: fingerprint("grader_config_changed", c.what, `${c.before}\0${c.after}`),
  }));
  return {
    status: "fail",
    reason: `the diff changes its own grading configuration (${summary}); ${HOW_TO_ACCEPT}`,
    findings,
    details: { ...details, accepted: false },
  };
}

/**
 * The frozen commands' programs that now resolve elsewhere or changed on disk since run start. One
 * that was not installed then (a fresh clone, before `npm install`) may appear: installing the
 * project's dependencies is part of the work.
 */
function programChanges(root: string, frozen: Record<string, string> | undefined): GraderChange[] {
  if (frozen === undefined) return [];
  const now = programFingerprints(root, Object.keys(frozen));
  const changes: GraderChange[] = [];
  for (const [word, before] of Object.entries(frozen)) {
    const after = now[word] ?? NOT_FOUND;
    if (before === after || before === NOT_FOUND) continue;
    const path = after.split(" ")[0] ?? "";
    changes.push({
      what: `the program \`${word}\` a frozen command runs`,
      before,
      after,
      program: true,
      ...(after !== NOT_FOUND && !path.startsWith("/") ? { file: path } : {}),
    });
  }
  return changes;
}

/** node_modules/.bin entries named like a system tool: `node --test` would run them, not node. */
function shadowed(root: string): string[] {
  try {
    return readdirSync(join(root, "node_modules", ".bin")).filter((name) => SYSTEM_TOOLS.has(name));
  } catch {
    return [];
  }
}

function shadowing(names: string[]): GateOutcome {
  const findings = names.map((name) => ({
    severity: "high" as const,
    rule: "shadowed-system-tool",
    file: `node_modules/.bin/${name}`,
    message: `node_modules/.bin/${name} shadows the system's ${name}: the test command would run it instead (remove it; this cannot be accepted)`,
    fingerprint: fingerprint("shadowed-system-tool", name, name),
  }));
  return { status: "fail", reason: findings[0]?.message ?? "", findings, details: { shadowed: names } };
}

function describeTest(test: { shell?: string; argv: string[] } | null): string {
  return test === null ? "no test command" : `test: ${test.shell ?? test.argv.join(" ")}`;
}
