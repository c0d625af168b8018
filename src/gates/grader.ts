// The frozen grading configuration: what the base says the test/build/lint commands, secret
// suppressions, attributes and loki.yaml `verify:` are, how the head differs from it, and which
// project the gates grade with. Pure over Trees (gates/tree.ts); the diff never configures its grader.
import { parseDocument } from "yaml";
import type { Config } from "../core/config.ts";
import type { GraderConfig } from "../core/grader-schema.ts";
import { detectProject, type Command, type Project } from "./detect.ts";
import type { ChangedFile } from "./gate.ts";
import type { Tree } from "./tree.ts";

export type GraderChange = { what: string; before: string; after: string; file?: string };

const ROLES = ["test", "build", "lint"] as const;
/** .gitattributes entries that change what the gates see: binary-ness, diff drivers, filters. */
const GRADING_ATTRIBUTE = /(?:^|\s)[-!]?(?:binary|diff|filter|text)(?:=|\s|$)/;

/** The grading configuration `tree` declares, with `config`'s verify.* (env and flags included) applied. */
export function freezeGrader(tree: Tree, config: Config): GraderConfig {
  const project = detectProject(tree, config);
  return {
    origin: tree.origin,
    read_from: tree.origin === "working tree" ? "working tree" : "commit",
    kinds: project.kinds,
    test: project.test,
    build: project.build,
    lint: project.lint,
    verify: verifySection(tree.read("loki.yaml")),
    lokiignore: tree.read(".lokiignore"),
    gitattributes: tree.read(".gitattributes"),
  };
}

/** loki.yaml's `verify:` mapping as written ({} when absent); a file that does not parse is its own value. */
export function verifySection(text: string | null): Record<string, string> {
  if (text === null) return {};
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return { "(loki.yaml)": "does not parse" };
  const value: unknown = doc.toJS();
  const verify = value && typeof value === "object" && "verify" in value ? (value as { verify: unknown }).verify : undefined;
  if (!verify || typeof verify !== "object") return {};
  return Object.fromEntries(Object.entries(verify).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/**
 * Every way `head` differs from the frozen configuration. A command the base lacked is detection,
 * not a change (a greenfield repository gets its first test command from the agent); a command
 * changed or removed, any `.lokiignore` or loki.yaml `verify:` edit, and a .gitattributes line that
 * touches binary/diff/filter/text handling are changes.
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
  if (frozen.lokiignore !== head.lokiignore)
    changes.push({ what: ".lokiignore", before: lines(frozen.lokiignore), after: lines(head.lokiignore), file: ".lokiignore" });
  for (const file of files) {
    const name = file.path.split("/").pop();
    if (name === ".lokiignore" && file.path !== ".lokiignore")
      changes.push({ what: file.path, before: "", after: `${file.added.length} line(s) added`, file: file.path });
    if (name !== ".gitattributes" && file.oldPath?.split("/").pop() !== ".gitattributes") continue;
    const touched = [...file.added, ...file.removed].map((l) => l.text.trim()).filter((t) => GRADING_ATTRIBUTE.test(t));
    if (touched.length > 0 || (file.binary && file.status !== "deleted"))
      changes.push({ what: file.path, before: "", after: touched.slice(0, 3).join("; ") || "binary content", file: file.path });
  }
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
