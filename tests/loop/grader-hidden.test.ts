// What each CLI's graders must not see (Provider.graderHidden) and the refusal of a grader call whose
// CLI would follow a link the agent planted there: hiding a link would hide its target (the whole
// review copy, for `.agents -> .`), and the CLI would read hooks and config through it.
import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { plantedLinks } from "../../src/loop/sandbox.ts";
import { cline } from "../../src/providers/cline.ts";
import { codex } from "../../src/providers/codex.ts";
import { opencode } from "../../src/providers/opencode.ts";
import { tmpdir } from "../helpers/tmp.ts";

describe("graderHidden", () => {
  test("each record names its project and user hook, plugin, rule and config paths", () => {
    expect(cline.graderHidden?.("/r", "/h", {})).toEqual(["/r/.cline", "/r/.clinerules", "/r/.agents", "/h/Documents/Cline", "/h/.agents"]);
    expect(opencode.graderHidden?.("/r", "/h", { XDG_CONFIG_HOME: "/x" })).toEqual([
      "/r/.opencode",
      "/r/opencode.json",
      "/r/opencode.jsonc",
      "/h/.opencode",
      "/x/opencode/AGENTS.md",
    ]);
    expect(codex.graderHidden?.("/r", "/h", { CODEX_HOME: "/c" })).toEqual(["/c/AGENTS.md"]);
  });
});

describe("plantedLinks", () => {
  test("a link where the CLI keeps hooks or config refuses the grader call, naming it; real dirs and files do not", async () => {
    await using dir = await tmpdir();
    mkdirSync(join(dir.path, ".clinerules", "hooks"), { recursive: true });
    writeFileSync(join(dir.path, "opencode.json"), "{}");
    expect(plantedLinks(cline, dir.path, {})).toEqual([]);
    expect(plantedLinks(opencode, dir.path, {})).toEqual([]);
    symlinkSync(".", join(dir.path, ".agents"));
    symlinkSync("src/secret.ts", join(dir.path, "opencode.jsonc"));
    expect(plantedLinks(cline, dir.path, {})).toEqual([
      `refused: ${join(dir.path, ".agents")} is a symbolic link, and cline would read its config, hooks or plugins through it`,
    ]);
    expect(plantedLinks(opencode, dir.path, {})).toEqual([
      `refused: ${join(dir.path, "opencode.jsonc")} is a symbolic link, and opencode would read its config, hooks or plugins through it`,
    ]);
  });
});
