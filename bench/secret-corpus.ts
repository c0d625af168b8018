// `bun bench/secret-corpus.ts [--secretlint DIR]`: the secret detector against the corpus
// (tests/fixtures/secrets-corpus: detection in context and as a bare token, false positives, what it
// misses), and its throughput on real source text (loki's tracked files plus the `yaml` package's
// dist/, a few MB) next to one simple regex's, measured alternately in the same run (the floor). With
// --secretlint DIR (where `npm install @secretlint/core @secretlint/secretlint-rule-preset-recommend`
// ran), secretlint's preset and the union of the two are measured alike: the figures behind the table.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import perfHooks from "node:perf_hooks";
import { findSecrets } from "../src/core/secrets/detect.ts";
import {
  CORPUS_NEGATIVES,
  CORPUS_SAMPLES,
  type CorpusScore,
  detects,
  type Span,
  scoreCorpus,
} from "../tests/fixtures/secrets-corpus/corpus.ts";
import { type Measured, paired } from "./measure.ts";

const ROOT = resolve(import.meta.dir, "..");
const RUNS = 5;
const FLOOR = /AKIA[0-9A-Z]{16}/g;

type Scanner = { name: string; spans: (text: string) => Promise<Span[]> };

const builtin: Scanner = { name: "loki built-in", spans: async (text) => findSecrets(text).map((h) => ({ start: h.start, end: h.end })) };

type LintMessage = { range: readonly [number, number] };
type LintSource = (input: {
  source: { filePath: string; content: string; contentType: "text" };
  options: { config: { rules: { id: string; rule: unknown }[] }; noPhysicFilePath: boolean };
}) => Promise<{ messages: LintMessage[] }>;

/** secretlint core + its recommended preset, loaded from where they were installed. */
async function secretlint(dir: string): Promise<Scanner> {
  // secretlint's profiler observes performance marks for ever (the process would never exit, and the
  // marks pile up): without a PerformanceObserver it takes its own no-op one, as in a browser.
  Reflect.set(perfHooks, "PerformanceObserver", undefined);
  const modules = join(resolve(dir), "node_modules", "@secretlint");
  const core = (await import(join(modules, "core", "module", "index.js"))) as { lintSource: LintSource };
  const preset = (await import(join(modules, "secretlint-rule-preset-recommend", "module", "index.js"))) as { creator: unknown };
  const config = { rules: [{ id: "@secretlint/secretlint-rule-preset-recommend", rule: preset.creator }] };
  return {
    name: "secretlint preset-recommend",
    spans: async (text) => {
      const source = { filePath: "/corpus/sample.txt", content: text, contentType: "text" as const };
      const result = await core.lintSource({ source, options: { config, noPhysicFilePath: true } });
      return result.messages.map((m) => ({ start: m.range[0], end: m.range[1] }));
    },
  };
}

function union(a: Scanner, b: Scanner): Scanner {
  return { name: `union (${a.name} + ${b.name})`, spans: async (text) => [...(await a.spans(text)), ...(await b.spans(text))] };
}

/** scoreCorpus needs a synchronous scanner: answer every corpus line in advance. */
async function score(scanner: Scanner): Promise<CorpusScore> {
  const lines = [...CORPUS_SAMPLES.map((s) => s.line), ...CORPUS_NEGATIVES.map((l) => l.line)];
  const answers = new Map<string, Span[]>();
  for (const line of lines) answers.set(line, await scanner.spans(line));
  return scoreCorpus((line) => answers.get(line) ?? []);
}

/** Samples found with no context at all: the token alone after a neutral key (`value: <token>`). */
async function bare(scanner: Scanner): Promise<number> {
  let found = 0;
  for (const s of CORPUS_SAMPLES) {
    const alone = { ...s, line: `value: ${s.secret}`, start: "value: ".length };
    if (detects(alone, await scanner.spans(alone.line))) found++;
  }
  return found;
}

/** Real source text: every tracked file of loki's src/ tests/ docs/ bench/ and the yaml package's dist/. */
function sourceTexts(): { texts: string[]; bytes: number } {
  const listed = Bun.spawnSync(["git", "ls-files", "src", "tests", "docs", "bench"], { cwd: ROOT }).stdout.toString().split("\n");
  // node_modules may be a symlink, which a glob from ROOT would not enter.
  const yaml = [...new Bun.Glob("**/*.js").scanSync({ cwd: join(ROOT, "node_modules", "yaml", "dist") })].map((p) =>
    join("node_modules", "yaml", "dist", p),
  );
  const texts = [...listed, ...yaml].filter(Boolean).map((path) => readFileSync(join(ROOT, path), "utf8"));
  return { texts, bytes: texts.reduce((n, t) => n + Buffer.byteLength(t), 0) };
}

/** MB/s of `scan` over every text, and of the floor, alternately (medians of RUNS after a warm-up). */
function throughput(texts: readonly string[], bytes: number, scan: (text: string) => Promise<unknown> | unknown): Promise<Measured> {
  const once = (fn: (text: string) => Promise<unknown> | unknown) => async () => {
    const started = performance.now();
    for (const text of texts) await fn(text);
    return bytes / (1024 * 1024) / ((performance.now() - started) / 1000);
  };
  return paired(
    once(scan),
    once((text) => text.match(FLOOR)),
    RUNS,
  );
}

const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1)} %`;

if (import.meta.main) {
  const at = process.argv.indexOf("--secretlint");
  const scanners: Scanner[] = [builtin];
  if (at > 0 && process.argv[at + 1]) {
    const other = await secretlint(process.argv[at + 1] ?? "");
    scanners.push(other, union(builtin, other));
  }
  const { texts, bytes } = sourceTexts();
  console.log(
    `corpus: ${CORPUS_SAMPLES.length} formats, ${CORPUS_NEGATIVES.length} look-alikes; source text: ${texts.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MB`,
  );
  for (const scanner of scanners) {
    const s = await score(scanner);
    const alone = await bare(scanner);
    console.log(
      `${scanner.name}: detection ${s.detected}/${s.samples} (${pct(s.detected, s.samples)}), as a bare token ${alone}/${s.samples}, false positives ${s.falsePositives}/${s.lookalikes} (${pct(s.falsePositives, s.lookalikes)})`,
    );
    if (s.missed.length > 0) console.log(`  missed: ${s.missed.join(" ")}`);
    if (s.flagged.length > 0) console.log(`  flagged look-alikes: ${s.flagged.join(" ")}`);
    if (scanner.name.startsWith("union")) continue;
    const m = await throughput(texts, bytes, scanner.spans);
    console.log(
      `  throughput ${m.median.toFixed(1)} MB/s; floor (one regex) ${m.floor.toFixed(1)} MB/s; ${(m.floor / m.median).toFixed(1)}× the floor's time`,
    );
  }
}
