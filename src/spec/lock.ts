// The spec lock and drift: per-item content hashes when locked, and a report of what was added,
// removed or changed since. A reworded item is paired with its old self by word overlap. Pure.
import { canonicalJson, sha256 } from "../core/hash.ts";
import { SCHEMA_VERSION, type DriftReport, type SpecItem, type SpecLock, type Spec } from "../core/schema.ts";

export function itemHash(item: Pick<SpecItem, "text" | "kind" | "section" | "verify">): string {
  return sha256(canonicalJson({ text: item.text, kind: item.kind, section: item.section ?? null, verify: item.verify ?? null }));
}

export function buildLock(spec: Spec, now: Date): SpecLock {
  return {
    schema_version: SCHEMA_VERSION,
    locked_at: now.toISOString(),
    source: spec.source,
    items: spec.items.map((item) => ({
      id: item.id,
      sha256: itemHash(item),
      text: item.text,
      ...(item.section ? { section: item.section } : {}),
    })),
  };
}

const PAIR_THRESHOLD = 0.5;

export function diffLock(lock: SpecLock, spec: Spec, now: Date): DriftReport {
  const current = new Map(spec.items.map((item) => [item.id, item]));
  const locked = new Map(lock.items.map((item) => [item.id, item]));
  const changed: DriftReport["changed"] = [];
  for (const [id, before] of locked) {
    const after = current.get(id);
    if (after && itemHash(after) !== before.sha256) changed.push({ id, new_id: id, before: before.text, after: after.text });
  }
  let removed = lock.items.filter((item) => !current.has(item.id));
  let added = spec.items.filter((item) => !locked.has(item.id));
  // A reworded item has a new id: pair it with the removed item it most resembles.
  for (const old of [...removed]) {
    const best = added
      .map((candidate) => ({ candidate, score: similarity(old.text, candidate.text) + (candidate.section === old.section ? 0.05 : 0) }))
      .sort((a, b) => b.score - a.score)[0];
    if (best && best.score >= PAIR_THRESHOLD) {
      changed.push({ id: old.id, new_id: best.candidate.id, before: old.text, after: best.candidate.text });
      removed = removed.filter((item) => item !== old);
      added = added.filter((item) => item !== best.candidate);
    }
  }
  return {
    schema_version: SCHEMA_VERSION,
    checked_at: now.toISOString(),
    in_sync: removed.length === 0 && added.length === 0 && changed.length === 0,
    source_ref: spec.source.ref,
    locked_sha256: lock.source.sha256,
    current_sha256: spec.source.sha256,
    added: added.map((item) => ({ id: item.id, text: item.text })),
    removed: removed.map((item) => ({ id: item.id, text: item.text })),
    changed,
  };
}

/** Jaccard overlap of the two texts' word sets. */
export function similarity(a: string, b: string): number {
  const words = (text: string) => new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
  const left = words(a);
  const right = words(b);
  if (left.size === 0 && right.size === 0) return 1;
  let shared = 0;
  for (const word of left) if (right.has(word)) shared += 1;
  return shared / (left.size + right.size - shared);
}
