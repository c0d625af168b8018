// Prompt modules from skills/ (embedded in the binary at build time), selected by phase and role.
// Parsing is pure; the only "I/O" is the bundler's static text imports.
import { parse as parseYaml } from "yaml";
import buildCore from "../../skills/build-core.md" with { type: "text" };
import buildDone from "../../skills/build-done.md" with { type: "text" };
import reviewCore from "../../skills/review-core.md" with { type: "text" };
import runContract from "../../skills/run-contract.md" with { type: "text" };

/** `when`: a fact about the spec the module is only for (SkillFacts); absent = always. */
export type Skill = { name: string; phases: string[]; roles: string[]; order: number; body: string; when?: keyof SkillFacts };
/** What the prompt builder knows about the spec when it picks modules. */
export type SkillFacts = { multi_service?: boolean };
const SOURCES: Record<string, string> = {
  "build-core": buildCore,
  "build-done": buildDone,
  "review-core": reviewCore,
  "run-contract": runContract,
};
const FRONT = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;

export function parseSkill(name: string, source: string): Skill {
  const match = FRONT.exec(source);
  const meta = (match ? parseYaml(match[1] ?? "") : {}) as { phases?: string[]; roles?: string[]; order?: number; when?: keyof SkillFacts };
  return {
    name,
    ...(meta.when ? { when: meta.when } : {}),
    phases: meta.phases ?? [],
    roles: meta.roles ?? [],
    order: meta.order ?? 50,
    body: (match ? source.slice(match[0].length) : source).trim(),
  };
}

let cache: Skill[] | undefined;
export function allSkills(): Skill[] {
  cache ??= Object.entries(SOURCES).map(([name, source]) => parseSkill(name, source));
  return cache;
}

/** The modules for a phase and role (and the spec's facts), in their declared order. */
export function skillsFor(phase: string, role: string, skills: Skill[] = allSkills(), facts: SkillFacts = {}): Skill[] {
  return skills
    .filter((s) => s.phases.includes(phase) && s.roles.includes(role) && (s.when === undefined || facts[s.when] === true))
    .sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
}
