// The one exit-code map against its contract: the exit-code tables in README and docs are parsed and
// compared with core/exit-codes.ts, so they cannot drift; and nothing in src/ sets a code by itself.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { LokiError, type ErrorKind } from "../../src/core/errors.ts";
import {
  COMMAND_EXIT,
  DELIVERY_EXIT,
  ERROR_EXIT,
  exitCodeFor,
  PROOF_EXIT,
  RUN_EXIT,
  runExitCode,
  VERIFY_EXIT,
} from "../../src/core/exit-codes.ts";

const ROOT = resolve(import.meta.dir, "..", "..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/** The text under a heading, up to the next heading of the same or a higher level. */
function section(markdown: string, heading: string): string {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) throw new Error(`no heading ${heading}`);
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const end = lines.findIndex((line, i) => i > start && /^#+ /.test(line) && (/^#+/.exec(line)?.[0].length ?? 9) <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end).join("\n");
}

type Entry = { code: number; text: string };
/** Rows of tables whose first cell is a code (`| 2 | …`), and `**2** …` items of `·`-separated prose. */
function entries(markdown: string): Entry[] {
  const found: Entry[] = [];
  for (const block of markdown.split(/\n\s*\n/)) {
    for (const line of block.split("\n")) {
      const row = /^\|\s*(?:\*\*)?(\d+)(?:\*\*)?\s*\|(.*)$/.exec(line);
      if (row) found.push({ code: Number(row[1]), text: (row[2] ?? "").trim() });
    }
    if (block.trimStart().startsWith("|")) continue;
    for (const item of block.replace(/\n/g, " ").matchAll(/\*\*(\d+)\*\*([^·]*)/g))
      found.push({ code: Number(item[1]), text: (item[2] ?? "").trim() });
  }
  return found;
}

const plain = (table: Readonly<Record<string, number>>): Record<string, number> => ({ ...table });
/** The distinct codes of a table, ascending. */
const codesOf = (table: Readonly<Record<string, number>>): number[] => [...new Set(Object.values(table).map(Number))].sort((a, b) => a - b);
const named = (text: string, key: string) => text.includes(`\`${key}\``);
const VERDICT_LABEL: Record<keyof typeof VERIFY_EXIT, string> = {
  VERIFIED: "VERIFIED",
  CONCERNS: "CONCERNS",
  BLOCKED: "BLOCKED",
  could_not_verify: "could not verify",
};
const verdict = (text: string, key: string) => text.replace(/^\|?\s*/, "").startsWith(VERDICT_LABEL[key as keyof typeof VERIFY_EXIT]);
const COMMAND_LABEL: Record<keyof typeof COMMAND_EXIT, string> = {
  ok: "success",
  check_failed: "a check failed",
  declined: "you declined",
};
const DELIVERY_LABEL: Record<keyof typeof DELIVERY_EXIT, string> = {
  pr_opened: "pull request opened",
  merged: "checks green and merged",
  checks_pending: "checks still pending",
  checks_failed: "a check failed",
  merge_refused: "the merge was refused",
  delivery_failed: "delivery failed",
};

/** Every key of `table` is documented in `where`, and only with its own code. */
function expectDocumented(
  where: string,
  rows: Entry[],
  table: Readonly<Record<string, number>>,
  mentions: (text: string, key: string) => boolean,
): void {
  for (const [key, code] of Object.entries(table)) {
    const codes = [...new Set(rows.filter((row) => mentions(row.text, key)).map((row) => row.code))];
    expect({ where, key, codes }).toEqual({ where, key, codes: [code] });
  }
}

describe("the exit-code map", () => {
  test("DESIGN §4: errors and could-not-verify are 3, run outcomes 0/1/2/3/4/130, verdicts 0/1/2", () => {
    const kinds: ErrorKind[] = ["usage", "config", "spec", "tracker", "workspace", "provider", "git", "internal"];
    expect(kinds.map((kind) => Number(exitCodeFor(new LokiError(kind, "x"))))).toEqual(kinds.map(() => 3));
    expect(exitCodeFor(new Error("a bug"))).toBe(ERROR_EXIT.internal);
    expect(Object.values(ERROR_EXIT).every((code) => code === VERIFY_EXIT.could_not_verify && code === RUN_EXIT.error)).toBe(true);
    expect(codesOf(RUN_EXIT)).toEqual([0, 1, 2, 3, 4, 130]);
    expect(plain(VERIFY_EXIT)).toEqual({ VERIFIED: 0, CONCERNS: 1, BLOCKED: 2, could_not_verify: 3 });
    expect(Number(runExitCode("verified", null))).toBe(0);
    expect(runExitCode("verified", "checks_failed")).toBe(RUN_EXIT.blocked);
    expect(Number(runExitCode("budget_exceeded", null))).toBe(4);
  });

  test("only the entry (cli.ts) and the program (program.ts) set the process's exit code; nothing calls process.exit()", () => {
    const src = join(ROOT, "src");
    const files = readdirSync(src, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith(".ts"))
      .map((e) => join(e.parentPath, e.name));
    const offenders = files.flatMap((file) => {
      const text = readFileSync(file, "utf8");
      const rel = relative(src, file);
      return [
        /process\.exit\s*\(/.test(text) ? `${rel}: process.exit()` : null,
        !["cli.ts", "program.ts"].includes(rel) && /process\.exitCode\s*=[^=]/.test(text) ? `${rel}: process.exitCode =` : null,
      ].filter((x) => x !== null);
    });
    expect(offenders).toEqual([]);
  });
});

describe("the documented exit codes agree with the map", () => {
  test("docs/reference/exit-codes.md", () => {
    const md = read("docs/reference/exit-codes.md");
    const every = entries(section(md, "## Every command"));
    expectDocumented("every command", every, ERROR_EXIT, named);
    expectDocumented("every command", every, COMMAND_EXIT, (text, key) => text.includes(COMMAND_LABEL[key as keyof typeof COMMAND_EXIT]));
    const start = section(md, "## `loki start` and `loki resume`");
    const outcomes = entries(start.slice(0, start.indexOf("### ")));
    expectDocumented("start", outcomes, RUN_EXIT, named);
    expect(outcomes.map((row) => row.code)).toEqual(codesOf(RUN_EXIT));
    expectDocumented("delivery", entries(section(md, "### A verified run's delivery (`--pr`, `--ship`)")), DELIVERY_EXIT, (text, key) =>
      text.includes(DELIVERY_LABEL[key as keyof typeof DELIVERY_EXIT]),
    );
    expectDocumented("verify", entries(section(md, "## `loki verify`")), VERIFY_EXIT, verdict);
    expectDocumented("proof verify", entries(section(md, "## `loki proof verify`")), PROOF_EXIT, named);
  });

  test("README.md", () => {
    const exits = section(read("README.md"), "## Exit codes");
    expectDocumented("README start", entries(exits), RUN_EXIT, named);
    expectDocumented("README verify", entries(exits), VERIFY_EXIT, verdict);
    expectDocumented("README proof verify", entries(exits), PROOF_EXIT, named);
  });

  test("the workflow pages: start, verify, proof", () => {
    expectDocumented("docs/start.md", entries(section(read("docs/start.md"), "## Output and exit codes")), RUN_EXIT, named);
    expectDocumented("docs/verify.md", entries(section(read("docs/verify.md"), "## Exit codes")), VERIFY_EXIT, verdict);
    expectDocumented("docs/proof.md", entries(section(read("docs/proof.md"), "## Verify one yourself")), PROOF_EXIT, named);
  });

  test("the parser reads what it is given (a broken parser cannot pass silently)", () => {
    const md = "| code | x |\n|---|---|\n| 0 | `a` |\n| **2** | `b` · `c` |\n\nprose: **1** `d` · **3** `e` or\n`f`.";
    expect(entries(md)).toEqual([
      { code: 0, text: "`a` |" },
      { code: 2, text: "`b` · `c` |" },
      { code: 1, text: "`d`" },
      { code: 3, text: "`e` or `f`." },
    ]);
    expect(() => expectDocumented("t", entries(md), { a: 0, b: 2, g: 1 }, named)).toThrow();
    expect(() => expectDocumented("t", entries(md), { a: 1 }, named)).toThrow();
  });
});
