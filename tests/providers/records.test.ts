// Every registered provider record is complete: each fact of the contract present and well-formed,
// state paths absolute and inside the home (never the home itself or ~/.loki), default models
// resolvable and priced, and every record file in src/providers/ registered under its own id.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { modelFor, PRICING, priceTokens, ROLE_PHASE, type Role } from "../../src/core/models.ts";
import { PROVIDER_IDS } from "../../src/core/provider-ids.ts";
import type { ComplexityTier } from "../../src/core/schema.ts";
import type { Provider } from "../../src/providers/provider.ts";
import { loadProvider, loadProviders } from "../../src/providers/registry.ts";

type RequiredKey = { [K in keyof Provider]-?: undefined extends Provider[K] ? never : K }[keyof Provider];
/** One entry per required field of the contract: tsc fails here when the contract grows a field. */
const FIELD_KINDS: Record<RequiredKey, "string" | "object" | "function"> = {
  id: "string",
  title: "string",
  binary: "string",
  install: "string",
  login: "object",
  auth: "object",
  helpSubcommand: "object",
  probeEnv: "object",
  capabilities: "object",
  models: "object",
  stateDirs: "function",
  invocation: "function",
  parse: "function",
};
const TIERS: ComplexityTier[] = ["simple", "standard", "complex"];
const ROLES: Role[] = ["build", "review", "judge"];
const HOME = "/home/tester";
const SRC = resolve(import.meta.dir, "..", "..", "src", "providers");

const records = await loadProviders();

describe("the registry", () => {
  test("loads one record per id, in preference order, each under its own id", async () => {
    expect(records.map((r) => r.id)).toEqual([...PROVIDER_IDS]);
    for (const id of PROVIDER_IDS) expect((await loadProvider(id)).id).toBe(id);
    expect(new Set(records.map((r) => r.binary)).size).toBe(records.length);
  });

  test("every record file in src/providers/ is registered under its id", async () => {
    const files = readdirSync(SRC).filter((name) => /export const \w+: Provider = \{/.test(readFileSync(join(SRC, name), "utf8")));
    expect(files.length).toBeGreaterThanOrEqual(PROVIDER_IDS.length);
    for (const file of files) {
      const name = /export const (\w+): Provider = \{/.exec(readFileSync(join(SRC, file), "utf8"))?.[1] ?? "";
      const record = ((await import(join(SRC, file))) as Record<string, Provider>)[name];
      if (!record) throw new Error(`${file} exports no record named ${name}`);
      expect(PROVIDER_IDS).toContain(record.id);
      expect(await loadProvider(record.id)).toBe(record);
    }
  });
});

describe.each(PROVIDER_IDS.map((id) => [id]))("%s record", (id) => {
  const record = records.find((r) => r.id === id)!;

  test("has every field of the contract, non-empty", () => {
    for (const [field, kind] of Object.entries(FIELD_KINDS)) {
      const value: unknown = record[field as RequiredKey];
      expect({ field, kind: typeof value }).toEqual({ field, kind });
      if (kind === "string") expect({ field, empty: value === "" }).toEqual({ field, empty: false });
    }
    expect(record.binary).toMatch(/^[\w.-]+$/);
    // loop/integrity.ts watches node_modules/.bin/<id> for a planted CLI: the binary is named as the id.
    expect(record.binary).toBe(record.id);
    // A login is the CLI's own subcommand (hints put the command that runs the CLI here before it), or what to set.
    expect(record.login.subcommand || record.login.alternative).toBeTruthy();
    expect(record.login.subcommand?.split(" ")[0]).not.toBe(record.binary);
    expect(Array.isArray(record.helpSubcommand)).toBe(true);
    for (const value of Object.values(record.probeEnv)) expect(typeof value).toBe("string");
  });

  test("detection facts: some way to see a login, paths relative to the CLI's home", () => {
    const { auth } = record;
    expect(auth.env.length + auth.files.length).toBeGreaterThan(0);
    for (const name of auth.env) expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
    for (const file of [...auth.files, auth.homeDir]) expect(isAbsolute(file)).toBe(false);
    expect(auth.homeEnv === null || /^[A-Z][A-Z0-9_]*$/.test(auth.homeEnv)).toBe(true);
    expect(Array.isArray(auth.keychainOn)).toBe(true);
  });

  test("capabilities: every one stated", () => {
    const c = record.capabilities;
    expect(["sandbox", "tools", "none"]).toContain(c.readOnly);
    expect(["exact", "estimated", "none"]).toContain(c.cost);
    for (const flag of [c.parallel, c.pathRules, c.resultRequired]) expect(typeof flag).toBe("boolean");
  });

  test("stateDirs: absolute paths inside the home, never the home itself or ~/.loki", () => {
    const dirs = record.stateDirs(HOME, {});
    expect(dirs.length).toBeGreaterThan(0);
    for (const dir of dirs) {
      expect(isAbsolute(dir)).toBe(true);
      const rel = relative(HOME, dir);
      expect(rel === "" || rel.startsWith("..")).toBe(false);
      expect(rel.split("/")[0]).not.toBe(".loki");
    }
  });

  test("default models: resolvable for every tier and role, and priced from the table", () => {
    for (const tier of TIERS) {
      for (const role of ROLES) {
        const model = modelFor({ provider: id, tier, phase: ROLE_PHASE[role] }).model;
        expect(model).toBe(record.models[tier]);
        expect(PRICING.models[model]).toBeDefined();
        expect(priceTokens(model, { input: 1, output: 1, cache_read: 0, cache_write: 0 }, id).basis).toBe("table");
      }
    }
  });
});

describe("stateDirs per CLI", () => {
  const dirs = (id: (typeof PROVIDER_IDS)[number], env: Record<string, string> = {}) =>
    records.find((r) => r.id === id)!.stateDirs(HOME, env);

  test("the documented defaults", () => {
    expect(dirs("claude")).toEqual([`${HOME}/.claude`, `${HOME}/.claude.json`]);
    expect(dirs("codex")).toEqual([`${HOME}/.codex`]);
    expect(dirs("cline")).toEqual([`${HOME}/.cline/data`]);
    expect(dirs("aider")).toEqual([`${HOME}/.aider`]);
    expect(dirs("opencode")).toEqual([
      `${HOME}/.config/opencode`,
      `${HOME}/.local/share/opencode`,
      `${HOME}/.cache/opencode`,
      `${HOME}/.local/state/opencode`,
    ]);
  });

  test("the variables each CLI honours move its state; relative values are ignored", () => {
    expect(dirs("claude", { CLAUDE_CONFIG_DIR: "/cfg/claude" })).toEqual(["/cfg/claude"]);
    expect(dirs("codex", { CODEX_HOME: "/cfg/codex" })).toEqual(["/cfg/codex"]);
    expect(dirs("codex", { CODEX_HOME: "rel/codex" })).toEqual([`${HOME}/.codex`]);
    expect(dirs("cline", { CLINE_DATA_DIR: "/cfg/cline" })).toEqual(["/cfg/cline"]);
    expect(dirs("opencode", { XDG_DATA_HOME: "/xdg/data" })).toContain("/xdg/data/opencode");
  });
});
