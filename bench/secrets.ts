// `bun bench/secrets.ts`: throughput of the secrets scanner on ~50 MB of code-like added lines with
// a few fabricated secrets (from the rules' own samples) sprinkled in. Times only scanLines, not the
// text generation; benchSecrets() returns the median of 5 runs for bench/run.ts. Writes no files.
import type { AddedLine } from "../src/gates/secrets.ts";
import { scanLines } from "../src/gates/secrets.ts";
import { SECRET_RULES } from "../src/gates/secret-rules.ts";
import { median } from "./util.ts";

const TARGET_BYTES = 50 * 1024 * 1024;
const LINES_PER_FILE = 400;
const SECRET_EVERY = 5_000;
const RUNS = 5;

// Lines that look like what agents write, including the words the keyword filter wakes on
// (token, password, secret, key, access, authorization, URLs) without any literal credential.
const TEMPLATES: ((n: number, id: string) => string)[] = [
  (n, id) => `export const ${id}_${n} = compute(${n}, "value-${n}"); // line ${n}`,
  (n, id) => `  const token = await auth.getAccessToken({ scope: "${id}", retries: ${n % 5} });`,
  (n, id) => `  if (!password || password.length < ${n % 16}) throw new ValidationError("${id}: password too short");`,
  (n, id) => `  const secretName = config.secrets?.${id} ?? process.env.APP_SECRET_${n % 9};`,
  (n, id) => `  const res = await fetch(\`https://api.example.com/v1/${id}/\${itemId}?page=${n}\`, { headers: { Authorization: \`Bearer \${token}\` } });`,
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
    const text = n > 0 && n % SECRET_EVERY === 0 ? (tpLines[secrets++ % tpLines.length] ?? "") : template(n, WORDS[(n * 7) % WORDS.length]!);
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


export async function benchSecrets(): Promise<{ ms: number; mbPerSecond: number }> {
  const { files, bytes, secrets } = generate();
  const times: number[] = [];
  let found = 0;
  for (let i = 0; i < RUNS + 1; i++) {
    const started = performance.now();
    found = 0;
    for (const lines of files) found += scanLines(lines).length;
    if (i > 0) times.push(performance.now() - started); // the first run warms the JIT
  }
  if (found < secrets) throw new Error(`the scanner found ${found} of ${secrets} sprinkled secrets`);
  const ms = median(times);
  return { ms, mbPerSecond: bytes / (1024 * 1024) / (ms / 1000) };
}

if (import.meta.main) {
  const { ms, mbPerSecond } = await benchSecrets();
  console.log(`secret scan: median ${ms.toFixed(1)} ms, ${mbPerSecond.toFixed(1)} MB/s`);
}
