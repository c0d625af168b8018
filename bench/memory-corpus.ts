// The synthetic episodic-memory corpus the memory benchmark searches (research/MEMORY.md's method):
// developer failures over feature areas and projects, 70 % canonical wording and 30 % paraphrase, and
// labelled queries (lexical, held-out paraphrase, alias) with their relevant ids. Deterministic per seed.
import { mulberry32 } from "./random.ts";

export type Feature = { name: string; alias: string; table: string; column: string; component: string; fn: string; service: string };
export type Variant = {
  id: string;
  type: string;
  error: (f: Feature) => string;
  canonical: (f: Feature) => string;
  paraphrase: (f: Feature) => string;
  /** Query wording no episode uses (held out). */
  ask: (f: Feature) => string;
};
export type CorpusEpisode = {
  id: string;
  project: string;
  ts: string;
  phase: string;
  outcome: "failure" | "success";
  goal: string;
  errors: { type: string; message: string }[];
  files: string[];
  summary: string;
  /** The label: `${variant}/${feature}`, "" for an episode without a failure. */
  label: string;
};
export type LabelledQuery = { text: string; kind: "lexical" | "paraphrase" | "alias"; relevant: string[] };

// biome-ignore format: a table
const FEATURE_ROWS = [
  ["billing", "invoicing", "invoices", "due_date", "InvoiceList", "calculateInvoiceTotal"],
  ["checkout", "purchase flow", "carts", "cart_token", "CheckoutForm", "submitCheckout"],
  ["auth", "login", "sessions", "refresh_token", "LoginForm", "verifyPassword"],
  ["search", "lookup", "search_terms", "query_vector", "SearchBar", "rankResults"],
  ["notifications", "alerts", "notifications", "read_at", "NotificationBell", "sendDigest"],
  ["reports", "analytics", "report_runs", "generated_at", "ReportChart", "aggregateMetrics"],
  ["profile", "account settings", "profiles", "avatar_url", "ProfileEditor", "updateProfile"],
  ["inventory", "stock levels", "stock_items", "quantity_on_hand", "StockTable", "reserveStock"],
  ["shipping", "delivery", "shipments", "tracking_number", "ShipmentTracker", "createLabel"],
  ["orders", "purchases", "orders", "placed_at", "OrderHistory", "placeOrder"],
  ["payments", "charges", "payments", "amount_cents", "PaymentForm", "capturePayment"],
  ["onboarding", "signup flow", "signups", "invite_code", "WelcomeWizard", "completeOnboarding"],
  ["comments", "discussion threads", "comments", "parent_id", "CommentThread", "postComment"],
  ["uploads", "attachments", "uploads", "content_type", "FileDropzone", "storeUpload"],
  ["chat", "messaging", "messages", "sent_at", "ChatWindow", "deliverMessage"],
  ["calendar", "scheduling", "events", "starts_at", "CalendarView", "scheduleEvent"],
  ["subscriptions", "plans", "subscriptions", "renews_at", "PlanPicker", "renewSubscription"],
  ["admin", "backoffice", "admin_users", "role_id", "AdminPanel", "grantRole"],
  ["exports", "csv download", "export_jobs", "file_key", "ExportButton", "buildCsv"],
  ["webhooks", "callbacks", "webhook_endpoints", "signing_secret", "WebhookSettings", "dispatchWebhook"],
  ["translations", "i18n", "locales", "fallback_locale", "LanguageSwitcher", "loadMessages"],
  ["audit", "activity log", "audit_events", "actor_id", "AuditLogTable", "recordAudit"],
  ["feed", "timeline", "feed_items", "score", "FeedList", "rankFeed"],
  ["coupons", "discounts", "coupons", "expires_at", "CouponField", "applyCoupon"],
  ["ratings", "reviews", "ratings", "stars", "RatingStars", "submitRating"],
] as const;

export const FEATURES: Feature[] = FEATURE_ROWS.map(([name, alias, table, column, component, fn]) => ({
  name,
  alias,
  table,
  column,
  component,
  fn,
  service: `${name}-service`,
}));

const v = (
  id: string,
  type: string,
  error: Variant["error"],
  canonical: Variant["canonical"],
  paraphrase: Variant["paraphrase"],
  ask: Variant["ask"],
): Variant => ({ id, type, error, canonical, paraphrase, ask });

// biome-ignore format: a table
export const VARIANTS: Variant[] = [
  v("ts-assign", "TypeError", (f) => `error TS2322: Type 'string' is not assignable to type 'number' in ${f.fn}`, (f) => `TS2322 type mismatch in ${f.fn}: string assigned to number`, (f) => `compiler rejected ${f.fn} because a text value went into a numeric field`, (f) => `typescript complains a string cannot go where a number is expected in ${f.name}`),
  v("ts-prop", "TypeError", (f) => `error TS2339: Property '${f.column}' does not exist on type '${f.component}Props'`, (f) => `TS2339 missing property ${f.column} on ${f.component}Props`, (f) => `the props type of ${f.component} lacks the field the code reads`, (f) => `tsc says a field is absent from the component props of ${f.name}`),
  v("ts-null", "TypeError", (f) => `error TS2531: Object is possibly 'null' in ${f.fn}`, (f) => `TS2531 object possibly null in ${f.fn} under strictNullChecks`, (f) => `strict mode flagged a value in ${f.fn} that may be empty`, (f) => `compiler warns a value might be missing in ${f.name} code`),
  v("import-missing", "ModuleNotFound", (f) => `Cannot find module './${f.fn}' imported from src/${f.name}/index.ts`, (f) => `missing import: module ./${f.fn} not found`, (f) => `the ${f.name} entry point pulls in a file that is not there`, (f) => `resolution of a local file fails when loading ${f.name}`),
  v("import-esm", "ModuleNotFound", () => `ERR_REQUIRE_ESM: require() of ES Module node_modules/nanoid/index.js not supported`, (f) => `ERR_REQUIRE_ESM when ${f.service} requires an ES module`, (f) => `commonjs code in ${f.service} loads a package that ships only modern modules`, (f) => `${f.name} crashes at startup because of the module format of a dependency`),
  v("flaky-timeout", "TestFailure", (f) => `Timeout - Async callback was not invoked within the 5000 ms timeout in ${f.component}.test.tsx`, (f) => `flaky test: ${f.component}.test.tsx times out after 5000 ms`, (f) => `the ${f.component} spec sometimes hangs and the runner gives up`, (f) => `intermittent hang in the ${f.name} unit tests`),
  v("flaky-order", "TestFailure", (f) => `expected [ 'a', 'b' ] to deeply equal [ 'b', 'a' ] in ${f.fn}.test.ts`, (f) => `flaky test: ${f.fn} result order is not deterministic`, (f) => `assertions on ${f.fn} pass or fail depending on the sequence rows come back in`, (f) => `${f.name} test is unstable because results arrive in random sequence`),
  v("snapshot", "TestFailure", (f) => `Snapshot ${f.component} 1 obsolete: 1 snapshot failed`, (f) => `snapshot mismatch for ${f.component} after markup change`, (f) => `stored rendering of ${f.component} no longer matches what it draws`, (f) => `saved UI output is outdated for ${f.name}`),
  v("compose-health", "DockerError", (f) => `container acme-${f.name}-db-1 is unhealthy: dependency failed to start`, (f) => `docker compose healthcheck failed: ${f.name} db container unhealthy`, (f) => `the database box for ${f.name} never reported ready so compose stopped`, (f) => `database service never becomes ready in the stack for ${f.name}`),
  v("compose-port", "DockerError", () => `Bind for 0.0.0.0:5432 failed: port is already allocated`, (f) => `docker compose up fails: port 5432 already allocated for ${f.service}`, (f) => `another process holds the postgres socket so ${f.service} cannot start its stack`, (f) => `local stack for ${f.name} cannot listen, address in use`),
  v("migration-exists", "MigrationError", (f) => `column "${f.column}" of relation "${f.table}" already exists`, (f) => `SQL migration failed: column ${f.column} already exists on ${f.table}`, (f) => `schema change for ${f.table} ran twice and tried to add ${f.column} again`, (f) => `database upgrade script for ${f.name} adds a field that is there already`),
  v("migration-lock", "MigrationError", (f) => `canceling statement due to lock timeout while altering table ${f.table}`, (f) => `migration lock timeout altering ${f.table}`, (f) => `the schema change on ${f.table} waited on other sessions and was cancelled`, (f) => `altering the ${f.name} schema blocks on concurrent transactions`),
  v("jwt-expired", "AuthError", () => `JsonWebTokenError: jwt expired at 2026-03-01T10:00:00Z`, (f) => `JWT expired: ${f.service} rejects the access token with 401`, (f) => `${f.service} refuses callers once their bearer credential ages out`, (f) => `users of ${f.name} get logged out because credentials go stale`),
  v("csrf", "AuthError", () => `ForbiddenError: invalid csrf token`, (f) => `CSRF token invalid on the ${f.component} POST`, (f) => `cross-site request forgery check rejected the form submit in ${f.component}`, (f) => `form posts in ${f.name} bounce with a forgery protection refusal`),
  v("cors", "NetworkError", (f) => `Access to fetch at 'https://api.example.com/${f.name}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header`, (f) => `CORS blocked: missing Access-Control-Allow-Origin on /${f.name}`, (f) => `the browser refused the cross-origin response from the ${f.name} API`, (f) => `frontend cannot call the ${f.name} endpoint from another origin`),
  v("rate-limit", "NetworkError", () => `HTTP 429 Too Many Requests: retry after 30s`, (f) => `rate limited: 429 Too Many Requests from ${f.service}`, (f) => `${f.service} throttled us for calling it too often`, (f) => `${f.name} calls are being throttled by the upstream`),
  v("econnrefused", "NetworkError", () => `connect ECONNREFUSED 127.0.0.1:6379`, (f) => `ECONNREFUSED to redis from ${f.service}`, (f) => `${f.service} could not reach the cache server on its local socket`, (f) => `cache connection denied for ${f.name}`),
  v("oom", "RuntimeError", () => `FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory`, (f) => `out of memory: heap limit reached in ${f.fn}`, (f) => `${f.fn} used up all the memory node allows`, (f) => `process runs out of RAM while running ${f.name} batch`),
  v("eresolve", "DependencyError", () => `npm ERR! code ERESOLVE unable to resolve dependency tree: peer react@"^18" from @acme/ui`, (f) => `ERESOLVE peer dependency conflict installing ${f.name} packages`, (f) => `package install for ${f.name} stopped on incompatible peer requirements`, (f) => `npm install breaks over conflicting library versions for ${f.name}`),
  v("lint-unused", "LintError", (f) => `'${f.column}' is assigned a value but never used  no-unused-vars`, (f) => `eslint no-unused-vars: ${f.column} never used in ${f.fn}`, (f) => `linter flagged a variable in ${f.fn} that nothing reads`, (f) => `static checks fail on dead variables in ${f.name}`),
  v("null-deref", "RuntimeError", (f) => `TypeError: Cannot read properties of undefined (reading '${f.column}')`, (f) => `undefined property read: ${f.column} in ${f.fn}`, (f) => `${f.fn} dereferenced an object that was not set yet`, (f) => `crash accessing a field of nothing in ${f.name}`),
  v("react-hooks", "ReactError", () => `Error: Rendered more hooks than during the previous render`, (f) => `React hooks order error in ${f.component}: more hooks than previous render`, (f) => `${f.component} calls its hooks conditionally and React complains`, (f) => `hook call sequence changes between renders of the ${f.name} page`),
  v("react-key", "ReactError", (f) => `Warning: Each child in a list should have a unique "key" prop. Check the render method of ${f.component}`, (f) => `missing key prop in ${f.component} list render`, (f) => `${f.component} renders rows without stable identifiers`, (f) => `list items on the ${f.name} screen have no identity attribute`),
  v("date-tz", "AssertionError", (f) => `expected '2026-03-29T01:00:00Z' to equal '2026-03-29T00:00:00Z' in ${f.fn}`, (f) => `timezone DST bug in ${f.fn}: off by one hour`, (f) => `${f.fn} shifts timestamps by sixty minutes around the clock change`, (f) => `daylight saving makes ${f.name} times wrong`),
  v("race", "AssertionError", (f) => `expected ${f.column} to be 2 but got 1 (lost update)`, (f) => `race condition: concurrent ${f.fn} calls lose an update`, (f) => `two simultaneous runs of ${f.fn} overwrite each other`, (f) => `parallel requests to ${f.name} clobber each other's writes`),
  v("env-missing", "ConfigError", (f) => `Error: Missing required environment variable ${f.name.toUpperCase()}_API_URL`, (f) => `env config missing: ${f.name.toUpperCase()}_API_URL not set`, (f) => `${f.service} boots without the setting that points at its upstream`, (f) => `startup of ${f.name} fails because a configuration value is absent`),
  v("enoent", "FsError", (f) => `ENOENT: no such file or directory, open 'fixtures/${f.table}.json'`, (f) => `ENOENT reading fixtures/${f.table}.json`, (f) => `the sample data file for ${f.table} is not on disk`, (f) => `test data for ${f.name} cannot be opened`),
  v("bundle-size", "BuildError", (f) => `asset ${f.name}.chunk.js exceeds the recommended size limit (244 KiB)`, (f) => `bundle size limit exceeded by ${f.name}.chunk.js`, (f) => `the ${f.name} chunk grew past what the bundler allows`, (f) => `${f.name} javascript output is too heavy`),
  v("serialize", "SerializationError", () => `TypeError: Do not know how to serialize a BigInt`, (f) => `JSON serialization of BigInt fails in ${f.fn}`, (f) => `${f.fn} tries to stringify a large integer type and throws`, (f) => `${f.name} response encoding chokes on big numbers`),
  v("websocket", "NetworkError", () => `WebSocket connection to 'wss://app.example.com/live' failed: 1006 abnormal closure`, (f) => `websocket closed 1006 abnormal closure in ${f.component}`, (f) => `the live socket behind ${f.component} drops without a close frame`, (f) => `realtime channel for ${f.name} disconnects unexpectedly`),
];

const PROJECTS = [
  ["acme-shop", "ts"],
  ["ledger-api", "py"],
  ["fleet-ctl", "go"],
  ["notes-web", "ts"],
  ["metrics-hub", "py"],
  ["pay-gateway", "go"],
  ["crm-portal", "ts"],
  ["docs-site", "ts"],
] as const;
const PHASES = ["act", "verify", "verify", "ship"];
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const GOALS: ((f: Feature) => string)[] = [
  (f) => `Add pagination to ${f.component} on the ${f.name} page`,
  (f) => `Implement ${f.fn} for the ${f.name} module`,
  (f) => `Store ${f.column} in ${f.table} and show it in ${f.component}`,
  (f) => `Refactor ${f.service} endpoints for ${f.name}`,
  (f) => `Make ${f.name} work offline with a retry queue`,
];
const FIXES = ["fixed by", "resolved by", "solved with"];

const rng = mulberry32;
const pick = <T>(r: () => number, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;

function filesOf(f: Feature, style: string): string[] {
  if (style === "py") return [`app/${f.name}/${snake(f.fn)}.py`, `tests/${f.name}/test_${f.table}.py`];
  if (style === "go") return [`internal/${f.name}/${f.name}.go`, `internal/${f.name}/${f.name}_test.go`];
  return [`src/${f.name}/${f.component}.tsx`, `src/${f.name}/${f.fn}.ts`];
}

/** `count` episodes: 90 % name a failure variant in a feature (70 % canonical summary, 30 % paraphrase), 10 % plain progress. */
export function generateCorpus(count: number, seed = 42): CorpusEpisode[] {
  const r = rng(seed);
  const start = Date.UTC(2025, 0, 1);
  return Array.from({ length: count }, (_, i) => {
    const [project, style] = pick(r, PROJECTS);
    const f = pick(r, FEATURES);
    const ts = new Date(start + Math.floor(r() * 500 * 86_400_000)).toISOString();
    const base = {
      id: `ep_${seed}_${String(i).padStart(6, "0")}`,
      project,
      ts,
      phase: pick(r, PHASES),
      goal: pick(r, GOALS)(f),
      files: filesOf(f, style),
    };
    if (r() < 0.1) return { ...base, outcome: "success", errors: [], summary: `${f.component} updated, all gates green`, label: "" };
    const variant = pick(r, VARIANTS);
    const wording = r() < 0.7 ? variant.canonical(f) : variant.paraphrase(f);
    const failure = r() < 0.7;
    return {
      ...base,
      outcome: failure ? "failure" : "success",
      errors: failure ? [{ type: variant.type, message: variant.error(f) }] : [],
      summary: failure ? wording : `${wording} — ${pick(r, FIXES)} a change in ${f.fn}`,
      label: `${variant.id}/${f.name}`,
    };
  });
}

/** What the index sees of an episode (MEMORY.md): goal + error messages + summary + file paths. */
export function episodeText(e: CorpusEpisode): string {
  return [e.goal, ...e.errors.map((x) => x.message), e.summary, ...e.files].join("\n");
}

/** `count` labelled queries over (variant, feature) pairs with ≥ 3 episodes; the relevant set is every such episode. */
export function generateQueries(episodes: readonly CorpusEpisode[], count: number, seed = 7): LabelledQuery[] {
  const byLabel = new Map<string, string[]>();
  for (const e of episodes) if (e.label) byLabel.set(e.label, [...(byLabel.get(e.label) ?? []), e.id]);
  const labels = [...byLabel.keys()].filter((l) => (byLabel.get(l) as string[]).length >= 3).sort();
  const r = rng(seed);
  const kinds = ["lexical", "paraphrase", "alias"] as const;
  return Array.from({ length: count }, (_, i) => {
    const label = pick(r, labels);
    const [variantId, featureName] = label.split("/");
    const variant = VARIANTS.find((x) => x.id === variantId) as Variant;
    const f = FEATURES.find((x) => x.name === featureName) as Feature;
    const kind = kinds[i % 3] as LabelledQuery["kind"];
    const text =
      kind === "lexical"
        ? `${r() < 0.5 ? variant.error(f) : variant.canonical(f)} while working on ${f.name}`
        : `${variant.ask(f).replace(f.name, kind === "alias" ? f.alias : f.name)}`;
    return { text, kind, relevant: byLabel.get(label) as string[] };
  });
}
