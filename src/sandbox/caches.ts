// Where the package managers and build tools a sandboxed command runs keep their caches: HOME is
// read-only in loki's sandbox, so npm, yarn, bun, pip and go write into the call's scratch dir instead.
import { join } from "node:path";

export function cachesIn(scratch: string): Record<string, string> {
  const cache = join(scratch, "cache");
  return {
    XDG_CACHE_HOME: cache,
    npm_config_cache: join(cache, "npm"),
    YARN_CACHE_FOLDER: join(cache, "yarn"),
    BUN_INSTALL_CACHE_DIR: join(cache, "bun"),
    PIP_CACHE_DIR: join(cache, "pip"),
    GOCACHE: join(cache, "go-build"),
  };
}
