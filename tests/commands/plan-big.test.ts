// `loki plan` on a 20,000-line PRD, pinned: the items, ids, sections, stats, checklist and quote it
// produces (every field but the timestamps) are the ones loki has always produced for this input,
// read back through loki's own validating reader from files written on one line (they are large).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { longPrd } from "../../bench/fixtures.ts";
import { canonicalJson, sha256 } from "../../src/core/hash.ts";
import { Checklist, Plan, Spec } from "../../src/core/schema.ts";
import { readJson, workspaceAt } from "../../src/core/workspace.ts";
import { selectHeldOut } from "../../src/spec/heldout.ts";
import { loki } from "../helpers/cli.ts";
import { tmpdir } from "../helpers/tmp.ts";

/** Rules the uniform fixture never meets, repeated through the document: nested groups, verify commands
 *  (bullet and inline), repeated texts, excluded sections, code fences, comments, setext headings, tabs,
 *  Unicode spacing and compatibility forms, ordered lists, RFC 2119 prose bullets. */
function variedBlock(n: number): string {
  return [
    `Feature ${n}`,
    "----------",
    "",
    `Prose about feature ${n}, which uses Stripe webhooks and a job queue.`,
    "",
    "### User stories",
    `- As an admin I can export report ${n}:`,
    `  - the export is CSV (verify: \`bun test export-${n}\`)`,
    "  - the export names its columns",
    "    verify: `bun test columns`",
    `- [x] Item ${n} is audited`,
    "\t- verify: `make audit`",
    "- [ ] The page loads\u00a0fast.",
    "- [ ] the PAGE loads fast",
    "- [ ] ﬁle names keep their case;",
    `1. Numbered step ${n} must log its outcome`,
    "2) second numbered step",
    "",
    "```",
    "- [ ] not an item, inside a fence",
    "```",
    "<!-- - [ ] not an item, in a comment",
    "-->",
    "",
    "## Out of scope",
    `- [ ] Mobile app ${n}`,
    "### Still out",
    "- [ ] nested under the exclusion",
    "",
    "## Notes",
    "- The team must not forget this note",
    "",
    "## Misc",
    "- A bullet that shall be a requirement",
    "- a plain bullet that is not one",
    "  continued on an indented line",
    "",
  ].join("\n");
}

/** The fixture's PRD with a varied block after every 2,000 lines: 20,000 + lines in all. */
function bigPrd(): string {
  const lines = longPrd(20_000).split("\n");
  const out: string[] = [];
  let next = 2000;
  lines.forEach((line, i) => {
    out.push(line);
    if (i < next || line !== "") return;
    out.push(variedBlock(i));
    next += 2000;
  });
  return `---\ntitle: Front matter title\n---\n${out.join("\n")}\n${variedBlock(-1)}`;
}

const digest = (value: unknown) => sha256(canonicalJson(value));

describe("plan on a 20,000-line PRD", () => {
  test("produces the pinned items, checklist and quote, in compact files", async () => {
    await using dir = await tmpdir({ git: true });
    dir.write("prd.md", bigPrd());
    const result = await loki(["plan", "prd.md", "--json"], { cwd: dir.path });
    expect(result.code).toBe(0);
    const ws = workspaceAt(dir.path);
    const spec = readJson(ws.spec, Spec);
    const checklist = readJson(ws.checklist, Checklist);
    if (!spec || !checklist) throw new Error("plan wrote no spec.json or checklist.json");

    expect(spec.items).toHaveLength(PINNED.items);
    expect(spec.sections).toHaveLength(PINNED.sections);
    expect(spec.items.slice(0, 2).map((item) => item.id)).toEqual(PINNED.firstIds);
    expect(spec.items.filter((item) => /^ac-[0-9a-f]{10}-\d+$/.test(item.id)).length).toBe(PINNED.repeated);
    expect(spec.items.filter((item) => item.verify !== undefined).length).toBe(PINNED.withVerify);
    expect(spec.items.filter((item) => item.group !== undefined).length).toBe(PINNED.grouped);
    const heldOut = selectHeldOut(spec.items).map((item) => item.id);
    expect(checklist.held_out_count).toBe(heldOut.length);
    expect(checklist.items.map((item) => item.id)).toEqual(spec.items.filter((item) => !heldOut.includes(item.id)).map((item) => item.id));

    const { parsed_at: _parsed, source, items: specItems, ...specRest } = spec;
    const { updated_at: _updated, ...checklistRest } = checklist;
    expect(source.sha256).toBe(sha256(readFileSync(join(dir.path, "prd.md"), "utf8")));
    expect(digest(specItems)).toBe(PINNED.itemsDigest);
    expect(digest(specRest)).toBe(PINNED.specDigest);
    expect(digest(checklistRest)).toBe(PINNED.checklistDigest);
    const plan = Plan.parse(result.json());
    const { spec: planSpec, items, complexity, stats, iterations, warnings } = plan;
    expect(digest({ planSpec, items, complexity, stats, iterations, warnings })).toBe(PINNED.planDigest);

    for (const path of [ws.spec, ws.checklist]) {
      const text = readFileSync(path, "utf8");
      expect(text.endsWith("}\n")).toBe(true);
      expect(text.slice(0, -1)).not.toContain("\n");
    }
  });
});

/** What loki produced for bigPrd() before its intake was made faster; a change here changes what plan produces. */
const PINNED = {
  items: 12087,
  sections: 3061,
  firstIds: ["ac-4dfee4d70f", "ac-2d12d640ba"],
  repeated: 64,
  withVerify: 30,
  grouped: 20,
  itemsDigest: "da67e287059e5b71ee541956e3af0167b5d20501ecea40505c2b3d387e23b2a6",
  specDigest: "ee3f75e4e1a1470e5bc178a70ec9146092e1641165cfec15f617517516134cad",
  checklistDigest: "2c5287ea1ebc9b79c470fe75ad66ec9237702d4ef104a09b86cfa2fa2db4b37c",
  planDigest: "aefb213a3eb89e7d08282df3b4067a571af7824ef7935bc9ec38a1c7783b29c7",
};
