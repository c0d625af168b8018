// HTML (as Azure DevOps stores descriptions and acceptance criteria) → Markdown: a forgiving tag
// tokenizer builds a tree, which maps onto markup.ts's document model and renders from there.
// Pure. Not a sanitizer and not a browser: scripts, styles and images are dropped, never run.
import { type DocNode, renderMarkdown } from "./markup.ts";

type Element = { tag: string; attrs: string; children: (Element | string)[] };

const TOKEN = /<!--[\s\S]*?-->|<(\/?)([a-zA-Z][\w:-]*)((?:"[^"]*"|'[^']*'|[^'">])*)>|[^<]+|</g;
const VOID = new Set(["br", "hr", "img", "input", "meta", "link", "col", "wbr", "source"]);
const DROPPED = new Set(["script", "style", "head", "title", "img", "svg"]);
const BLOCK = new Set([
  "p",
  "div",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "ul",
  "ol",
  "li",
  "pre",
  "blockquote",
  "table",
  "hr",
  "section",
  "article",
  "header",
  "footer",
  "dl",
  "dt",
  "dd",
  "figure",
]);
const MARKS: Record<string, string> = {
  b: "strong",
  strong: "strong",
  i: "em",
  em: "em",
  code: "code",
  tt: "code",
  kbd: "code",
  samp: "code",
  s: "strike",
  strike: "strike",
  del: "strike",
};
const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  ndash: "–",
  mdash: "—",
  hellip: "…",
  lsquo: "‘",
  rsquo: "’",
  ldquo: "“",
  rdquo: "”",
  bull: "•",
  copy: "©",
  reg: "®",
  trade: "™",
};

export function htmlToMarkdown(html: string): string {
  return renderMarkdown({ type: "doc", content: blocksOf(parseHtml(html).children) });
}

export function decodeEntities(text: string): string {
  return text.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (entity, name: string) => {
    if (!name.startsWith("#")) return ENTITIES[name.toLowerCase()] ?? entity;
    const code = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}

/** Unclosed tags close at their parent's end; a stray closing tag is ignored. */
function parseHtml(html: string): Element {
  const root: Element = { tag: "#root", attrs: "", children: [] };
  const stack: Element[] = [root];
  for (const match of html.matchAll(TOKEN)) {
    const [token, closing, rawTag, attrs = ""] = match;
    const top = stack.at(-1) ?? root;
    if (token.startsWith("<!--")) continue;
    if (!rawTag) {
      top.children.push(decodeEntities(token));
      continue;
    }
    const tag = rawTag.toLowerCase();
    if (closing) {
      const at = stack.findLastIndex((el) => el.tag === tag);
      if (at > 0) stack.length = at;
      continue;
    }
    // <li> and <p> close an open sibling of the same kind, as browsers do.
    if ((tag === "li" || tag === "p") && top.tag === tag) stack.pop();
    const element: Element = { tag, attrs, children: [] };
    (stack.at(-1) ?? root).children.push(element);
    if (!VOID.has(tag) && !attrs.trimEnd().endsWith("/")) stack.push(element);
  }
  return root;
}

function blocksOf(children: (Element | string)[]): DocNode[] {
  const out: DocNode[] = [];
  let run: DocNode[] = [];
  const flush = () => {
    if (run.some((node) => node.type !== "text" || (node.text ?? "").trim() !== ""))
      out.push({ type: "paragraph", content: collapseSpaces(run) });
    run = [];
  };
  for (const child of children) {
    if (typeof child !== "string" && BLOCK.has(child.tag)) {
      flush();
      out.push(...blockOf(child));
    } else run.push(...inlineOf(child, []));
  }
  flush();
  return out;
}

function blockOf(el: Element): DocNode[] {
  const heading = /^h([1-6])$/.exec(el.tag);
  if (heading) return [{ type: "heading", attrs: { level: Number(heading[1]) }, content: collapseSpaces(inlineChildren(el)) }];
  switch (el.tag) {
    case "ul":
    case "ol": {
      const start = Number(attr(el, "start"));
      const items = el.children.filter((child): child is Element => typeof child !== "string");
      return [
        {
          type: el.tag === "ol" ? "orderedList" : "bulletList",
          attrs: Number.isInteger(start) && start > 0 ? { order: start } : {},
          content: items.flatMap(listChild),
        },
      ];
    }
    case "li":
      return [{ type: "bulletList", content: listChild(el) }];
    case "pre":
      return [{ type: "codeBlock", content: [{ type: "text", text: textOf(el) }] }];
    case "blockquote":
      return [{ type: "blockquote", content: blocksOf(el.children) }];
    case "hr":
      return [{ type: "rule" }];
    case "table":
      return [{ type: "table", content: descendants(el, "tr").map((tr) => ({ type: "tableRow", content: cellsOf(tr) })) }];
    default:
      return blocksOf(el.children);
  }
}

/** A list's children: items, or (invalid but common in pasted HTML) a nested list beside them. */
function listChild(el: Element): DocNode[] {
  if (el.tag === "li") return [{ type: "listItem", content: blocksOf(el.children) }];
  if (el.tag === "ul" || el.tag === "ol") return blockOf(el);
  return [{ type: "listItem", content: blocksOf([el]) }];
}

function cellsOf(tr: Element): DocNode[] {
  return tr.children
    .filter((child): child is Element => typeof child !== "string" && (child.tag === "td" || child.tag === "th"))
    .map((cell) => ({ type: "tableCell", content: blocksOf(cell.children) }));
}

function inlineChildren(el: Element, marks: DocNode["marks"] = []): DocNode[] {
  return el.children.flatMap((child) => inlineOf(child, marks));
}

function inlineOf(node: Element | string, marks: NonNullable<DocNode["marks"]>): DocNode[] {
  if (typeof node === "string") return [{ type: "text", text: node.replace(/\s+/g, " "), marks }];
  if (DROPPED.has(node.tag)) return [];
  if (node.tag === "br") return [{ type: "hardBreak" }];
  if (node.tag === "input" && /\btype\s*=\s*["']?checkbox/i.test(node.attrs)) {
    return [{ type: "text", text: /\bchecked\b/i.test(node.attrs) ? "[x] " : "[ ] " }];
  }
  const mark = MARKS[node.tag];
  if (mark) return inlineChildren(node, [...marks, { type: mark }]);
  if (node.tag === "a") {
    const href = attr(node, "href");
    return inlineChildren(node, href ? [...marks, { type: "link", attrs: { href } }] : marks);
  }
  return inlineChildren(node, marks);
}

/** Whitespace runs that span node boundaries ("<b>a </b> b") collapse to one space, as in a browser. */
function collapseSpaces(nodes: DocNode[]): DocNode[] {
  let afterSpace = true;
  return nodes.map((node) => {
    if (node.type === "hardBreak") afterSpace = true;
    if (node.type !== "text" || !node.text) return node;
    const text = afterSpace ? node.text.replace(/^ +/, "") : node.text;
    if (text !== "") afterSpace = text.endsWith(" ");
    return { ...node, text };
  });
}

function textOf(el: Element): string {
  return el.children.map((child) => (typeof child === "string" ? child : child.tag === "br" ? "\n" : textOf(child))).join("");
}

function descendants(el: Element, tag: string): Element[] {
  return el.children.flatMap((child) => (typeof child === "string" ? [] : child.tag === tag ? [child] : descendants(child, tag)));
}

function attr(el: Element, name: string): string | undefined {
  const match = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, "i").exec(el.attrs);
  const value = match?.[1] ?? match?.[2] ?? match?.[3];
  return value === undefined ? undefined : decodeEntities(value);
}
