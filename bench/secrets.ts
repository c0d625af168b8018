// `bun bench/secrets.ts`: throughput of the secrets scanner on ~50 MB of code-like added lines with
// a few fabricated secrets (from the rules' own samples) sprinkled in, against its floor: one pass of
// one simple regex over the same lines. Times only the scans, not the text generation. Writes no files.
import { type ScanLine as AddedLine, SECRET_RULES, scanLines } from "../src/core/secrets/detect.ts";
import { type Measured, paired } from "./measure.ts";

const TARGET_BYTES = 50 * 1024 * 1024;
const LINES_PER_FILE = 400;
const SECRET_EVERY = 5_000;
const RUNS = 5;
/** The floor's one rule: a literal prefix and a fixed-length class, the cheapest kind a scanner has. */
const SIMPLE = /AKIA[0-9A-Z]{16}/;

// Lines that look like what agents write, including the words the keyword filter wakes on
// (token, password, secret, key, access, authorization, URLs) without any literal credential.
const TEMPLATES: ((n: number, id: string) => string)[] = [
  (n, id) => `export const ${id}_${n} = compute(${n}, "value-${n}"); // line ${n}`,
  (n, id) => `  const token = await auth.getAccessToken({ scope: "${id}", retries: ${n % 5} });`,
  (n, id) => `  if (!password || password.length < ${n % 16}) throw new ValidationError("${id}: password too short");`,
  (n, id) => `  const secretName = config.secrets?.${id} ?? process.env.APP_SECRET_${n % 9};`,
  (n, id) =>
    `  const res = await fetch(\`https://api.example.com/v1/${id}/\${itemId}?page=${n}\`, { headers: { Authorization: \`Bearer \${token}\` } });`,
  (n, id) => `    task.status = "${id}-${n}"; // risk: access to the desk queue is async`,
  (n, id) => `def ${id}_${n}(self, api_key: str, timeout: float = ${n % 30}.0) -> dict:`,
  (n, id) => `        return {"id": ${n}, "name": "${id}", "tags": ["alpha", "beta"], "enabled": True}`,
  (n) => `import { ${["readFile", "writeFile", "stat", "mkdir"][n % 4]} } from "node:fs/promises";`,
  (n, id) => `  logger.info({ user: ${id}.id, count: ${n} }, "processed batch of records for the account");`,
  (n, id) => `    image: registry.example.com/${id}:1.${n % 20}.0  # pulled with the deploy key from vault`,
  () => "",
  (n) => `  }${n % 3 === 0 ? ");" : ""}`,
];

const WORDS = ["user", "order", "invoice", "session", "cache", "report", "widget", "payment", "profile", "queue"];

function generate(): { files: AddedLine[][]; bytes: number; secrets: number } {
  const tpLines = SECRET_RULES.flatMap((r) => r.samples.tp);
  const files: AddedLine[][] = [];
  let file: AddedLine[] = [];
  let bytes = 0;
  let secrets = 0;
  for (let n = 0; bytes < TARGET_BYTES; n++) {
    const template = TEMPLATES[n % TEMPLATES.length]!;
    const text =
      n > 0 && n % SECRET_EVERY === 0 ? (tpLines[secrets++ % tpLines.length] ?? "") : template(n, WORDS[(n * 7) % WORDS.length]!);
    file.push({ line: file.length + 1, text });
    bytes += text.length + 1;
    if (file.length === LINES_PER_FILE) {
      files.push(file);
      file = [];
    }
  }
  if (file.length > 0) files.push(file);
  return { files, bytes, secrets };
}

/** MB/s of one pass of `scan` over every file, where `scan` returns how many hits a file had. */
function throughput(files: AddedLine[][], bytes: number, scan: (lines: AddedLine[]) => number): { mbPerSecond: number; found: number } {
  const started = performance.now();
  let found = 0;
  for (const lines of files) found += scan(lines);
  const seconds = (performance.now() - started) / 1000;
  return { mbPerSecond: bytes / (1024 * 1024) / seconds, found };
}

function simpleScan(lines: AddedLine[]): number {
  let hits = 0;
  for (const { text } of lines) if (SIMPLE.test(text)) hits++;
  return hits;
}

/** Median MB/s of scanLines and of the one-regex floor over RUNS runs (after one warm-up for the JIT). */
export async function benchSecrets(): Promise<Measured> {
  const { files, bytes, secrets } = generate();
  let found = 0;
  const scanner = () => {
    const pass = throughput(files, bytes, (lines) => scanLines(lines).length);
    found = pass.found;
    return pass.mbPerSecond;
  };
  const measured = await paired(scanner, () => throughput(files, bytes, simpleScan).mbPerSecond, RUNS);
  if (found < secrets) throw new Error(`the scanner found ${found} of ${secrets} sprinkled secrets`);
  return measured;
}

if (import.meta.main) {
  const m = await benchSecrets();
  console.log(
    `secret scan: median ${m.median.toFixed(1)} MB/s, floor (one regex) ${m.floor.toFixed(1)} MB/s, ${(m.floor / m.median).toFixed(1)}× the floor's time`,
  );
}
