// The provider registry (each record loaded lazily, so a run pays only for the CLIs it uses) and
// the failover chain.
import type { ProviderId } from "../core/config.ts";
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

/** The providers to try, in order: the primary, then the failover chain without repeats. */
export function failoverChain(primary: ProviderId, failover: readonly ProviderId[]): ProviderId[] {
  return [primary, ...failover].filter((id, index, all) => all.indexOf(id) === index);
}
