// Lazy, cycle-safe resolution of internal OpenAPI `$ref`s (JSON pointers into the same
// document). Resolves only what it is asked for: a 5 MB document is never walked whole.
// Never throws: an unresolvable, circular or external ref becomes one warning and `undefined`.

import { isRecord } from "./structured-items.ts";

/** Follows an RFC 6901 pointer fragment ("#/components/responses/NotFound", "~1" = "/", "~0" = "~"). */
export function resolvePointer(root: unknown, ref: string): unknown {
  let fragment = ref.slice(1);
  try {
    fragment = decodeURIComponent(fragment);
  } catch {
    // A literal "%" that is not an escape: use the fragment as written.
  }
  if (fragment === "") return root;
  if (!fragment.startsWith("/")) return undefined;
  let node: unknown = root;
  for (const raw of fragment.slice(1).split("/")) {
    const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node) && /^\d+$/.test(segment)) node = node[Number(segment)];
    else if (isRecord(node) && Object.hasOwn(node, segment)) node = node[segment];
    else return undefined;
  }
  return node;
}

export type Resolve = (node: unknown, where: string) => unknown;

/** A resolver that pushes one warning per distinct broken ref into `warnings`. */
export function createResolver(root: unknown, warnings: string[]): Resolve {
  const reported = new Set<string>();
  const warn = (key: string, message: string) => {
    if (reported.has(key)) return;
    reported.add(key);
    warnings.push(message);
  };
  return (node, where) => {
    let current = node;
    const chain: string[] = [];
    while (isRecord(current) && typeof current.$ref === "string") {
      const ref = current.$ref;
      if (!ref.startsWith("#")) {
        warn(ref, `external $ref not followed: ${ref} (at ${where})`);
        return undefined;
      }
      if (chain.includes(ref)) {
        warn(ref, `circular $ref: ${[...chain, ref].join(" → ")} (at ${where})`);
        return undefined;
      }
      chain.push(ref);
      current = resolvePointer(root, ref);
      if (current === undefined) {
        warn(ref, `unresolvable $ref: ${ref} (at ${where})`);
        return undefined;
      }
    }
    return current;
  };
}
