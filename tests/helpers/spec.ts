// Builds a Spec in memory from raw items, the way intake does, for tests of later stages.
import { sha256 } from "../../src/core/hash.ts";
import { SCHEMA_VERSION, type Spec } from "../../src/core/schema.ts";
import { assignIds } from "../../src/spec/checklist.ts";
import { gradeComplexity, specStats } from "../../src/spec/complexity.ts";
import type { RawItem } from "../../src/spec/types.ts";

export function makeSpec(items: RawItem[], text = items.map((i) => i.text).join("\n"), endpoints = 0): Spec {
  const parsed = { title: "Test spec", sections: [], items, text, endpoints, warnings: [] };
  const stats = specStats(parsed);
  return {
    schema_version: SCHEMA_VERSION,
    title: parsed.title,
    source: { kind: "markdown", ref: "prd.md", sha256: sha256(text) },
    sections: [],
    items: assignIds(items),
    stats,
    complexity: gradeComplexity(stats),
    warnings: [],
    parsed_at: "2026-01-01T00:00:00.000Z",
  };
}

export const acceptance = (...texts: string[]): RawItem[] => texts.map((text) => ({ text, kind: "acceptance" as const }));
