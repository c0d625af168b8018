// Generators for benchmark inputs: a long PRD and a large OpenAPI document, deterministic so
// runs compare across machines and commits.
const AREAS = ["Accounts", "Billing", "Search", "Notifications", "Reports", "Admin", "Files", "Teams"];

/** A Markdown PRD of about `lines` lines: sections of prose, requirements and acceptance criteria. */
export function longPrd(lines: number): string {
  const out = ["# Atlas: a project-tracking service", "", "Atlas lets teams plan, track and report on work.", ""];
  let n = 0;
  while (out.length < lines) {
    const area = AREAS[n % AREAS.length]!;
    out.push(`## ${area} ${n}`, "", `The ${area.toLowerCase()} area covers part ${n} of the product, built on PostgreSQL and Redis.`, "");
    out.push("### Requirements");
    for (let i = 0; i < 6; i++)
      out.push(
        `- The system must let a user manage ${area.toLowerCase()} record ${n}.${i} through GET /api/${area.toLowerCase()}/${n}/${i}`,
      );
    out.push("", "### Acceptance criteria");
    for (let i = 0; i < 6; i++) out.push(`- [ ] ${area} record ${n}.${i} can be created, read, updated and deleted`);
    out.push("");
    n += 1;
  }
  return out.slice(0, lines).join("\n");
}

/** An OpenAPI 3.0 JSON document of at least `bytes` bytes, with shared $ref'd responses. */
export function bigOpenApi(bytes: number): string {
  const paths: Record<string, unknown> = {};
  const doc = {
    openapi: "3.0.3",
    info: { title: "Big API", version: "1.0.0", description: "A large generated API." },
    paths,
    components: {
      responses: { NotFound: { description: "not found" }, Unauthorized: { description: "unauthorized" } },
      schemas: { Thing: { type: "object", properties: { id: { type: "string" }, name: { type: "string" } } } },
    },
  };
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const op = (verb: string) => ({
      summary: `${verb} resource ${i}`,
      operationId: `${verb}Resource${i}`,
      description: "x".repeat(300),
      parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
      responses: {
        "200": { description: "ok", content: { "application/json": { schema: { $ref: "#/components/schemas/Thing" } } } },
        "404": { $ref: "#/components/responses/NotFound" },
        "401": { $ref: "#/components/responses/Unauthorized" },
      },
    });
    const item = { get: op("get"), put: op("put"), delete: op("delete") };
    paths[`/resources${i}/{id}`] = item;
    size += JSON.stringify(item).length + 30;
  }
  return JSON.stringify(doc);
}
