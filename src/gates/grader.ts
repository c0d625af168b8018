// The frozen grading configuration: what the base says the test/build/lint commands (and the
// scripts and files they run), secret suppressions, runner settings and loki.yaml `verify:` are,
// how the head differs from it, and which project the gates grade with. Over Trees (gates/tree.ts).
import type { Config } from "../core/config.ts";
import type { GraderConfig } from "../core/grader-schema.ts";
import { sha256 } from "../core/hash.ts";
import { detectProject, type Command, type Project } from "./detect.ts";
import type { ChangedFile } from "./gate.ts";
import { packageRunnerConfig, packageScripts, pathWords, runnerConfigChanges, scriptClosure } from "./grader-inputs.ts";
import type { Tree } from "./tree.ts";

/** The yaml package, loaded when a loki.yaml is first read here (its start-up is not every verify's). */
const yaml = () => require("yaml") as typeof import("yaml");

/** `program`: a program a frozen command starts (gates/programs.ts), not a file of the diff. */
export type GraderChange = { what: string; before: string; after: string; file?: string; program?: boolean };

const ROLES = ["test", "build", "lint"] as const;

/** The grading configuration `tree` declares, with `config`'s verify.* (env and flags included) applied. */
export async function freezeGrader(tree: Tree, config: Config): Promise<GraderConfig> {
  const project = detectProject(tree, config);
  const commands = ROLES.map((role) => project[role]).filter((c): c is Command => c !== null);
  const pkg = tree.read("package.json");
  const scripts = scriptClosure(
    commands.map((c) => c.shell ?? c.argv.join(" ")),
    packageScripts(pkg),
  );
  const shells = [...commands.map((c) => c.shell ?? c.argv.join(" ")), ...Object.values(scripts)];
  const candidates = [...new Set(commands.flatMap((c) => pathWords(c, shells)))];
  await tree.preload(candidates);
  const files = Object.fromEntries(candidates.filter((p) => tree.has(p)).map((p) => [p, sha256(tree.read(p) ?? "")]));
  return {
    origin: tree.origin,
    read_from: tree.origin === "working tree" ? "working tree" : "commit",
    kinds: project.kinds,
    test: project.test,
    build: project.build,
    lint: project.lint,
    verify: verifySection(tree.read("loki.yaml")),
    settings: trustSettings(tree.read("loki.yaml")),
    lokiignore: tree.read(".lokiignore"),
    gitattributes: tree.read(".gitattributes"),
    scripts,
    files,
    runner_config: packageRunnerConfig(pkg),
  };
}

/** loki.yaml's `verify:` mapping as written ({} when absent); a file that does not parse is its own value. */
export function verifySection(text: string | null): Record<string, string> {
  if (text === null) return {};
  const doc = yaml().parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return { "(loki.yaml)": "does not parse" };
  const value: unknown = doc.toJS();
  const verify = value && typeof value === "object" && "verify" in value ? (value as { verify: unknown }).verify : undefined;
  if (!verify || typeof verify !== "object") return {};
  return Object.fromEntries(Object.entries(verify).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/** The loki.yaml keys besides `verify:` that decide how later runs are graded and confined. `models`
 *  (per phase: who judges and reviews) and `max_tier` (their ceiling) count: a cheaper reviewer is an
 *  easier one. So do `providers` and `model_override`: where the graders' calls go, with which key and
 *  model, and what they are billed. `model`, the pin a user changes for cost, does not. */
export const TRUST_SETTINGS = ["heldout", "council", "sandbox", "allow_root", "models", "max_tier", "providers", "model_override"] as const;

/** loki.yaml's trust settings as written (key → JSON; {} when absent); a file that does not parse is its own value. */
export function trustSettings(text: string | null): Record<string, string> {
  if (text === null) return {};
  const doc = yaml().parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return { "(loki.yaml)": "does not parse" };
  const value: unknown = doc.toJS();
  if (!value || typeof value !== "object") return {};
  const record = value as Record<string, unknown>;
  return Object.fromEntries(TRUST_SETTINGS.filter((key) => record[key] !== undefined).map((key) => [key, JSON.stringify(record[key])]));
}

/**
 * Every way `head` differs from the frozen configuration. A command the base lacked is detection,
 * not a change (a greenfield repository gets its first test command from the agent); a command,
 * a script or file it runs, a runner setting, `.lokiignore` or loki.yaml `verify:` that changed is
 * a change, and so is loki.yaml's `heldout`, `council`, `sandbox` or `allow_root`.
 * (.gitattributes is not: binary-ness is read with the base's attributes.)
 */
export function graderChanges(frozen: GraderConfig, head: GraderConfig, files: readonly ChangedFile[]): GraderChange[] {
  const changes: GraderChange[] = [];
  for (const role of ROLES) {
    const before = frozen[role];
    const after = head[role];
    if (before !== null && show(before) !== (after === null ? "" : show(after)))
      changes.push({ what: `${role} command`, before: show(before), after: after === null ? "(none)" : show(after) });
  }
  const keys = new Set([...Object.keys(frozen.verify), ...Object.keys(head.verify)]);
  for (const key of [...keys].sort()) {
    const before = frozen.verify[key];
    const after = head.verify[key];
    if (before !== after)
      changes.push({ what: `loki.yaml verify.${key}`, before: before ?? "(unset)", after: after ?? "(unset)", file: "loki.yaml" });
  }
  // Compared when the base's were recorded (a configuration frozen by an older loki has none).
  if (frozen.settings && head.settings)
    for (const key of [...new Set([...Object.keys(frozen.settings), ...Object.keys(head.settings)])].sort()) {
      const before = frozen.settings[key];
      const after = head.settings[key];
      if (before !== after)
        changes.push({ what: `loki.yaml ${key}`, before: before ?? "(unset)", after: after ?? "(unset)", file: "loki.yaml" });
    }
  if (frozen.lokiignore !== head.lokiignore)
    changes.push({ what: ".lokiignore", before: lines(frozen.lokiignore), after: lines(head.lokiignore), file: ".lokiignore" });
  for (const [name, before] of Object.entries(frozen.scripts ?? {})) {
    const after = head.scripts?.[name] ?? "(none)";
    if (after !== before)
      changes.push({ what: `package.json scripts.${name} (run by a frozen command)`, before, after, file: "package.json" });
  }
  for (const [path, before] of Object.entries(frozen.files ?? {})) {
    const after = head.files?.[path];
    if (after !== before)
      changes.push({
        what: `${path} (run by a frozen command)`,
        before: "",
        after: after === undefined ? "deleted" : "changed",
        file: path,
      });
  }
  // A base with no test command (greenfield) has no runner settings to keep: the agent sets them up.
  if (frozen.test === null) return changes;
  for (const key of new Set([...Object.keys(frozen.runner_config ?? {}), ...Object.keys(head.runner_config ?? {})])) {
    const [before, after] = [frozen.runner_config?.[key], head.runner_config?.[key]];
    if (before !== after) changes.push({ what: key, before: before ?? "(unset)", after: after ?? "(unset)", file: "package.json" });
  }
  for (const { path, lines: touched } of runnerConfigChanges(files))
    changes.push({ what: `${path} (test runner settings)`, before: "", after: touched.join("; ") || "changed", file: path });
  return changes;
}

/**
 * What the gates run: the frozen commands (a role the base had none for is detected on the current
 * tree — a greenfield repository), or the head's when the user accepted the change.
 */
export function gradingProject(frozen: GraderConfig, head: Project, accepted: boolean): Project {
  if (accepted) return head;
  const pick = (role: (typeof ROLES)[number]): Command | null => {
    const own = frozen[role];
    if (own !== null) return { ...own, source: `${own.source} (frozen at ${frozen.origin})` };
    const found = head[role];
    return found === null ? null : { ...found, source: `${found.source} (detected on the current tree: none at ${frozen.origin})` };
  };
  return { kinds: [...new Set([...frozen.kinds, ...head.kinds])], test: pick("test"), build: pick("build"), lint: pick("lint") };
}

function show(command: Command): string {
  return command.shell ?? command.argv.join(" ");
}

function lines(text: string | null): string {
  if (text === null) return "(none)";
  const entries = text.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
  return entries.length === 0 ? "(empty)" : entries.slice(0, 5).join("; ");
}
