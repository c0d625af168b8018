// Prompt modules from skills/ (embedded in the binary at build time), selected by phase, role, the
// spec's facts and the role of the task worked.
// Parsing is pure; the only "I/O" is the bundler's static text imports.
import type { parse as ParseYaml } from "yaml";
import buildCore from "../../skills/build-core.md" with { type: "text" };
import buildDone from "../../skills/build-done.md" with { type: "text" };
import reviewCore from "../../skills/review-core.md" with { type: "text" };
import runContract from "../../skills/run-contract.md" with { type: "text" };
import planCore from "../../skills/plan-core.md" with { type: "text" };
import taskBackend from "../../skills/task-backend.md" with { type: "text" };
import taskFrontend from "../../skills/task-frontend.md" with { type: "text" };
import taskTests from "../../skills/task-tests.md" with { type: "text" };
import taskInfrastructure from "../../skills/task-infrastructure.md" with { type: "text" };
import taskDocs from "../../skills/task-docs.md" with { type: "text" };
import type { TaskRole } from "../core/queue-schema.ts";

/** `when`: a fact about the spec the module is only for (SkillFacts); absent = always. `task_role`: only
 *  for an iteration working a task of that role (the planner's queue). */
export type Skill = {
  name: string;
  phases: string[];
  roles: string[];
  order: number;
  body: string;
  when?: "multi_service";
  task_role?: TaskRole;
};
/** What the prompt builder knows about the spec (and the task worked) when it picks modules. */
export type SkillFacts = { multi_service?: boolean; task_role?: TaskRole };
const SOURCES: Record<string, string> = {
  "build-core": buildCore,
  "build-done": buildDone,
  "review-core": reviewCore,
  "run-contract": runContract,
  "plan-core": planCore,
  "task-backend": taskBackend,
  "task-frontend": taskFrontend,
  "task-tests": taskTests,
  "task-infrastructure": taskInfrastructure,
  "task-docs": taskDocs,
};
const FRONT = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;

export function parseSkill(name: string, source: string): Skill {
  const match = FRONT.exec(source);
  const meta = (match ? frontMatter(match[1] ?? "") : {}) as Partial<Pick<Skill, "phases" | "roles" | "order" | "when" | "task_role">>;
  return {
    name,
    ...(meta.when ? { when: meta.when } : {}),
    ...(meta.task_role ? { task_role: meta.task_role } : {}),
    phases: meta.phases ?? [],
    roles: meta.roles ?? [],
    order: meta.order ?? 50,
    body: (match ? source.slice(match[0].length) : source).trim(),
  };
}

const FLAT_LINE = /^([a-z_]+): (?:(0|[1-9][0-9]{0,8})|([a-z][a-z_-]*)|\[([a-z][a-z_-]*(?:, [a-z][a-z_-]*)*)?\])$/;

/**
 * The front matter as YAML reads it. Every module's is flat — `key: 10`, `key: word`, `key: [a, b]` —
 * and read here line by line as YAML would (YAML costs a one-shot command 10–20 ms for ten modules);
 * anything else (a comment, a quote, a repeated key, true/false/null) is left to the YAML parser, loaded
 * only then.
 */
export function frontMatter(block: string): unknown {
  const meta: Record<string, string | number | string[]> = {};
  for (const line of block.split("\n")) {
    const [, key, number, word, list] = FLAT_LINE.exec(line) ?? [];
    const words = list === undefined ? [] : list.split(", ");
    if (key === undefined || key in meta || [word, ...words].some((w) => w === "true" || w === "false" || w === "null"))
      return (require("yaml") as { parse: typeof ParseYaml }).parse(block);
    meta[key] = number !== undefined ? Number(number) : (word ?? words);
  }
  return meta;
}

let cache: Skill[] | undefined;
export function allSkills(): Skill[] {
  cache ??= Object.entries(SOURCES).map(([name, source]) => parseSkill(name, source));
  return cache;
}

/** The modules for a phase and role (and the spec's facts), in their declared order. */
export function skillsFor(phase: string, role: string, skills: Skill[] = allSkills(), facts: SkillFacts = {}): Skill[] {
  return skills
    .filter(
      (s) =>
        s.phases.includes(phase) &&
        s.roles.includes(role) &&
        (s.when === undefined || facts[s.when] === true) &&
        (s.task_role === undefined || s.task_role === facts.task_role),
    )
    .sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
}
