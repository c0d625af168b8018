// The memory tokenizer: words, identifier and path parts, stop words, the light stemmer, and error
// codes and numbers kept, each case the reason the retrieval research measured it matters.
import { describe, expect, test } from "bun:test";
import { normalizeText, queryTerms, stem, textHash, tokenize } from "../../src/memory/tokenize.ts";

describe("tokenize", () => {
  test("lower-cases words and drops stop words", () => {
    expect(tokenize("The Build is FAILING on the main branch")).toEqual(["build", "fail", "main", "branch"]);
  });

  test("camelCase identifiers yield the whole word and each part", () => {
    expect(tokenize("capturePayment")).toEqual(["capturepayment", "captur", "payment"]);
    expect(tokenize("XMLHttpRequest")).toEqual(["xmlhttprequest", "xml", "http", "request"]);
  });

  test("snake_case and kebab identifiers yield the whole identifier and each part", () => {
    expect(tokenize("amount_cents")).toEqual(["amount_cents", "amount", "cent"]);
    expect(tokenize("docker-compose")).toEqual(["docker-compose", "docker", "compos"]);
    expect(tokenize("ERR_MODULE_NOT_FOUND")).toEqual(["err_module_not_found", "err", "modul", "found"]);
  });

  test("paths yield their parts only", () => {
    expect(tokenize("app/payments/capture.ts")).toEqual(["app", "payment", "captur", "ts"]);
    expect(tokenize("src\\billing\\invoice_list.tsx")).toEqual(["src", "bill", "invoice_list", "invoic", "list", "tsx"]);
  });

  test("error codes and numbers are kept", () => {
    expect(tokenize("error TS2322: Type 'string'")).toEqual(["error", "ts2322", "type", "string"]);
    expect(tokenize("npm ERR! code ERESOLVE")).toContain(stem("eresolve"));
    expect(tokenize("exit code 137 after 30s")).toEqual(["exit", "code", "137", "30s"]);
    expect(tokenize("port 5432")).toEqual(["port", "5432"]);
  });

  test("an error code and a word that share a stem meet whatever their case", () => {
    expect(tokenize("ERESOLVE")).toEqual(tokenize("eresolve"));
    expect(tokenize("ERR_MODULE")).toContain(tokenize("module")[0] as string);
  });

  test("a container name from docker compose matches its parts", () => {
    expect(tokenize("container acme-shop-db-1 is unhealthy")).toEqual(["container", "acme-shop-db-1", "acme", "shop", "db", "unhealthy"]);
  });

  test("very long runs (base64, hashes) are not terms", () => {
    expect(tokenize(`token ${"A".repeat(80)}`)).toEqual(["token"]);
  });

  test("non-ASCII words are words", () => {
    expect(tokenize("Überprüfung fehlgeschlagen")).toEqual(["überprüfung", "fehlgeschlagen"]);
  });
});

describe("stem", () => {
  test.each([
    ["tests", "test"],
    ["dependencies", "dependency"],
    ["applied", "apply"],
    ["classes", "class"],
    ["running", "run"],
    ["failed", "fail"],
    ["passing", "pass"],
    ["status", "status"],
    ["cause", "caus"],
    ["caused", "caus"],
    ["causing", "caus"],
    ["ts2322", "ts2322"],
    ["api", "api"],
    ["string", "string"],
    ["speed", "speed"],
    ["billing", "bill"],
  ])("%s → %s", (word, expected) => {
    expect(stem(word)).toBe(expected);
  });
});

describe("queryTerms and the dedupe hash", () => {
  test("a query's terms are distinct, in order", () => {
    expect(queryTerms("test tests testing flaky test")).toEqual(["test", "flaky"]);
  });

  test("texts that differ only in case, spacing and punctuation hash alike", () => {
    expect(normalizeText("  Fix: the  CORS header!\n")).toBe("fix the cors header");
    expect(textHash("Fix: the CORS header")).toBe(textHash("fix the   cors header."));
    expect(textHash("fix the cors header")).not.toBe(textHash("fix the csrf header"));
  });
});
