// The build prompt's size, measured without rendering it (promptBytes: what plan and start refuse a
// spec by), is the UTF-8 size of what renderPrompt renders, for every combination of its parts.
import { describe, expect, test } from "bun:test";
import { type PromptInput, promptBytes, renderPrompt } from "../../src/loop/prompt.ts";
import { allSkills } from "../../src/loop/skills.ts";
import { renderedItemsBytes, renderItems } from "../../src/spec/items.ts";

/** Texts whose UTF-8 size is not their length: accents, an emoji, CJK, line breaks, lone surrogates. */
const TEXTS = ["plain", "héllo wörld", "emoji 😀 x", "multi\n  line\ntext", "lone \uD800", "\uDC00 first", "日本語", "a \n"];

/** The input whose optional parts are switched on by the bits of `mask`. */
function inputOf(mask: number): PromptInput {
  const on = (bit: number) => ((mask >> bit) & 1) === 1;
  return {
    spec: { title: on(0) ? "Tïtle 😀" : "T", ...(on(1) ? { summary: "Sum\nmary é" } : {}) },
    items: Array.from({ length: mask % 4 }, (_, i) => ({ id: `ac-${i}`, text: TEXTS[(mask + i) % TEXTS.length] ?? "x" })),
    heldOutCount: on(2) ? 3 : 0,
    iteration: on(3) ? 1 : 2,
    maxIterations: 7,
    feedback: on(4) ? ["f1 é", "f2"] : [],
    pastFailures: on(5) ? ["p 😀"] : [],
    ...(on(6) ? { memories: [{ id: "m1", line: "a\nb" }] } : {}),
    ...(on(7) ? { learnings: " learn ", humanInput: " hi \uD800" } : {}),
    ...(on(8)
      ? {
          task: {
            ...{ id: "t1", title: "do it", items: ["ac-0"], size: "s", attempts: 3, escalate: true },
            ...{ failures: ["x"], done: 1, total: 3, architecture: "arch.md" },
          },
        }
      : {}),
    skills: allSkills().slice(0, mask % 5),
  };
}

describe("promptBytes", () => {
  test("equals the UTF-8 bytes of the rendered system and prompt, for every combination of parts", () => {
    for (let mask = 0; mask < 512; mask++) {
      const input = inputOf(mask);
      const rendered = renderPrompt(input);
      expect({ mask, bytes: promptBytes(input) }).toEqual({
        mask,
        bytes: Buffer.byteLength(rendered.system) + Buffer.byteLength(rendered.prompt),
      });
    }
  });

  test("the items' bytes are those of the rendered list, one line per item", () => {
    const items = TEXTS.map((text, i) => ({ id: `ac-${i}`, text }));
    for (let n = 0; n <= items.length; n++)
      expect(renderedItemsBytes(items.slice(0, n))).toBe(Buffer.byteLength(renderItems(items.slice(0, n))));
  });

  test("the items sit between the heading and the iteration, one newline on each side", () => {
    const input = { ...inputOf(0), items: [{ id: "a", text: "x" }] };
    expect(renderPrompt(input).prompt).toBe(
      "# Task: T\n\n## Acceptance items (1 shown)\n- [a] x\n\n## Iteration 2 of at most 7\n" +
        "Continue from the current state of the repository; your earlier work is committed.\n",
    );
    expect(renderPrompt({ ...input, items: [] }).prompt).toStartWith("# Task: T\n\n## Acceptance items (0 shown)\n\n\n## Iteration 2");
  });
});
