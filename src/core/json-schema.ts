// JSON Schemas (draft-07) of the files people write and tools read: loki.yaml (editor completion),
// evidence.json and proof.json — generated from the zod schemas by zod's toJSONSchema, so they
// cannot drift from what loki validates. `bun run schemas` writes them to docs/schemas/.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { Config } from "./config.ts";
import { Evidence } from "./evidence-schema.ts";
import { ProofFile } from "./proof-schema.ts";
import { writeOut } from "./stdio.ts";

/** Where the schemas are published, relative to the repository root. */
export const SCHEMA_DIR = "docs/schemas";

type JsonObject = { [key: string]: unknown };
type Published = {
  file: string;
  title: string;
  description: string;
  schema: z.ZodType;
  /** input: what a person may write (defaults optional); output: what loki writes. */
  io: "input" | "output";
};

const PUBLISHED: Published[] = [
  {
    file: "config.schema.json",
    title: "loki.yaml",
    description: "loki's configuration: loki.yaml at the repository root, .loki/config.yaml (docs/configuration.md).",
    schema: Config,
    io: "input",
  },
  {
    file: "evidence.schema.json",
    title: "loki evidence",
    description: "The evidence `loki verify --json` prints and every verify or run writes to .loki/verify/evidence.json (docs/verify.md).",
    schema: Evidence,
    io: "output",
  },
  {
    file: "proof.schema.json",
    title: "loki proof of run",
    description: "A signed proof of run, .loki/proofs/<run_id>/proof.json (docs/proof.md).",
    schema: ProofFile,
    io: "output",
  },
];

/** Hover text for loki.yaml's keys in an editor, by key path (docs/configuration.md says more). */
const CONFIG_DESCRIPTIONS: Record<string, string> = {
  provider: "The coding-agent CLI that builds (LOKI_PROVIDER).",
  model: "Model id or alias (opus, sonnet, haiku); default: the provider's model for the spec's tier (LOKI_MODEL).",
  fallback_model: "A model the provider may switch to mid-call when the main one is overloaded (LOKI_FALLBACK_MODEL).",
  failover: "Providers to switch to on rate limits or repeated failures, in order (LOKI_FAILOVER, comma-separated).",
  effort: "Reasoning effort asked of the model (LOKI_EFFORT).",
  budget_usd: "Hard cap in US dollars over every call of a run: warn at 80 %, stop at 100 % (LOKI_BUDGET_USD).",
  max_iterations: "Iteration cap of a run (LOKI_MAX_ITERATIONS).",
  max_duration: 'Time cap of active running: seconds, or 90m, 2h (LOKI_MAX_DURATION). Quote a bare number: "3600".',
  heldout: "Hold some acceptance items out of the agent's sight for a final check (LOKI_HELDOUT).",
  council: "The blind council of read-only reviewers at the ship gate (LOKI_COUNCIL).",
  agent_timeout_seconds: "One agent call's wall-clock limit (LOKI_AGENT_TIMEOUT_SECONDS).",
  agent_idle_seconds: "One agent call's limit without output (LOKI_AGENT_IDLE_SECONDS).",
  max_retries: "Consecutive provider failures before failover or failure (LOKI_MAX_RETRIES).",
  stagnation_limit: "Iterations without a code change before the run ends stalled (LOKI_STAGNATION_LIMIT).",
  backoff_base_seconds: "First wait of the exponential backoff with jitter (LOKI_BACKOFF_BASE_SECONDS).",
  backoff_max_seconds: "Longest wait of the backoff (LOKI_BACKOFF_MAX_SECONDS).",
  ship: "Delivery with --pr/--ship.",
  "ship.merge_method": "How --ship merges the pull request.",
  "ship.checks_timeout_seconds": "How long --ship waits for the repository's checks.",
  "ship.poll_seconds": "How often --ship looks at the checks.",
  allow_root: "As root, let the provider use its sandbox-bypass mode, as --yes does (LOKI_ALLOW_ROOT).",
  sandbox: "Run every agent call in loki's OS sandbox; false is --no-sandbox, marked unsandboxed everywhere (LOKI_SANDBOX).",
  trackers: "Issue trackers' addresses; tokens come only from the environment, never from this file.",
  "trackers.github.api_url": "GitHub API URL, for GitHub Enterprise (GITHUB_API_URL).",
  "trackers.gitlab.api_url": "GitLab API URL, for self-hosted GitLab (GITLAB_API_URL, CI_API_V4_URL).",
  "trackers.jira.base_url": "The Jira site's URL (JIRA_BASE_URL).",
  "trackers.jira.email": "Account email for Jira API-token auth (JIRA_EMAIL).",
  "trackers.azure.org_url": "Azure DevOps organization URL (AZURE_DEVOPS_ORG_URL).",
  "trackers.retries": "Retries on 429 and 5xx responses.",
  "trackers.max_retry_wait_seconds": "The longest retry-after loki waits for.",
  verify: "Commands the gates run, in place of project detection. Graded as the base commit has them.",
  "verify.build": "Shell command that builds the project (LOKI_VERIFY_BUILD).",
  "verify.test": "Shell command that runs the tests (LOKI_VERIFY_TEST).",
  "verify.lint": "Shell command that lints the project (LOKI_VERIFY_LINT).",
  "verify.test_report": "A JUnit XML file the test command writes, for a runner loki cannot read itself (LOKI_VERIFY_TEST_REPORT).",
};

/** Every object's properties, by key path ("" = the root), in a generated schema. */
export function propertyPaths(schema: JsonObject, prefix = ""): Map<string, JsonObject> {
  const paths = new Map<string, JsonObject>();
  const properties = schema.properties as Record<string, JsonObject> | undefined;
  for (const [key, child] of Object.entries(properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    paths.set(path, child);
    for (const [deeper, node] of propertyPaths(child, path)) paths.set(deeper, node);
  }
  return paths;
}

/** Every object in the schema refuses keys it does not know: an editor flags the typo loki would warn about. */
function closeObjects(node: JsonObject): void {
  if (node.type === "object" && node.properties && node.additionalProperties === undefined) node.additionalProperties = false;
  for (const child of Object.values((node.properties as Record<string, JsonObject> | undefined) ?? {})) closeObjects(child);
}

function generate(p: Published): JsonObject {
  const body = z.toJSONSchema(p.schema, { target: "draft-7", io: p.io }) as JsonObject;
  const { $schema, ...rest } = body;
  const schema: JsonObject = { $schema, title: p.title, description: p.description, ...rest };
  if (p.schema === Config) {
    closeObjects(schema);
    const paths = propertyPaths(schema);
    for (const [path, text] of Object.entries(CONFIG_DESCRIPTIONS)) {
      const node = paths.get(path);
      if (node) node.description = text;
    }
  }
  return schema;
}

/** The published files: name and exact text (2-space JSON, final newline). */
export function jsonSchemas(): { file: string; text: string }[] {
  return PUBLISHED.map((p) => ({ file: p.file, text: `${JSON.stringify(generate(p), null, 2)}\n` }));
}

/** Config key paths described above that the schema does not have (a renamed key must fail a test). */
export function staleDescriptions(): string[] {
  const config = PUBLISHED[0];
  const paths = config ? propertyPaths(z.toJSONSchema(config.schema, { target: "draft-7", io: "input" }) as JsonObject) : new Map();
  return Object.keys(CONFIG_DESCRIPTIONS).filter((path) => !paths.has(path));
}

if (import.meta.main) {
  const dir = resolve(import.meta.dir, "..", "..", SCHEMA_DIR);
  mkdirSync(dir, { recursive: true });
  const schemas = jsonSchemas();
  for (const { file, text } of schemas) writeFileSync(join(dir, file), text);
  writeOut(`wrote ${schemas.map((s) => s.file).join(", ")} to ${SCHEMA_DIR}/\n`);
}
