// The user's own config file ($XDG_CONFIG_HOME/loki/config.yaml, else ~/.config/loki/): where it is looked for, its
// place between the defaults and the repository's files, `loki provider show` naming it as a source, a broken one
// stopping the command naming it (exit 3), and that it can never set how a diff is graded.
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Config, defaultConfig, loadConfig, REPO_ONLY_KEYS, userConfigPath } from "../../src/core/config.ts";
import { loki } from "../helpers/cli.ts";
import { tmpdir } from "../helpers/tmp.ts";

/** A config home holding `loki/config.yaml` with `text`; returns the env that points at it. */
function userConfig(dir: string, text: string): { env: Record<string, string>; file: string } {
  const file = join(dir, "xdg", "loki", "config.yaml");
  mkdirSync(join(dir, "xdg", "loki"), { recursive: true });
  writeFileSync(file, text);
  return { env: { XDG_CONFIG_HOME: join(dir, "xdg"), HOME: join(dir, "home") }, file };
}

describe("the user config file", () => {
  test("is $XDG_CONFIG_HOME/loki/config.yaml; without XDG_CONFIG_HOME (or with a relative one), ~/.config/loki/config.yaml", () => {
    expect(userConfigPath({ XDG_CONFIG_HOME: "/x/cfg", HOME: "/h" })).toBe("/x/cfg/loki/config.yaml");
    expect(userConfigPath({ HOME: "/h" })).toBe("/h/.config/loki/config.yaml");
    expect(userConfigPath({ XDG_CONFIG_HOME: "rel/cfg", HOME: "/h" })).toBe("/h/.config/loki/config.yaml");
    expect(userConfigPath({ XDG_CONFIG_HOME: "", HOME: "/h" })).toBe("/h/.config/loki/config.yaml");
  });

  test("defaults < user file < loki.yaml < .loki/config.yaml < env < flags, each value's origin named", async () => {
    await using dir = await tmpdir({ files: { "loki.yaml": "max_iterations: 5\n", ".loki/config.yaml": "budget_usd: 4\n" } });
    const { env, file } = userConfig(dir.path, "provider: codex\nmodel: o4\nmax_iterations: 3\nbudget_usd: 2\neffort: low\n");
    const loaded = loadConfig(dir.path, env);
    expect(loaded.config).toMatchObject({ provider: "codex", model: "o4", max_iterations: 5, budget_usd: 4, effort: "low" });
    expect(loaded.files).toEqual([file, join(dir.path, "loki.yaml"), join(dir.path, ".loki", "config.yaml")]);
    expect(loaded.origins.get("provider")).toBe(file);
    expect(loaded.origins.get("max_iterations")).toBe(join(dir.path, "loki.yaml"));
    expect(loaded.origins.get("budget_usd")).toBe(join(dir.path, ".loki", "config.yaml"));
    const over = loadConfig(dir.path, { ...env, LOKI_MODEL: "o5" }, { effort: "high" });
    expect(over.config).toMatchObject({ model: "o5", effort: "high" });
    expect([over.origins.get("model"), over.origins.get("effort")]).toEqual(["environment", "flags"]);
  });

  test("found under HOME when XDG_CONFIG_HOME is unset", async () => {
    await using dir = await tmpdir();
    mkdirSync(join(dir.path, ".config", "loki"), { recursive: true });
    writeFileSync(join(dir.path, ".config", "loki", "config.yaml"), "provider: aider\n");
    const loaded = loadConfig("/nonexistent", { HOME: dir.path });
    expect(loaded.config.provider).toBe("aider");
    expect(loaded.origins.get("provider")).toBe(join(dir.path, ".config", "loki", "config.yaml"));
  });

  test("a broken user file is a config error naming it: bad YAML, a bad value, an unknown key (a warning), a directory", async () => {
    await using dir = await tmpdir();
    const yaml = userConfig(dir.path, "provider: [codex\n");
    expect(() => loadConfig("/nonexistent", yaml.env)).toThrow(`${yaml.file}:`);
    const value = userConfig(dir.path, "max_iterations: lots\n");
    expect(() => loadConfig("/nonexistent", value.env)).toThrow(`config key "max_iterations" (from ${value.file})`);
    const unknown = userConfig(dir.path, "colour: blue\n");
    expect(loadConfig("/nonexistent", unknown.env).warnings).toEqual([`${unknown.file}: unknown key "colour" ignored`]);
    await using other = await tmpdir();
    mkdirSync(join(other.path, "xdg", "loki", "config.yaml"), { recursive: true });
    expect(() => loadConfig("/nonexistent", { XDG_CONFIG_HOME: join(other.path, "xdg") })).toThrow(
      `${join(other.path, "xdg", "loki", "config.yaml")}: could not read it (EISDIR)`,
    );
  });

  test.each(REPO_ONLY_KEYS.map((key) => [key]))(
    "cannot set %s (grading or sandbox): a config error naming the file and the key",
    async (key) => {
      await using dir = await tmpdir({ files: { "loki.yaml": "council: true\n" } });
      const value = key === "verify" ? "\n  test: node -e 0\n" : " false\n";
      const { env, file } = userConfig(dir.path, `provider: codex\n${key}:${value}`);
      let error: unknown;
      try {
        loadConfig(dir.path, env);
      } catch (caught) {
        error = caught;
      }
      expect(error).toMatchObject({
        kind: "config",
        message: expect.stringContaining(`${file}: "${key}" cannot be set in the user config`),
      });
      expect((error as { hint: string }).hint).toContain("loki.yaml or .loki/config.yaml");
    },
  );

  test("the same keys stay settable in the repository's files", async () => {
    await using dir = await tmpdir({
      files: { "loki.yaml": "council: false\nheldout: false\n", ".loki/config.yaml": "verify:\n  test: npm run check\n" },
    });
    const { env } = userConfig(dir.path, "model: sonnet\n");
    expect(loadConfig(dir.path, env).config).toMatchObject({ council: false, heldout: false, verify: { test: "npm run check" } });
  });
});

describe("the user config through the CLI", () => {
  test("`loki provider show` names the user file as the source; `provider set` then wins from .loki/config.yaml", async () => {
    await using dir = await tmpdir({ commit: true });
    const { env, file } = userConfig(dir.path, "provider: codex\n");
    const show = await loki(["provider", "show", "--json"], { cwd: dir.path, env });
    expect(show.json()).toMatchObject({ provider: "codex", source: file });
    const text = await loki(["provider", "show"], { cwd: dir.path, env });
    expect(text.stdout).toContain(`provider: codex (Codex CLI) — from ${file}`);
    expect((await loki(["provider", "set", "claude"], { cwd: dir.path, env })).code).toBe(0);
    expect((await loki(["provider", "show", "--json"], { cwd: dir.path, env })).json()).toMatchObject({
      provider: "claude",
      source: join(dir.path, ".loki", "config.yaml"),
    });
  });

  test("an invalid user file stops a command with exit 3, naming the file", async () => {
    await using dir = await tmpdir({ commit: true, files: { "prd.md": "# P\n\n- [ ] a thing\n" } });
    const { env, file } = userConfig(dir.path, "budget_usd: -1\n");
    const plan = await loki(["plan", "prd.md"], { cwd: dir.path, env });
    expect(plan.code).toBe(3);
    expect(plan.stderr).toContain(`config key "budget_usd" (from ${file})`);
    const grading = userConfig(dir.path, "verify:\n  test: 'true'\n");
    const verify = await loki(["verify"], { cwd: dir.path, env: grading.env });
    expect(verify.code).toBe(3);
    expect(verify.stderr).toContain(`${file}: "verify" cannot be set in the user config`);
  });
});

describe("the defaults, when nothing sets anything", () => {
  test("defaultConfig is Config.parse({}), key for key, and a fresh value each time", () => {
    expect(defaultConfig()).toStrictEqual(Config.parse({}));
    const first = defaultConfig();
    first.planner.mode = "off";
    expect(defaultConfig().planner.mode).toBe("auto");
  });

  test("loadConfig with no file, no LOKI_ variable and no flag gives them; any layer is parsed by the schema", async () => {
    await using dir = await tmpdir({ files: {} });
    const env = { HOME: join(dir.path, "home") };
    const empty = loadConfig(dir.path, env);
    expect(empty).toEqual({ config: Config.parse({}), warnings: [], files: [], origins: new Map() });
    expect(loadConfig(dir.path, { ...env, LOKI_MAX_ITERATIONS: "7" }).config.max_iterations).toBe(7);
    expect(loadConfig(dir.path, env, { max_iterations: 9 }).config.max_iterations).toBe(9);
    expect(() => loadConfig(dir.path, env, { max_iterations: -1 })).toThrow(/max_iterations/);
    expect(loadConfig(dir.path, env, {}, { lokiYaml: "council: false\n" }).config.council).toBe(false);
  });
});
