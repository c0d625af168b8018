// Markdown PRD parser: item rules, sections, groups, verify commands, fallback and errors,
// against real fixture files.
import { describe, expect, test } from "bun:test";
import { NO_ITEMS_WARNING, parseMarkdown } from "../../src/spec/markdown.ts";
import { headingClass } from "../../src/spec/markdown-items.ts";
import type { SectionClass } from "../../src/spec/markdown-items.ts";
import { fixture, rows, specErrorOf } from "../helpers/spec-fixture.ts";

const u = undefined;

describe("parseMarkdown on a full PRD", () => {
  const spec = parseMarkdown(fixture("prd-todo.md"), "prd-todo.md");

  test("finds every item with its line, kind, section, group and verify", () => {
    expect(rows(spec)).toEqual([
      { line: 13, kind: "requirement", section: "Overview", group: u, verify: u, text: "Sync SHALL finish within 2 seconds" },
      { line: 15, kind: "requirement", section: "Overview", group: u, verify: u, text: "Admins should be able to export data" },
      {
        line: 19,
        kind: "acceptance",
        section: "Acceptance criteria",
        group: u,
        verify: "bun test tests/add.test.ts",
        text: "A user can add a todo with a title",
      },
      {
        line: 20,
        kind: "acceptance",
        section: "Acceptance criteria",
        group: u,
        verify: u,
        text: "A user can complete a todo and it moves to the Done list",
      },
      {
        line: 22,
        kind: "acceptance",
        section: "Acceptance criteria",
        group: u,
        verify: "bun test tests/delete.test.ts",
        text: "Deleting a todo asks for confirmation",
      },
      {
        line: 25,
        kind: "acceptance",
        section: "Acceptance criteria",
        group: "Sharing",
        verify: u,
        text: "An owner can invite a member by email",
      },
      { line: 26, kind: "acceptance", section: "Acceptance criteria", group: "Sharing", verify: u, text: "A member can leave a list" },
      { line: 27, kind: "acceptance", section: "Acceptance criteria", group: u, verify: u, text: "Lists load in under 1 second" },
      { line: 28, kind: "acceptance", section: "Acceptance criteria", group: u, verify: u, text: "The empty state shows a hint" },
      { line: 36, kind: "acceptance", section: "Accessibility", group: u, verify: u, text: "Every control is reachable by keyboard" },
      { line: 37, kind: "acceptance", section: "Accessibility", group: u, verify: u, text: "Screen readers announce new todos" },
      {
        line: 38,
        kind: "acceptance",
        section: "Accessibility",
        group: "Screen readers announce new todos",
        verify: u,
        text: "Including the assignee name",
      },
      { line: 42, kind: "requirement", section: "Functional requirements", group: u, verify: u, text: "Todos have a due date" },
      {
        line: 44,
        kind: "requirement",
        section: "Functional requirements",
        group: "Reminders",
        verify: u,
        text: "Email reminder the day before",
      },
      {
        line: 45,
        kind: "requirement",
        section: "Functional requirements",
        group: "Reminders",
        verify: u,
        text: "Push reminder one hour before",
      },
    ]);
  });

  test("title from the first # heading, summary from the first paragraph", () => {
    expect(spec.title).toBe("Team Todo");
    expect(spec.summary).toBe("A shared todo list for small teams, synced across devices.");
    expect(spec.warnings).toEqual([]);
    expect(spec.endpoints).toBe(0);
  });

  test("every heading is a section with its level and line", () => {
    expect(spec.sections).toEqual([
      { title: "Team Todo", level: 1, line: 5 },
      { title: "Overview", level: 2, line: 10 },
      { title: "Acceptance criteria", level: 2, line: 17 },
      { title: "Accessibility", level: 3, line: 34 },
      { title: "Functional requirements", level: 2, line: 40 },
      { title: "Out of scope", level: 2, line: 47 },
      { title: "Later", level: 3, line: 52 },
      { title: "Open questions", level: 2, line: 56 },
    ]);
  });

  test("text drops code blocks and front matter but keeps prose", () => {
    expect(spec.text).not.toContain("inside a code fence");
    expect(spec.text).not.toContain("owner: product");
    expect(spec.text).toContain("The web app MUST work offline.");
  });

  test("CRLF line endings give the same items and lines", () => {
    const crlf = parseMarkdown(fixture("prd-todo.md").replace(/\n/g, "\r\n"));
    expect(rows(crlf)).toEqual(rows(spec));
    expect(crlf.sections).toEqual(spec.sections);
  });
});

describe("parseMarkdown rules", () => {
  test.each([
    ["a checkbox anywhere is acceptance", "# T\n\nIntro.\n\n## Plan\n- [ ] ship it\n", [["acceptance", "ship it", 6]]],
    ["plain bullets outside item sections are context", "# T\n\n## Plan\n- ship it\n- [ ] test it\n", [["acceptance", "test it", 5]]],
    ["user stories are requirements", "# T\n## User Stories\n- As a user I log in\n", [["requirement", "As a user I log in", 3]]],
    ["definition of done is acceptance", "# T\n## Definition of Done\n+ docs updated\n", [["acceptance", "docs updated", 3]]],
    ["subsections inherit the item section", "# T\n## Features\n### Login\n- email login\n", [["requirement", "email login", 4]]],
    [
      "excluded subsection inside an item section",
      "# T\n## Requirements\n- a thing\n### Risks\n- [ ] not this\n",
      [["requirement", "a thing", 3]],
    ],
    [
      "lower-case 'should' alone is not a requirement",
      "# T\n## Plan\n- it should be fast\n- it needs to be fast\n",
      [["requirement", "it needs to be fast", 4]],
    ],
    ["tabs and deep nesting", "# T\n## Acceptance\n- A\n\t- B\n\t\t- C\n", [["acceptance", "C", 5]]],
    [
      "lazy continuation joins the item",
      "# T\n## Acceptance\n- first part\nsecond part\n\nParagraph.\n",
      [["acceptance", "first part second part", 3]],
    ],
    ["setext headings are sections", "T\n===\n\nAcceptance criteria\n-------------------\n- works\n", [["acceptance", "works", 6]]],
    ["tilde fences are skipped", "# T\n## Acceptance\n~~~\n- hidden\n~~~\n- shown\n", [["acceptance", "shown", 6]]],
    ["html comments are skipped", "# T\n## Acceptance\n<!-- - hidden\n- hidden too -->\n- shown\n", [["acceptance", "shown", 5]]],
  ])("%s", (_name, text, expected) => {
    expect(parseMarkdown(text).items.map((i) => [i.kind, i.text, i.line])).toEqual(expected);
  });

  test.each([
    ["Acceptance criteria", "acceptance"],
    ["3. Success Criteria", "acceptance"],
    ["Definition of done", "acceptance"],
    ["Functional requirements", "requirement"],
    ["Must-haves", "requirement"],
    ["Key features", "requirement"],
    ["Out of scope (v1)", "exclude"],
    ["Non-goals", "exclude"],
    ["7. Open questions", "exclude"],
    ["Appendix A: data model", "exclude"],
    ["Notes", "exclude"],
    ["Release notes", "exclude"],
    ["Technical background", "exclude"],
    ["Risks and mitigations", "exclude"],
    ["Assumptions & constraints", "exclude"],
    ["Notes resource", "plain"],
    ["Background jobs", "plain"],
    ["Risk scoring", "plain"],
    ["Overview", "plain"],
  ])("heading %p is %p", (title, expected) => {
    expect(headingClass(title)).toBe(expected as SectionClass);
  });

  test("the document title never excludes the whole spec", () => {
    const spec = parseMarkdown("# Notebox: a notes app\n\n## Requirements\n### Notes resource\n- notes can be deleted\n");
    expect(spec.items.map((i) => [i.kind, i.section, i.text])).toEqual([["requirement", "Notes resource", "notes can be deleted"]]);
  });

  test("a nested verify bullet and an inline verify line both attach to their item", () => {
    const spec = parseMarkdown(
      "# T\n## Acceptance\n- login works\n  verify: `bun test login`\n- logout works\n  - verify: `bun test logout`\n",
    );
    expect(spec.items.map((i) => [i.text, i.verify])).toEqual([
      ["login works", "bun test login"],
      ["logout works", "bun test logout"],
    ]);
  });

  test("title falls back to front matter, then to the first line", () => {
    const front = parseMarkdown(fixture("prd-front-matter.md"));
    expect([front.title, front.summary]).toEqual(["Checkout v2", "Checkout gets faster."]);
    expect(front.items.map((i) => [i.kind, i.text, i.line])).toEqual([
      ["acceptance", "Median checkout time under 30 seconds", 8],
      ["acceptance", "Conversion up 5%", 9],
    ]);
    const plain = parseMarkdown(fixture("prd-no-heading.md"));
    expect([plain.title, plain.summary]).toEqual(["Release plan for Q3", "We ship in three steps."]);
    expect(parseMarkdown(`${"word ".repeat(40)}\n- [ ] x\n`).title.length).toBeLessThanOrEqual(80);
  });

  test("no items: level-2/3 headings with a body become requirements, with a warning", () => {
    const spec = parseMarkdown(fixture("prd-headings-only.md"), "prd-headings-only.md");
    expect(spec.warnings).toEqual([NO_ITEMS_WARNING]);
    expect(rows(spec)).toEqual([
      { line: 5, kind: "requirement", section: "Invoices", group: u, verify: u, text: "Invoices: Customers see every invoice on one page" },
      {
        line: 9,
        kind: "requirement",
        section: "Payment methods",
        group: u,
        verify: u,
        text: "Payment methods: Cards and SEPA debit are accepted",
      },
      {
        line: 14,
        kind: "requirement",
        section: "Refunds",
        group: u,
        verify: u,
        text: "Refunds: Refunds go back to the original payment method",
      },
    ]);
  });

  test("nothing usable is a spec error naming the file, with a hint", () => {
    const error = specErrorOf(() => parseMarkdown(fixture("prd-nothing.md"), "docs/prd-nothing.md"));
    expect(error.message).toBe("no acceptance items found in docs/prd-nothing.md");
    expect(error.hint).toBe("add a '## Acceptance criteria' section with '- [ ] …' items");
    expect(specErrorOf(() => parseMarkdown("")).message).toBe("no acceptance items found in the spec");
  });
});
