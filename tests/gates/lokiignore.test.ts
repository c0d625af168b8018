// .lokiignore path matching measured against git itself: each row's paths are checked with the real `git check-ignore`
// in a temp repo and with loki's matcher, which must agree — but for the one deliberate departure (an explicit `!file`
// beats an excluded directory, so the file is scanned), pinned on its own.
import { describe, expect, test } from "bun:test";
import { parseLokiIgnore } from "../../src/gates/suppressions.ts";
import { tmpdir } from "../helpers/tmp.ts";

/** What git itself ignores of `paths` under a .gitignore holding `patterns`. */
function gitIgnored(repo: string, patterns: string, paths: string[]): Record<string, boolean> {
  Bun.write(`${repo}/.gitignore`, patterns);
  const result = Bun.spawnSync(["git", "check-ignore", "--no-index", "--stdin", "-z"], {
    cwd: repo,
    stdin: new TextEncoder().encode(`${paths.join("\0")}\0`),
  });
  const ignored = new Set(result.stdout.toString().split("\0").filter(Boolean));
  return Object.fromEntries(paths.map((p) => [p, ignored.has(p)]));
}

const lokiIgnored = (patterns: string, paths: string[]) => {
  const matcher = parseLokiIgnore(patterns);
  return Object.fromEntries(paths.map((p) => [p, matcher.ignores(p)]));
};

// [what, .lokiignore, { path: ignored? }] — every expectation is also git's answer.
const CASES: [string, string, Record<string, boolean>][] = [
  ["no slash: any depth", "*.pem\n", { "a.pem": true, "x/y/a.pem": true, "a.pem.txt": false }],
  ["leading slash anchors to the root", "/config/dev.env\n", { "config/dev.env": true, "x/config/dev.env": false }],
  ["an inner slash anchors too", "doc/frotz\n", { "doc/frotz": true, "doc/frotz/x.md": true, "a/doc/frotz": false }],
  ["trailing slash: directories only", "build/\n", { "build/out.js": true, "a/build/out.js": true, build: false }],
  ["** spans directories", "a/**/b.txt\n", { "a/b.txt": true, "a/x/y/b.txt": true, "b.txt": false }],
  ["* does not cross a slash", "/*.js\n", { "x.js": true, "a/x.js": false }],
  ["negation: last match wins", "*.pem\n!keep.pem\n", { "keep.pem": false, "x/keep.pem": false, "a.pem": true }],
  ["a file re-included from a dir/* pattern", "a/*\n!a/keep\n", { "a/keep": false, "a/keep/y": false, "a/x": true }],
  // The old glob-based matcher got these wrong:
  ["braces are literal (no expansion)", "{a,b}.env\n", { "a.env": false, "{a,b}.env": true }],
  ["leading spaces are part of the name", " lead\n", { " lead": true, lead: false }],
  ["an escaped trailing space is kept", "foo\\ \n", { "foo ": true, foo: false }],
  ["un-ignoring a directory does not un-ignore its files", "*.js\n!/a/\n", { "a/x.js": true, "b/x.js": true }],
  ["escaped # and ! are names", "\\#notes\n\\!bang\n# comment\n", { "#notes": true, "!bang": true, "# comment": false }],
  ["CRLF line ends", "*.pem\r\n!keep.pem\r\n", { "keep.pem": false, "a.pem": true }],
];

describe(".lokiignore", () => {
  test.each(CASES)("%s — as git check-ignore decides", async (_what, patterns, expected) => {
    await using repo = await tmpdir({ git: true });
    const paths = Object.keys(expected);
    expect(gitIgnored(repo.path, patterns, paths)).toEqual(expected);
    expect(lokiIgnored(patterns, paths)).toEqual(expected);
  });

  test("a `!file` line re-includes that file even under an excluded directory (git would not): it is scanned", async () => {
    await using repo = await tmpdir({ git: true });
    const patterns = "fixtures/\n!fixtures/real.ts\nbuild\n!build/keep.ts\n";
    const paths = ["fixtures/real.ts", "fixtures/other.ts", "build/keep.ts", "build/x.ts"];
    expect(gitIgnored(repo.path, patterns, paths)).toEqual({
      "fixtures/real.ts": true,
      "fixtures/other.ts": true,
      "build/keep.ts": true,
      "build/x.ts": true,
    });
    expect(lokiIgnored(patterns, paths)).toEqual({
      "fixtures/real.ts": false,
      "fixtures/other.ts": true,
      "build/keep.ts": false,
      "build/x.ts": true,
    });
    // …unless a later line names the file itself again.
    expect(lokiIgnored(`${patterns}*.ts\n`, ["fixtures/real.ts"])).toEqual({ "fixtures/real.ts": true });
  });

  test("fingerprint lines are collected, not matched as paths; a path git cannot hold is never ignored", () => {
    const matcher = parseLokiIgnore("fingerprint: 0123abcd\n  fingerprint:ffee\n*\n");
    expect([...matcher.fingerprints]).toEqual(["0123abcd", "ffee"]);
    expect(matcher.ignores("fingerprint: 0123abcd")).toBe(true);
    expect(matcher.ignores("../outside.ts")).toBe(false);
    expect(matcher.ignores("/etc/passwd")).toBe(false);
    expect(parseLokiIgnore("").ignores("a.ts")).toBe(false);
  });
});
