// Held-out selection per DESIGN §5: count for N = 0…20, ranking by sha256(id), id stability,
// and the commit-reveal round trip (store outside the tree, tampering detected).
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { sha256 } from "../../src/core/hash.ts";
import type { SpecItem } from "../../src/core/schema.ts";
import { workspaceAt } from "../../src/core/workspace.ts";
import { assignIds } from "../../src/spec/checklist.ts";
import { commitHeldOut, heldOutCount, selectHeldOut } from "../../src/spec/heldout.ts";
import { heldOutStorePath, revealHeldOut } from "../../src/spec/heldout-store.ts";
import { tmpdir } from "../helpers/tmp.ts";

const items = (n: number): SpecItem[] =>
  assignIds(Array.from({ length: n }, (_, i) => ({ text: `Requirement number ${i + 1}`, kind: "acceptance" as const })));

describe("heldOutCount", () => {
  // clamp(round_half_up(0.25·N), 1, 5), none when N < 4
  const expected = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5];
  for (let n = 0; n <= 20; n++) {
    test(`N=${n} → ${expected[n]}`, () => {
      expect(heldOutCount(n)).toBe(expected[n]!);
      expect(selectHeldOut(items(n))).toHaveLength(expected[n]!);
    });
  }
  test("never more than 5", () => {
    expect(heldOutCount(200)).toBe(5);
  });
});

describe("selectHeldOut", () => {
  test("takes the ids with the lowest sha256, in that order", () => {
    const list = items(12);
    const chosen = selectHeldOut(list).map((i) => i.id);
    const ranked = list.map((i) => i.id).sort((a, b) => (sha256(a) < sha256(b) ? -1 : 1));
    expect(chosen).toEqual(ranked.slice(0, 3));
  });

  test("does not depend on item order", () => {
    const list = items(16);
    expect(selectHeldOut([...list].reverse()).map((i) => i.id)).toEqual(selectHeldOut(list).map((i) => i.id));
  });

  test("item ids are stable across calls and independent of position", () => {
    const a = assignIds([
      { text: "Users can log in", kind: "acceptance" },
      { text: "Users can log out", kind: "acceptance" },
    ]);
    const b = assignIds([
      { text: "Users can log out", kind: "requirement" },
      { text: "  users can LOG in. ", kind: "acceptance" },
    ]);
    expect(b[1]!.id).toBe(a[0]!.id);
    expect(b[0]!.id).toBe(a[1]!.id);
    expect(a[0]!.id).toMatch(/^ac-[0-9a-f]{10}$/);
  });
});

describe("commit-reveal", () => {
  test("stores items outside the tree, commits only hashes, and reveals them", async () => {
    await using dir = await tmpdir({ git: true });
    const ws = workspaceAt(dir.path);
    const list = items(10);
    const { commitment, store, storePath } = commitHeldOut(ws, "run-1", list);
    expect(storePath.startsWith(`${process.env.HOME}/.loki/heldout/`)).toBe(true);
    expect(storePath.startsWith(dir.path)).toBe(false);
    expect(storePath).toBe(heldOutStorePath(dir.path, "run-1"));
    expect(statSync(storePath).mode & 0o777).toBe(0o600);
    expect(commitment.count).toBe(3);
    const committed = readFileSync(ws.heldOut, "utf8");
    // The salt keys the held-out verdict cache's seal (review/heldout-cache.ts): it never enters .loki/.
    expect(committed).not.toContain(store.salt);
    for (const item of selectHeldOut(list)) {
      expect(committed).not.toContain(item.text);
      expect(committed).not.toContain(item.id);
    }
    const revealed = revealHeldOut(ws, "run-1");
    expect(revealed.items.map((i) => i.id)).toEqual(selectHeldOut(list).map((i) => i.id));
  });

  test("a store edited after the commitment is refused", async () => {
    await using dir = await tmpdir({ git: true });
    const ws = workspaceAt(dir.path);
    const { storePath } = commitHeldOut(ws, "run-2", items(8));
    const store = JSON.parse(readFileSync(storePath, "utf8"));
    store.items[0].text = "something easier";
    writeFileSync(storePath, JSON.stringify(store));
    expect(() => revealHeldOut(ws, "run-2")).toThrow(/does not match its commitment/);
    expect(existsSync(ws.heldOut)).toBe(true);
  });

  test("a repository moved after the run started still finds its store (the run id, not the path, names it)", async () => {
    await using dir = await tmpdir({ git: true });
    const list = items(8);
    const { storePath } = commitHeldOut(workspaceAt(dir.path), "run-3", list);
    const moved = `${dir.path}-moved`;
    renameSync(dir.path, moved);
    try {
      expect(heldOutStorePath(moved, "run-3")).toBe(storePath);
      expect(revealHeldOut(workspaceAt(moved), "run-3").items.map((i) => i.id)).toEqual(selectHeldOut(list).map((i) => i.id));
    } finally {
      renameSync(moved, dir.path);
    }
  });
});
