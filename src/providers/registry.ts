// The provider registry: the one map from id to the lazy loader of its record (so a command pays only
// for the CLIs it touches; `status` and `version` load none), and the failover chain. Adding a
// provider = its record file, its id in core/provider-ids.ts, and one line here (tsc checks both).
import type { ProviderId } from "../core/config.ts";
import { PROVIDER_IDS } from "../core/provider-ids.ts";
import type { Provider } from "./provider.ts";

const LOADERS: Record<ProviderId, () => Promise<Provider>> = {
  claude: async () => (await import("./claude.ts")).claude,
  codex: async () => (await import("./codex.ts")).codex,
  cline: async () => (await import("./cline.ts")).cline,
  aider: async () => (await import("./aider.ts")).aider,
  opencode: async () => (await import("./opencode.ts")).opencode,
};

export async function loadProvider(id: ProviderId): Promise<Provider> {
  return LOADERS[id]();
}

/** Records for `ids` (default: every provider), in that order — preference order by default. */
export async function loadProviders(ids: readonly ProviderId[] = PROVIDER_IDS): Promise<Provider[]> {
  return Promise.all(ids.map(loadProvider));
}

/** The providers to try, in order: the primary, then the failover chain without repeats. */
export function failoverChain(primary: ProviderId, failover: readonly ProviderId[]): ProviderId[] {
  return [primary, ...failover].filter((id, index, all) => all.indexOf(id) === index);
}
