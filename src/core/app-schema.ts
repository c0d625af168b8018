// The app runner's records in .loki/app/: why this command (detection.json), what runs now and where
// (state.json), the health history (health.jsonl). Apart from the other schemas so that `loki preview`
// on a running app builds only what it reads, and the dashboard and the proof read the same shapes.
import { z } from "zod";
import { lazySchema } from "./lazy-schema.ts";

const SCHEMA_VERSION = 1 as const;

/** How the app is run, most explicit first (src/app/detect.ts walks them in this order). */
export const AppKind = lazySchema(() => z.enum(["override", "compose", "dockerfile", "framework", "static", "none"]));
export type AppKind = z.infer<typeof AppKind>;

/** `{PORT}` in an argv is replaced by the port loki chose; PORT is also in the app's environment. */
export const PORT_TOKEN = "{PORT}";

export const DetectionCheck = lazySchema(() => z.object({ rule: z.string(), matched: z.boolean(), why: z.string() }));
export type DetectionCheck = z.infer<typeof DetectionCheck>;

export const ComposeChoice = lazySchema(() =>
  z.object({
    /** The compose file, relative to the repository root. */
    file: z.string(),
    /** The primary web service, and why it was chosen. */
    primary: z.string(),
    primary_why: z.string(),
    /** The port inside the primary's container that is published, when known. */
    container_port: z.number().int().nullable(),
    /** The host port it is published on; null when the engine assigns one (`ports: ["8080"]`). */
    host_port: z.number().int().nullable(),
    services: z.array(z.string()),
  }),
);
export type ComposeChoice = z.infer<typeof ComposeChoice>;

export const AppDetection = lazySchema(() =>
  z.object({
    schema_version: z.literal(SCHEMA_VERSION),
    kind: AppKind,
    /** The rule that matched: "vite", "next", "flask", "go", "static", "compose", … null for none. */
    framework: z.string().nullable(),
    /** argv to run (relative to `cwd`); `{PORT}` stands for the chosen port. null for compose and none. */
    command: z.array(z.string()).nullable(),
    /** Where the command runs, relative to the repository root ("." for the root). */
    cwd: z.string(),
    /** A port the app is known to listen on whatever PORT says (a fixed port in its config); null when it follows PORT. */
    fixed_port: z.number().int().nullable(),
    /** One sentence: why this command. For none: what was looked for and the override to set. */
    reason: z.string(),
    /** Every rule looked at, in order, and what it found. */
    checked: z.array(DetectionCheck),
    compose: ComposeChoice.optional(),
  }),
);
export type AppDetection = z.infer<typeof AppDetection>;

export const AppStatus = lazySchema(() => z.enum(["starting", "live", "unhealthy", "crashed", "stopped"]));
export type AppStatus = z.infer<typeof AppStatus>;

export const AppState = lazySchema(() =>
  z.object({
    schema_version: z.literal(SCHEMA_VERSION),
    status: AppStatus,
    kind: AppKind,
    framework: z.string().nullable(),
    /** What runs, for people (argv joined, or "podman-compose up (web)"). */
    command: z.string(),
    /** The supervisor: the detached loki process that owns the app and takes it down. */
    supervisor: z.object({ pid: z.number().int(), start: z.string().nullable() }),
    /** The app's own process (the sandbox's, when confined); null for compose. */
    app_pid: z.number().int().nullable(),
    /** The app process's start token (core/process-identity.ts), so a stale app_pid is never signalled. */
    app_start: z.string().nullable().optional(),
    port: z.number().int().nullable(),
    /** How the port was learned: the PORT loki passed, the app's "listening on" line, its sockets, compose's publish. */
    port_source: z.enum(["env", "log", "socket", "compose", "fixed"]).nullable(),
    url: z.string().nullable(),
    /** The compose project loki owns for this repository (taken down on stop); null otherwise. */
    project: z.string().nullable(),
    sandboxed: z.boolean(),
    restarts: z.number().int(),
    /** The run that started it, when `loki start` did; null for `loki preview`. */
    run_id: z.string().nullable(),
    started_at: z.string(),
    live_at: z.string().nullable(),
    updated_at: z.string(),
    /** Why it is not live: the crash, the last failed probe, the reason it stopped. */
    detail: z.string().nullable(),
    /** The redacted end of its log when it crashed. */
    log_tail: z.array(z.string()),
  }),
);
export type AppState = z.infer<typeof AppState>;

/** One line of health.jsonl: a change of status, with the probe that caused it. */
export const HealthRecord = lazySchema(() =>
  z.object({
    ts: z.string(),
    status: AppStatus,
    url: z.string().nullable(),
    /** The HTTP status of the probe that decided it; null when none answered. */
    http: z.number().int().nullable(),
    ms: z.number().nullable(),
    detail: z.string().nullable(),
    run_id: z.string().nullable(),
  }),
);
export type HealthRecord = z.infer<typeof HealthRecord>;
