// The one list of provider ids, in preference order (`plan` recommends the first one installed;
// the first is loki's first-class provider). Everything else about a provider lives in its record,
// src/providers/<id>.ts, loaded through providers/registry.ts. No imports: program.ts reads it at startup.

export const PROVIDER_IDS = ["claude", "codex", "cline", "aider", "opencode"] as const;

export type ProviderId = (typeof PROVIDER_IDS)[number];
