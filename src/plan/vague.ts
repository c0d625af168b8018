// Whether a spec reads as vague before anything is spent: items whose only yardstick is a word no check
// can measure ("fast", "nice", "user-friendly") and carry no number, or too few items to judge a build
// by. Pure; `loki plan` turns it into a warning that points at `loki grill`.

type Items = { items: readonly { id: string; text: string }[] };
const VAGUE =
  /\b(fast|faster|quick(?:ly)?|nice(?:ly)?|easy|easily|simple|intuitive|user[- ]friendly|clean|modern|beautiful|robust|scalable|efficient(?:ly)?|seamless(?:ly)?|responsive|good|better|appropriate(?:ly)?|reasonable|etc)\b/i;
/** Fewer items than this and a spec says too little to judge a build by. */
const FEW_ITEMS = 3;

export type Vagueness = { items: { id: string; word: string }[]; few: boolean };

export function vagueness(spec: Items): Vagueness {
  const items = spec.items.flatMap((item) => {
    const word = VAGUE.exec(item.text)?.[1];
    // A number ("under 200 ms", "at 320px") makes even "fast" or "responsive" checkable.
    return word && !/\d/.test(item.text) ? [{ id: item.id, word: word.toLowerCase() }] : [];
  });
  return { items, few: spec.items.length < FEW_ITEMS };
}

/** The plan's warning, or null when the spec reads as precise enough. */
export function vagueWarning(spec: Items & { source: { kind: string; ref: string } }): string | null {
  const v = vagueness(spec);
  if (v.items.length === 0 && !v.few) return null;
  const words = [...new Set(v.items.map((i) => `"${i.word}"`))].slice(0, 4).join(", ");
  const why = [
    ...(v.items.length > 0 ? [`${v.items.length} item${v.items.length === 1 ? "" : "s"} measured only by ${words}`] : []),
    ...(v.few ? [`only ${spec.items.length} item${spec.items.length === 1 ? "" : "s"}`] : []),
  ].join(", ");
  const ref = spec.source.kind === "brief" ? '"<brief>"' : spec.source.ref;
  return `the spec reads as vague (${why}): loki grill ${ref} asks a reviewer what would settle it, before a build spends anything`;
}
