// The fingerprints loki takes of its own code and the provider CLI at run start: an untouched tree
// reads equal (an unchanged stat is not read again); a rewrite (same bytes, mtime set back), a new or
// removed file, or a swapped symlink target is drift; and what counts as loki's and the provider's code.
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  driftReason,
  fingerprintInstall,
  integrityDrift,
  lokiCodePaths,
  providerCodePaths,
  takeIntegrity,
} from "../../src/loop/integrity.ts";
import { tmpdir } from "../helpers/tmp.ts";

const changed = (a: Record<string, string>, b: Record<string, string>) =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();

describe("fingerprintInstall", () => {
  test("an untouched tree is equal; every file under a directory is covered", async () => {
    await using dir = await tmpdir({ files: { "src/a.ts": "a\n", "src/deep/b.ts": "b\n", "package.json": "{}\n" } });
    const paths = [join(dir.path, "src"), join(dir.path, "package.json")];
    const before = fingerprintInstall(paths);
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining([join(dir.path, "src", "a.ts"), join(dir.path, "src", "deep", "b.ts"), join(dir.path, "package.json")]),
    );
    expect(fingerprintInstall(paths)).toEqual(before);
  });

  test("a file rewritten with the same content and its mtime set back is still caught (ctime)", async () => {
    await using dir = await tmpdir({ files: { "src/a.ts": "export const a = 1;\n" } });
    const file = join(dir.path, "src", "a.ts");
    const before = fingerprintInstall([join(dir.path, "src")]);
    const { atime, mtime, ctimeMs } = statSync(file);
    await Bun.sleep(20);
    writeFileSync(file, readFileSync(file));
    utimesSync(file, atime, mtime);
    expect(Math.floor(statSync(file).mtimeMs)).toBe(mtime.getTime());
    expect(statSync(file).ctimeMs).not.toBe(ctimeMs);
    expect(changed(before, fingerprintInstall([join(dir.path, "src")]))).toEqual([file]);
  });

  test("against a baseline only a file whose stat changed is read again; a rewrite with mtime set back is caught", async () => {
    await using dir = await tmpdir({ files: { "src/a.ts": "export const a = 1;\n", "src/b.ts": "b\n" } });
    const src = join(dir.path, "src");
    const [a, b] = [join(src, "a.ts"), join(src, "b.ts")];
    const baseline = fingerprintInstall([src]);
    // A recorded hash that no longer matches the bytes: an unchanged stat means the file is not read.
    const marked = { ...baseline, [b]: `${baseline[b]?.split(":").slice(0, 4).join(":")}:recorded` };
    expect(fingerprintInstall([src], marked)).toEqual(marked);
    const { atime, mtime } = statSync(a);
    await Bun.sleep(20);
    writeFileSync(a, "export const a = 2;\n");
    utimesSync(a, atime, mtime);
    const now = fingerprintInstall([src], marked);
    expect(changed(marked, now)).toEqual([a]);
    expect(now[a]).toBe(fingerprintInstall([a])[a]);
  });

  test("a new file, a removed file and a missing root are drift", async () => {
    await using dir = await tmpdir({ files: { "src/a.ts": "a\n", "src/b.ts": "b\n" } });
    const src = join(dir.path, "src");
    const before = fingerprintInstall([src, join(dir.path, "gone")]);
    expect(before[join(dir.path, "gone")]).toBe("missing");
    rmSync(join(src, "b.ts"));
    writeFileSync(join(src, "c.ts"), "c\n");
    expect(changed(before, fingerprintInstall([src, join(dir.path, "gone")]))).toEqual([join(src, "b.ts"), join(src, "c.ts")]);
  });

  test("a symlink inside a walked directory is recorded by its target, not followed", async () => {
    await using dir = await tmpdir({ files: { "src/a.ts": "a\n", "x.ts": "x\n", "y.ts": "y\n" } });
    const link = join(dir.path, "src", "link.ts");
    symlinkSync(join(dir.path, "x.ts"), link);
    const before = fingerprintInstall([join(dir.path, "src")]);
    rmSync(link);
    symlinkSync(join(dir.path, "y.ts"), link);
    expect(changed(before, fingerprintInstall([join(dir.path, "src")]))).toEqual([link]);
  });
});

describe("what is fingerprinted", () => {
  test("loki from source: the runtime, src/ and package.json", () => {
    const root = resolve(import.meta.dir, "..", "..");
    expect(lokiCodePaths()).toEqual([process.execPath, join(root, "src"), join(root, "package.json")]);
  });

  test("a provider: the resolved file, its real path (the entry file) and its package's top-level files", async () => {
    await using dir = await tmpdir({
      files: {
        "lib/node_modules/cli/cli.js": "#!/usr/bin/env node\n",
        "lib/node_modules/cli/package.json": "{}\n",
        "lib/node_modules/cli/vendor/rg": "x",
      },
    });
    const pkg = join(dir.path, "lib", "node_modules", "cli");
    mkdirSync(join(dir.path, "bin"));
    const bin = join(dir.path, "bin", "claude");
    symlinkSync(join(pkg, "cli.js"), bin);
    expect(providerCodePaths(bin).sort()).toEqual([bin, join(pkg, "cli.js"), join(pkg, "package.json")].sort());
    expect(providerCodePaths(join(dir.path, "bin", "none"))).toEqual([join(dir.path, "bin", "none")]);
  });

  test("a drift reads as the violation the run records", () => {
    expect(driftReason({ kind: "loki", path: "/x/src/a.ts" })).toBe("loki's own code changed during the run: /x/src/a.ts");
    expect(driftReason({ kind: "provider", path: "/bin/claude" })).toBe("the provider CLI changed during the run: /bin/claude");
  });
});

describe("the graders' CLI config", () => {
  test("a provider's config file its graders read, written or created during the run, is drift named as config", async () => {
    await using dir = await tmpdir();
    const login = join(dir.path, "providers.json");
    writeFileSync(login, '{"baseUrl":"https://api.anthropic.com"}');
    const toml = join(dir.path, "config.toml");
    const baseline = takeIntegrity([], undefined, [login, toml]);
    expect(integrityDrift(baseline)).toEqual([]);
    writeFileSync(login, '{"baseUrl":"http://agent.example"}');
    writeFileSync(toml, 'model_provider="agent"\n');
    const drift = integrityDrift(baseline).filter((d) => d.kind === "config");
    expect(drift.map((d) => d.path).sort()).toEqual([toml, login].sort());
    expect(drift.map(driftReason).sort()).toEqual(
      [login, toml].map((path) => `a provider CLI's config, which its graders read, changed during the run: ${path}`).sort(),
    );
  });

  test("a CLI rewriting its own config as it loads it is no change: a $schema added, an empty config created, keys reordered", async () => {
    await using dir = await tmpdir();
    const own = join(dir.path, "opencode.json");
    writeFileSync(own, '{"model":"anthropic/x","provider":{"a":{"options":{"baseURL":"http://h"}}}}');
    const created = join(dir.path, "opencode.jsonc");
    const baseline = takeIntegrity([], undefined, [own, created]);
    writeFileSync(
      own,
      '{\n  "$schema": "https://opencode.ai/config.json",\n  "provider": {"a": {"options": {"baseURL": "http://h"}}},\n  "model": "anthropic/x"\n}\n',
    );
    writeFileSync(created, '// created by the CLI\n{ "$schema": "https://opencode.ai/config.json" }\n');
    expect(integrityDrift(baseline).filter((d) => d.kind === "config")).toEqual([]);
    // What it says changed: drift.
    writeFileSync(own, '{"$schema":"x","model":"anthropic/x","provider":{"a":{"options":{"baseURL":"http://agent"}}}}');
    expect(integrityDrift(baseline).filter((d) => d.kind === "config")).toEqual([{ kind: "config", path: own }]);
  });

  test("a FIFO or device put where a config file was is a change, never a read that blocks the run", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "config.json");
    writeFileSync(file, '{"a":1}');
    const baseline = takeIntegrity([], undefined, [file]);
    rmSync(file);
    Bun.spawnSync(["mkfifo", file]);
    expect(integrityDrift(baseline).filter((d) => d.kind === "config")).toEqual([{ kind: "config", path: file }]);
  });

  test("each record names the files: the cline login, opencode's global config, codex's config.toml", async () => {
    const { cline } = await import("../../src/providers/cline.ts");
    const { opencode } = await import("../../src/providers/opencode.ts");
    const { codex } = await import("../../src/providers/codex.ts");
    expect(cline.graderConfig?.("/h", {})).toEqual(["/h/.cline/data/settings/providers.json"]);
    expect(opencode.graderConfig?.("/h", { XDG_CONFIG_HOME: "/x" })).toEqual([
      "/x/opencode/opencode.json",
      "/x/opencode/opencode.jsonc",
      "/x/opencode/config.json",
    ]);
    expect(codex.graderConfig?.("/h", { CODEX_HOME: "/c" })).toEqual(["/c/config.toml"]);
  });
});
