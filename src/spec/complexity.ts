// Spec statistics and the complexity tier (simple / standard / complex, with reasons), read from
// the spec's own content only — never from the target repo's files or dependencies. Pure.
import type { Complexity, ComplexityTier, SpecStats } from "../core/schema.ts";
import type { ParsedSpec } from "./types.ts";

const INTEGRATIONS: Record<string, RegExp> = {
  stripe: /\bstripe\b/,
  paypal: /\bpaypal\b/,
  twilio: /\btwilio\b/,
  sendgrid: /\bsendgrid\b/,
  mailgun: /\bmailgun\b/,
  slack: /\bslack\b/,
  "github api": /\bgithub (api|app|webhooks?)\b/,
  oauth: /\boauth ?2?\b/,
  auth0: /\bauth0\b/,
  firebase: /\bfirebase\b/,
  supabase: /\bsupabase\b/,
  s3: /\b(aws )?s3\b/,
  openai: /\bopenai\b/,
  anthropic: /\banthropic\b/,
  webhooks: /\bwebhooks?\b/,
  "google maps": /\bgoogle maps\b/,
  sentry: /\bsentry\b/,
  algolia: /\balgolia\b/,
  shopify: /\bshopify\b/,
  smtp: /\bsmtp\b/,
  sso: /\b(saml|sso)\b/,
};

const DATA_STORES: Record<string, RegExp> = {
  postgresql: /\bpostgres(ql)?\b/,
  mysql: /\b(mysql|mariadb)\b/,
  sqlite: /\bsqlite\b/,
  mongodb: /\bmongo(db)?\b/,
  redis: /\bredis\b/,
  elasticsearch: /\b(elasticsearch|opensearch)\b/,
  dynamodb: /\bdynamodb\b/,
  cassandra: /\bcassandra\b/,
  "object storage": /\b(object storage|blob storage)\b/,
  localstorage: /\blocal ?storage\b/,
  indexeddb: /\bindexeddb\b/,
};

const SERVICES: Record<string, RegExp> = {
  frontend: /\b(frontend|front-end|web ui|spa)\b/,
  api: /\b(backend|back-end|rest api|graphql|api server)\b/,
  worker: /\b(background (jobs?|worker)|worker process|job queue)\b/,
  queue: /\b(kafka|rabbitmq|sqs|nats|message queue)\b/,
  scheduler: /\b(cron|scheduler|scheduled jobs?)\b/,
  "docker compose": /\b(docker[- ]compose|compose file)\b/,
  mobile: /\b(ios|android|mobile app|react native)\b/,
  microservices: /\bmicroservices?\b/,
};

const ENDPOINT = /\b(GET|POST|PUT|PATCH|DELETE)\s+(\/[\w/{}:.-]*)/g;

function found(text: string, table: Record<string, RegExp>): string[] {
  return Object.entries(table)
    .filter(([, re]) => re.test(text))
    .map(([name]) => name);
}

export function specStats(parsed: ParsedSpec): SpecStats {
  const text = parsed.text;
  const lower = text.toLowerCase();
  const endpointsInText = new Set<string>();
  for (const match of text.matchAll(ENDPOINT)) endpointsInText.add(`${match[1]} ${match[2]}`);
  return {
    words: countWords(text),
    lines: text === "" ? 0 : countLines(text),
    sections: parsed.sections.length,
    items: parsed.items.length,
    endpoints: Math.max(parsed.endpoints, endpointsInText.size),
    integrations: found(lower, INTEGRATIONS),
    data_stores: found(lower, DATA_STORES),
    services: found(lower, SERVICES),
  };
}

/** Runs of non-space characters: what splitting on /\s+/ leaves non-empty, counted without the pieces
 *  (a 20,000-line spec has some 150,000 words). */
function countWords(text: string): number {
  const word = /\S+/g;
  let count = 0;
  while (word.test(text)) count++;
  return count;
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
