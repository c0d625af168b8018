// Spec statistics and the complexity tier (simple / standard / complex, with reasons), read from
// the spec's own content only — never from the target repo's files or dependencies. Pure.
import type { Complexity, ComplexityTier, SpecStats } from "../core/schema.ts";
import type { ParsedSpec } from "./types.ts";

// What a spec names: each pattern is matched between word boundaries, `\b(?:pattern)\b`, in the lowercased
// text, and a name counts when its pattern occurs anywhere in it.
const INTEGRATIONS: Record<string, string> = {
  stripe: "stripe",
  paypal: "paypal",
  twilio: "twilio",
  sendgrid: "sendgrid",
  mailgun: "mailgun",
  slack: "slack",
  "github api": "github (api|app|webhooks?)",
  oauth: "oauth ?2?",
  auth0: "auth0",
  firebase: "firebase",
  supabase: "supabase",
  s3: "(aws )?s3",
  openai: "openai",
  anthropic: "anthropic",
  webhooks: "webhooks?",
  "google maps": "google maps",
  sentry: "sentry",
  algolia: "algolia",
  shopify: "shopify",
  smtp: "smtp",
  sso: "(saml|sso)",
};

const DATA_STORES: Record<string, string> = {
  postgresql: "postgres(ql)?",
  mysql: "(mysql|mariadb)",
  sqlite: "sqlite",
  mongodb: "mongo(db)?",
  redis: "redis",
  elasticsearch: "(elasticsearch|opensearch)",
  dynamodb: "dynamodb",
  cassandra: "cassandra",
  "object storage": "(object storage|blob storage)",
  localstorage: "local ?storage",
  indexeddb: "indexeddb",
};

const SERVICES: Record<string, string> = {
  frontend: "(frontend|front-end|web ui|spa)",
  api: "(backend|back-end|rest api|graphql|api server)",
  worker: "(background (jobs?|worker)|worker process|job queue)",
  queue: "(kafka|rabbitmq|sqs|nats|message queue)",
  scheduler: "(cron|scheduler|scheduled jobs?)",
  "docker compose": "(docker[- ]compose|compose file)",
  mobile: "(ios|android|mobile app|react native)",
  microservices: "microservices?",
};

const ENDPOINT = /\b(GET|POST|PUT|PATCH|DELETE)\s+(\/[\w/{}:.-]*)/g;

type Keyword = { table: number; name: string; pattern: string; at: RegExp };

/**
 * Each table's names, in table order, whose pattern occurs in `text` — what testing every pattern
 * over the whole text finds, in one pass for all of them (a 20,000-line spec is 1 MB of text): one
 * regex of all the patterns not yet found finds the first place any of them matches; there every
 * such pattern is tried; the ones that match are found, and the search goes on from the next character
 * with the rest. A pattern that occurs is thus found at the first place it matches, or earlier.
 */
function foundIn(text: string, tables: readonly Record<string, string>[]): string[][] {
  const all: Keyword[] = tables.flatMap((table, index) =>
    Object.entries(table).map(([name, pattern]) => ({ table: index, name, pattern, at: new RegExp(`\\b(?:${pattern})\\b`, "y") })),
  );
  const found = new Set<Keyword>();
  let remaining = all;
  for (let from = 0; remaining.length > 0; ) {
    const any = new RegExp(`\\b(?:${remaining.map((k) => k.pattern).join("|")})\\b`, "g");
    any.lastIndex = from;
    const match = any.exec(text);
    if (!match) break;
    for (const keyword of remaining) {
      keyword.at.lastIndex = match.index;
      if (keyword.at.test(text)) found.add(keyword);
    }
    remaining = remaining.filter((keyword) => !found.has(keyword));
    from = match.index + 1;
  }
  return tables.map((_, index) => all.filter((k) => k.table === index && found.has(k)).map((k) => k.name));
}

export function specStats(parsed: ParsedSpec): SpecStats {
  const text = parsed.text;
  const [integrations = [], data_stores = [], services = []] = foundIn(text.toLowerCase(), [INTEGRATIONS, DATA_STORES, SERVICES]);
  const endpointsInText = new Set<string>();
  for (const match of text.matchAll(ENDPOINT)) endpointsInText.add(`${match[1]} ${match[2]}`);
  return {
    words: countWords(text),
    lines: text === "" ? 0 : countLines(text),
    sections: parsed.sections.length,
    items: parsed.items.length,
    endpoints: Math.max(parsed.endpoints, endpointsInText.size),
    integrations,
    data_stores,
    services,
  };
}

/** Runs of non-space characters: what splitting on /\s+/ leaves non-empty, counted without the pieces
 *  (a 20,000-line spec has some 150,000 words). Each run and the spaces around it become one "x" in a
 *  single native replace, which is cheaper than a call into the pattern per word. */
function countWords(text: string): number {
  return /\S/.test(text) ? text.replace(/\s*\S+\s*/g, "x").length : 0;
}

function countLines(text: string): number {
  let count = 1;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) count++;
  return count;
}

type Rule = { points: (s: SpecStats) => number; reason: (s: SpecStats) => string };

const RULES: Rule[] = [
  { points: (s) => (s.items > 40 ? 3 : s.items > 20 ? 2 : s.items > 8 ? 1 : 0), reason: (s) => `${s.items} acceptance items` },
  { points: (s) => (s.words > 3000 ? 2 : s.words > 1000 ? 1 : 0), reason: (s) => `${s.words} words of spec` },
  { points: (s) => (s.endpoints > 20 ? 2 : s.endpoints > 5 ? 1 : 0), reason: (s) => `${s.endpoints} API endpoints` },
  {
    points: (s) => (s.integrations.length > 3 ? 2 : s.integrations.length > 0 ? 1 : 0),
    reason: (s) => `integrations: ${s.integrations.join(", ")}`,
  },
  {
    points: (s) => (s.data_stores.length > 2 ? 2 : s.data_stores.length > 1 ? 1 : 0),
    reason: (s) => `data stores: ${s.data_stores.join(", ")}`,
  },
  { points: (s) => (s.services.length > 3 ? 2 : s.services.length > 1 ? 1 : 0), reason: (s) => `services: ${s.services.join(", ")}` },
];

export function gradeComplexity(stats: SpecStats): Complexity {
  let score = 0;
  const reasons: string[] = [];
  for (const rule of RULES) {
    const points = rule.points(stats);
    if (points > 0) {
      score += points;
      reasons.push(`${rule.reason(stats)} (+${points})`);
    }
  }
  const tier: ComplexityTier = score <= 1 ? "simple" : score <= 4 ? "standard" : "complex";
  if (reasons.length === 0)
    reasons.push(`${stats.items} acceptance item${stats.items === 1 ? "" : "s"}, no integrations, services or data stores named`);
  return { tier, score, reasons };
}
