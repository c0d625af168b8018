// gitleaks as an optional second scanner for the secrets gate: run over a scratch copy of the lines
// being graded (never the repository, whose .gitleaks config the diff could set), read back from its
// report file. Never throws; a failed run is data. Its report holds secrets: nothing quotes it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { z } from "zod";
import { messageOf } from "../core/errors.ts";
import { run } from "../core/exec.ts";
import type { ChangedFile } from "./gate.ts";
import { lazySchema } from "../core/lazy-schema.ts";

const GitleaksReport = lazySchema(() =>
  z.array(
    z.object({
      RuleID: z.string(),
      File: z.string(),
      StartLine: z.number().int().positive(),
      Secret: z.string().default(""),
      Description: z.string().default(""),
    }),
  ),
);
export type GitleaksHit = { rule: string; title: string; file: string; line: number; secret: string };
export type GitleaksRun = { status: "ran"; hits: GitleaksHit[] } | { status: "failed"; error: string };

/** gitleaks over a scratch copy of the added lines (at their own line numbers), via its report file:
 *  `--report-path -` needs gitleaks ≥ 8.22, and `detect --no-git` still runs on 8.19+ where it is deprecated. */
export async function runGitleaks(
  bin: string,
  files: readonly Pick<ChangedFile, "path" | "added">[],
  signal?: AbortSignal,
): Promise<GitleaksRun> {
  const dir = mkdtempSync(join(tmpdir(), "loki-gitleaks-"));
  const source = join(dir, "src");
  try {
    for (const file of files) {
      // The diff must not configure the scanner that grades it.
      if (basename(file.path).startsWith(".gitleaks") || file.path.split("/").includes("..")) continue;
      const added = file.added.lines();
      const lines: string[] = new Array<string>(added.at(-1)?.line ?? 0).fill("");
      // Runs of a binary file can share a line: they stay apart, as they are in the file.
      for (const { line, text } of added) lines[line - 1] = lines[line - 1] ? `${lines[line - 1]}\t${text}` : text;
      mkdirSync(dirname(join(source, file.path)), { recursive: true });
      writeFileSync(join(source, file.path), `${lines.join("\n")}\n`);
    }
    const report = join(dir, "report.json");
    const result = await run([bin, "detect", "--no-git", "--source", source, "--report-format", "json", "--report-path", report], {
      cwd: dir,
      timeoutMs: 120_000,
      signal,
    });
    if (result.exitCode !== 0 && result.exitCode !== 1)
      return { status: "failed", error: result.spawnError ?? (result.timedOut ? "timed out" : `exit ${result.exitCode}`) };
    // Never pass a parse error on: it may quote the report, and the report holds the secrets.
    const parsed = GitleaksReport.safeParse(parseJson(readFileSync(report, "utf8")));
    if (!parsed.success) return { status: "failed", error: "unreadable report" };
    const hits = parsed.data.map((h) => ({
      rule: h.RuleID,
      title: h.Description || h.RuleID,
      file: relative(source, resolve(dir, h.File)),
      line: h.StartLine,
      secret: h.Secret,
    }));
    return { status: "ran", hits: hits.filter((h) => !h.file.startsWith("..")) };
  } catch (error) {
    return { status: "failed", error: messageOf(error) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
