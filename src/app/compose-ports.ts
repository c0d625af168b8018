// Reads one `ports:` entry of a compose service in every form the compose spec allows (a number, the short
// "[ip:][host:]container[/proto]" string with ranges, the long `{target, published}` map). Pure: no I/O.

export type PortMapping = {
  /** The port (or first port of the range) inside the container. */
  target: number;
  /** The host port; null when the engine assigns one ("8080", "127.0.0.1::8080", "0:8080"). */
  published: number | null;
  host_ip: string | null;
  protocol: string;
  /** A range ("3000-3005", or a host range "8000-8010:80"): fine to run, but not for the primary. */
  range: boolean;
  /** The entry as written, for messages. */
  raw: string;
};

const PORT_OR_RANGE = /^(\d{1,5})(?:-(\d{1,5}))?$/;

type Span = { first: number; last: number };

function span(text: string): Span | null {
  const m = PORT_OR_RANGE.exec(text.trim());
  if (!m?.[1]) return null;
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  if (first < 0 || last > 65535 || last < first) return null;
  return { first, last };
}

/** One entry of `ports:`, or a sentence saying why it cannot be read. */
export function parsePort(entry: unknown): PortMapping | { problem: string } {
  if (typeof entry === "number")
    return Number.isInteger(entry) ? shortPort(String(entry)) : { problem: `port ${entry} is not a whole number` };
  if (typeof entry === "string") return shortPort(entry);
  if (entry && typeof entry === "object" && !Array.isArray(entry)) return longPort(entry as Record<string, unknown>);
  return { problem: `cannot read port entry ${JSON.stringify(entry)}` };
}

function shortPort(raw: string): PortMapping | { problem: string } {
  let rest = raw.trim();
  let protocol = "tcp";
  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    protocol = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
  }
  let hostIp: string | null = null;
  // An IPv6 host address is written in brackets: "[::1]:8080:80".
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0 || rest[close + 1] !== ":") return { problem: `cannot read port "${raw}"` };
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(":");
  let hostPart: string | null = null;
  let containerPart: string;
  if (parts.length === 1) containerPart = parts[0] ?? "";
  else if (parts.length === 2) [hostPart, containerPart] = [parts[0] ?? "", parts[1] ?? ""];
  else if (parts.length === 3 && hostIp === null) [hostIp, hostPart, containerPart] = [parts[0] ?? "", parts[1] ?? "", parts[2] ?? ""];
  else return { problem: `cannot read port "${raw}"` };
  const target = span(containerPart);
  if (!target) return { problem: `cannot read the container port of "${raw}"` };
  const host = hostPart === null || hostPart === "" ? null : span(hostPart);
  if (hostPart !== null && hostPart !== "" && !host) return { problem: `cannot read the host port of "${raw}"` };
  const range = target.last !== target.first || (host !== null && host.last !== host.first);
  return { target: target.first, published: host?.first || null, host_ip: hostIp || null, protocol, range, raw };
}

function longPort(entry: Record<string, unknown>): PortMapping | { problem: string } {
  const raw = JSON.stringify(entry);
  const target = span(String(entry.target ?? ""));
  if (!target) return { problem: `port ${raw} has no readable target` };
  const publishedText = entry.published === undefined || entry.published === null ? "" : String(entry.published);
  const host = publishedText === "" ? null : span(publishedText);
  if (publishedText !== "" && !host) return { problem: `cannot read the published port of ${raw}` };
  const range = target.last !== target.first || (host !== null && host.last !== host.first);
  const hostIp = typeof entry.host_ip === "string" && entry.host_ip !== "" ? entry.host_ip : null;
  const protocol = typeof entry.protocol === "string" ? entry.protocol.toLowerCase() : "tcp";
  return { target: target.first, published: host?.first || null, host_ip: hostIp, protocol, range, raw };
}
