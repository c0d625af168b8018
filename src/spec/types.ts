// The contract between spec parsers and intake: every parser turns text into a ParsedSpec of
// raw items (no ids yet); checklist.ts assigns stable ids, complexity.ts grades it. Types only.
import type { Operation, SpecItemKind, SpecSection } from "../core/schema.ts";

export type RawItem = {
  text: string;
  kind: SpecItemKind;
  section?: string;
  group?: string;
  /** 1-based line in `file` (or in the single spec file when `file` is absent). */
  line?: number;
  /** Relative path within a multi-file spec (OpenSpec change directory). */
  file?: string;
  /** An executable acceptance check the spec attaches to the item. */
  verify?: string;
  operation?: Operation;
};

export type ParsedSpec = {
  title: string;
  summary?: string;
  sections: SpecSection[];
  items: RawItem[];
  /** Plain text of the spec, for word counts and complexity signals. */
  text: string;
  /** API operations described (OpenAPI operations; 0 when not applicable). */
  endpoints: number;
  warnings: string[];
};
