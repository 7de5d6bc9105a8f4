import { keywordsOf, type IniDocument } from './document.js';
import { expandReferences, type ReferenceContext } from './references.js';
import { sectionSchema, suggestSection, type ConfigSchema, type KeywordSpec } from './schema.js';
import { HIDDEN, show } from './show.js';
import { didYouMean } from './suggest.js';
import type { KeywordValue } from './types.js';
import { convertValue } from './values.js';

export interface TypedSection {
  readonly name: string;
  /** ip, fs... for `<driver>#<name>` sections; undefined for fixed ones */
  readonly driver: string | undefined;
  /** false for a fixed section absent from the file (its defaults only) */
  readonly present: boolean;
  /** keywords after expansion, conversion and defaults */
  readonly kw: Readonly<Record<string, KeywordValue>>;
  /** the keywords written in the file */
  readonly set: readonly string[];
}

export interface Validation {
  readonly sections: readonly TypedSection[];
  /** one line per problem, each naming file, section, keyword and value */
  readonly problems: readonly string[];
}

/** Name of the free-form section whose keywords {env.KEY} refers to. */
const ENV_SECTION = 'env';

/**
 * Check every section and keyword of a document against a schema and type
 * the values. All problems are collected, not just the first. `required:
 * false` leaves required keywords to the caller (a section split over two
 * files is complete only once merged).
 */
export function validateDocument(doc: IniDocument, schema: ConfigSchema, vars: Readonly<Record<string, string>>, o: { readonly required?: boolean } = {}): Validation {
  const problems: string[] = [];
  const where = (section: string) => `${doc.file}: [${section}]`;
  const envSection = doc.sections.find((s) => s.name === ENV_SECTION);
  const hasEnv = Object.hasOwn(schema.fixed, ENV_SECTION);
  const env: Record<string, string> | undefined = hasEnv ? {} : undefined;
  if (env && envSection) for (const k of keywordsOf(envSection)) env[k.key] = k.value;
  const refs: ReferenceContext = env ? { vars, env } : { vars };

  const typed = (section: string, key: string, spec: KeywordSpec, raw: string, fromDefault: boolean): KeywordValue | undefined => {
    const echo = !spec.secret && schema.echoValues !== false;
    const shown = echo ? ` ${show(raw)}` : spec.secret ? ` ${HIDDEN}` : '';
    const x = expandReferences(raw, refs);
    if (!x.ok) {
      problems.push(`${where(section)} keyword "${key}" ${x.reason}`);
      return undefined;
    }
    const c = convertValue(spec, x.value);
    if (!c.ok) {
      const expandedNote = x.value !== raw && echo ? ` (expanded to ${show(x.value)})` : '';
      const origin = fromDefault ? ' (its default)' : '';
      problems.push(`${where(section)} keyword "${key}" has ${echo || spec.secret ? 'invalid value' : 'an invalid value'}${shown}${expandedNote}${origin}: expected ${c.expected}`);
      return undefined;
    }
    return c.value;
  };

  const sections: TypedSection[] = [];
  const present = new Set(doc.sections.map((s) => s.name));
  const todo = [
    ...doc.sections.map((s) => ({ name: s.name, lines: keywordsOf(s), present: true })),
    ...Object.keys(schema.fixed).filter((f) => !present.has(f)).map((name) => ({ name, lines: [], present: false })),
  ];
  for (const s of todo) {
    const look = sectionSchema(schema, s.name);
    if (!look.ok) {
      problems.push(`${where(s.name)} ${look.reason}${suggestSection(schema, s.name)}`);
      continue;
    }
    const spec = look.schema;
    const kw: Record<string, KeywordValue> = {};
    const set: string[] = [];
    for (const l of s.lines) {
      set.push(l.key);
      if (spec.freeform) {
        const x = expandReferences(l.value, refs, [l.key]);
        if (x.ok) kw[l.key] = x.value;
        else problems.push(`${where(s.name)} keyword "${l.key}" ${x.reason}`);
        continue;
      }
      const ks = spec.keywords[l.key];
      if (!ks || !Object.hasOwn(spec.keywords, l.key)) {
        problems.push(`${where(s.name)} keyword "${l.key}" is unknown${didYouMean(l.key, Object.keys(spec.keywords))}`);
        continue;
      }
      if (ks.unsupported !== undefined) {
        problems.push(`${where(s.name)} keyword "${l.key}" is not supported by hasvc: ${ks.unsupported}`);
        continue;
      }
      const v = typed(s.name, l.key, ks, l.value, false);
      if (typeof v === 'string' && ks.unsupportedValues !== undefined && Object.hasOwn(ks.unsupportedValues, v)) {
        problems.push(`${where(s.name)} keyword "${l.key}" value ${show(v)} is not supported by hasvc: ${ks.unsupportedValues[v]!}`);
        continue;
      }
      if (v !== undefined) kw[l.key] = v;
    }
    for (const [key, ks] of Object.entries(spec.keywords)) {
      if (set.includes(key)) continue;
      if (ks.required && o.required !== false) {
        problems.push(`${where(s.name)} keyword "${key}" is required: ${ks.help}`);
        continue;
      }
      if (ks.default !== undefined) {
        const v = typed(s.name, key, ks, ks.default, true);
        if (v !== undefined) kw[key] = v;
      }
    }
    for (const [key, ks] of Object.entries(spec.keywords)) {
      const from = ks.fallback !== undefined ? kw[ks.fallback] : undefined;
      if (!set.includes(key) && kw[key] === undefined && from !== undefined) kw[key] = from;
    }
    sections.push({ name: s.name, driver: look.driver, present: s.present, kw, set });
  }
  return { sections, problems };
}
