// The description converters, judged by the Markdown a checklist parser will read: headings,
// list nesting and numbering, task boxes, code blocks, and text that must pass through untouched.
import { describe, expect, test } from "bun:test";
import { decodeEntities, htmlToMarkdown } from "../../src/forge/markup-html.ts";
import { jiraWikiToMarkdown } from "../../src/forge/markup-wiki.ts";
import { adfToMarkdown } from "../../src/forge/markup.ts";

const text = (value: string, marks?: { type: string; attrs?: Record<string, unknown> }[]) => ({
  type: "text",
  text: value,
  ...(marks ? { marks } : {}),
});
const para = (...content: object[]) => ({ type: "paragraph", content });
const item = (...content: object[]) => ({ type: "listItem", content });

describe("Jira wiki markup", () => {
  test("headings, nested bullets with checkboxes, and numbered lists", () => {
    const wiki =
      "h1. Login\nh3. Acceptance criteria\n* [ ] form renders\n** email field\n*** validated\n** [x] password field\n# first\n## first.a\n# second\n*# bullet, then numbered";
    expect(jiraWikiToMarkdown(wiki)).toBe(
      [
        "# Login",
        "### Acceptance criteria",
        "- [ ] form renders",
        "  - email field",
        "    - validated",
        "  - [x] password field",
        "1. first",
        "   1. first.a",
        "2. second",
        "   1. bullet, then numbered",
      ].join("\n"),
    );
  });

  test("a paragraph after a list is separated, so Markdown does not fold it into the last item", () => {
    expect(jiraWikiToMarkdown("* one\n* two\nAfter the list.")).toBe("- one\n- two\n\nAfter the list.");
  });

  test("{code} and {noformat} become fences and keep their content verbatim", () => {
    expect(jiraWikiToMarkdown("{code:language=ts|title=x.ts}\nconst a = *b*;\n* not a bullet\n{code}")).toBe(
      "```ts\nconst a = *b*;\n* not a bullet\n```",
    );
    expect(jiraWikiToMarkdown("{code:java}int x;{code}")).toBe("```java\nint x;\n```");
    expect(jiraWikiToMarkdown("{noformat}\nh1. raw\n{noformat}")).toBe("```\nh1. raw\n```");
  });

  test("inline markup: bold, monospace, links; [ ] and colour macros are handled", () => {
    expect(jiraWikiToMarkdown("Use *bold* and {{npm *test*}} and [docs|https://x.example/a] or [https://y.example]")).toBe(
      "Use **bold** and `npm *test*` and [docs](https://x.example/a) or <https://y.example>",
    );
    expect(jiraWikiToMarkdown("* [ ] {color:red}must{color} pass [x]")).toBe("- [ ] must pass [x]");
  });

  test("tables get a Markdown header row; quotes and rules convert", () => {
    expect(jiraWikiToMarkdown("||Case||Result||\n|empty|[error|https://e.example]|")).toBe(
      "| Case | Result |\n| --- | --- |\n| empty | [error](https://e.example) |",
    );
    expect(jiraWikiToMarkdown("|a|b|")).toBe("| a | b |\n| --- | --- |");
    expect(jiraWikiToMarkdown("bq. note\n----\n{quote}\nquoted\n{quote}")).toBe("> note\n---\n> quoted");
  });
});

describe("ADF", () => {
  test("headings, paragraphs with marks, nested bullet and ordered lists", () => {
    const doc = {
      type: "doc",
      version: 1,
      content: [
        { type: "heading", attrs: { level: 2 }, content: [text("Scope")] },
        para(
          text("Must "),
          text("not ", [{ type: "strong" }]),
          text("break "),
          text("login", [{ type: "link", attrs: { href: "https://l.example" } }]),
        ),
        {
          type: "bulletList",
          content: [item(para(text("a")), { type: "bulletList", content: [item(para(text("a.1")))] }), item(para(text("b")))],
        },
        {
          type: "orderedList",
          attrs: { order: 3 },
          content: [item(para(text("third"))), item(para(text("fourth")), { type: "orderedList", content: [item(para(text("sub")))] })],
        },
      ],
    };
    expect(adfToMarkdown(doc)).toBe(
      "## Scope\n\nMust **not** break [login](https://l.example)\n\n- a\n  - a.1\n- b\n\n3. third\n4. fourth\n   1. sub",
    );
  });

  test("task lists keep their state, including a task list nested beside its parent's items", () => {
    const task = (state: string, value: string) => ({ type: "taskItem", attrs: { state, localId: value }, content: [text(value)] });
    const doc = {
      type: "doc",
      content: [
        {
          type: "taskList",
          content: [task("TODO", "write"), { type: "taskList", content: [task("DONE", "draft")] }, task("DONE", "ship")],
        },
      ],
    };
    expect(adfToMarkdown(doc)).toBe("- [ ] write\n  - [x] draft\n- [x] ship");
  });

  test("code blocks fence; media is dropped; anything that is not a document gives empty text", () => {
    const doc = {
      type: "doc",
      content: [
        { type: "codeBlock", attrs: { language: "sh" }, content: [text("bun test")] },
        { type: "mediaSingle", content: [{ type: "media" }] },
      ],
    };
    expect(adfToMarkdown(doc)).toBe("```sh\nbun test\n```");
    expect(adfToMarkdown(null)).toBe("");
    expect(adfToMarkdown(["not", "a", "doc"])).toBe("");
  });
});

describe("Azure DevOps HTML", () => {
  test("divs become paragraphs; bold, italics, code and links convert", () => {
    const html =
      '<div>Given a <b>signed-in</b> user</div><div>When they click <i>Pay</i> on <a href="https://x.example/?a=1&amp;b=2">checkout</a></div><div>Then <code>POST /pay</code> returns 200</div><div><br></div>';
    expect(htmlToMarkdown(html)).toBe(
      "Given a **signed-in** user\n\nWhen they click _Pay_ on [checkout](https://x.example/?a=1&b=2)\n\nThen `POST /pay` returns 200",
    );
  });

  test("nested ul/ol with numbering, and a sub-list pasted directly inside a list", () => {
    const html =
      "<h2>Criteria</h2><ol><li>one<ul><li>one.a</li><li>one.b</li></ul></li><li>two</li></ol><ul><li>x</li><ul><li>x.1</li></ul></ul>";
    expect(htmlToMarkdown(html)).toBe("## Criteria\n\n1. one\n   - one.a\n   - one.b\n2. two\n\n- x\n  - x.1");
  });

  test("unclosed <li> and <p>, <br>, <pre>, and whitespace are handled like a browser would", () => {
    expect(htmlToMarkdown("<ul>\n  <li>first\n  <li>second  <b>bold </b> end\n</ul><p>a<br>b<p>c")).toBe(
      "- first\n- second **bold** end\n\na\nb\n\nc",
    );
    expect(htmlToMarkdown("<pre>if (a &lt; b) {\n  go();\n}</pre>")).toBe("```\nif (a < b) {\n  go();\n}\n```");
  });

  test("checkboxes, tables, and dropped script/style content", () => {
    expect(htmlToMarkdown('<div><input type="checkbox" checked> done</div><div><input type="checkbox"> open</div>')).toBe(
      "[x] done\n\n[ ] open",
    );
    expect(htmlToMarkdown("<table><tr><th>In</th><th>Out</th></tr><tr><td>1|2</td><td>3</td></tr></table>")).toBe(
      "| In | Out |\n| --- | --- |\n| 1\\|2 | 3 |",
    );
    expect(htmlToMarkdown("<style>p{}</style><script>alert(1)</script><p>kept</p>")).toBe("kept");
  });

  test("entities: named, numeric, hex; unknown ones are left alone", () => {
    expect(decodeEntities("&amp; &lt; &gt; &quot; &#39; a&nbsp;b &#8212; &#x2713; &bogus;")).toBe("& < > \" ' a b — ✓ &bogus;");
  });
});
