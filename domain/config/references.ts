/**
 * Reference expansion, applied when a value is read: {nodename}, {svcname},
 * {svcpath} and {env.KEY}, KEY a keyword of the [env] section (itself
 * expanded, cycles refused). Only `{word}` and `{word.key}` are references:
 * other braces (`{"a": 1}`) are left alone; an unknown reference is a problem,
 * never silently kept.
 */
export interface ReferenceContext {
  /** {name} -> value */
  readonly vars: Readonly<Record<string, string>>;
  /** the raw [env] keywords, when the config has such a section */
  readonly env?: Readonly<Record<string, string>>;
}

export type Expanded = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string };

const REF_RE = /\{([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z0-9_.@-]+))?\}/g;

export function expandReferences(raw: string, ctx: ReferenceContext, stack: readonly string[] = []): Expanded {
  let failure: string | undefined;
  const value = raw.replace(REF_RE, (whole, name: string, key: string | undefined) => {
    if (failure !== undefined) return whole;
    if (key === undefined && Object.hasOwn(ctx.vars, name)) return ctx.vars[name]!;
    if (name === 'env' && key !== undefined && ctx.env !== undefined) {
      if (stack.includes(key)) {
        failure = `{env.${key}} refers to itself (through ${[...stack, key].map((k) => `env.${k}`).join(' -> ')})`;
        return whole;
      }
      const envRaw = ctx.env[key];
      if (envRaw === undefined || !Object.hasOwn(ctx.env, key)) {
        failure = `refers to {env.${key}} but the [env] section has no keyword "${key}"`;
        return whole;
      }
      const inner = expandReferences(envRaw, ctx, [...stack, key]);
      if (!inner.ok) {
        failure = inner.reason;
        return whole;
      }
      return inner.value;
    }
    const known = [...Object.keys(ctx.vars).map((v) => `{${v}}`), ...(ctx.env !== undefined ? ['{env.KEY}'] : [])];
    failure = `refers to unknown ${whole.length > 60 ? `${whole.slice(0, 60)}...}` : whole} (known: ${known.join(', ')})`;
    return whole;
  });
  return failure === undefined ? { ok: true, value } : { ok: false, reason: failure };
}
