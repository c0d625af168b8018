// Whether a spec needs more than one service (a database, a cache, a queue, a compose stack), so the
// build prompt carries the run contract (skills/run-contract.md). Pure; reads only the text it is given,
// which must be what the building agent may see (never a held-out item).

const SERVICE_WORDS = [
  /\bdocker[- ]compose\b|\bcompose\.ya?ml\b|\bpodman[- ]compose\b/i,
  /\b(postgres(ql)?|mysql|mariadb|mongo(db)?|redis|valkey|memcached|rabbitmq|kafka|nats|elasticsearch|opensearch|minio|clickhouse)\b/i,
  /\b(multiple|several|two|three|separate)\s+services\b|\bmicroservices?\b|\bworker service\b|\bbackground worker\b/i,
];

/** The first phrase that says the spec needs several services, or null. */
export function multiServiceReason(texts: readonly string[]): string | null {
  for (const text of texts)
    for (const word of SERVICE_WORDS) {
      const match = word.exec(text);
      if (match) return match[0];
    }
  return null;
}
