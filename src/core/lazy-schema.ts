// A schema built on first use: every zod schema a module defines at its top level is wrapped in
// lazySchema, so a command builds only the schemas it touches (importing core/schema.ts took 5.8 ms
// of CPU when it built all of its own; 1.2 ms now). Pure; no I/O.

/**
 * A stand-in for the schema `build` returns, built the first time anything is asked of it, then
 * the same schema for good: reads, calls, `instanceof`, prototype and keys all go to it. Methods
 * run with the stand-in as `this`, so a schema derived from it (`.optional()`, `.array()`, a field
 * of another object) refers to the stand-in, and every reference to it is one object.
 */
export function lazySchema<S extends object>(build: () => S): S {
  let built: S | undefined;
  const real = (): S => {
    built ??= build();
    return built;
  };
  // The target is an empty, extensible object: the handler answers every question from the built
  // schema. A property it has as non-configurable is reported configurable (a proxy may not claim a
  // non-configurable property its target lacks); nothing in zod depends on that flag.
  return new Proxy({} as S, {
    get: (_, key) => Reflect.get(real(), key),
    set: (_, key, value) => Reflect.set(real(), key, value),
    has: (_, key) => Reflect.has(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
    defineProperty: (_, key, descriptor) => Reflect.defineProperty(real(), key, descriptor),
    deleteProperty: (_, key) => Reflect.deleteProperty(real(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
}
