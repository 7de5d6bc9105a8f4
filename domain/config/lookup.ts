import { escapeForTerminal } from '../escape.js';
import type { Assignment, KeywordRef } from './assignment.js';
import { sectionSchema, suggestSection, type ConfigSchema, type KeywordSpec } from './schema.js';
import { show } from './show.js';
import { didYouMean } from './suggest.js';

export type KeywordLookup =
  | { readonly ok: true; readonly spec: KeywordSpec | undefined }
  | { readonly ok: false; readonly problem: string };

/** A section or keyword name from the command line, echoed on one line whatever it holds. */
const where = (section: string): string => `[${escapeForTerminal(section)}]`;

const FREEFORM_KEY_RE = /^[A-Za-z0-9_][A-Za-z0-9_.@-]*$/;

/**
 * Is `section.key` a keyword this schema knows? The spec is undefined for a
 * free-form section's keys ([env]). The problem line names the file.
 */
export function lookupKeyword(schema: ConfigSchema, file: string, ref: KeywordRef): KeywordLookup {
  const s = sectionSchema(schema, ref.section);
  if (!s.ok) return { ok: false, problem: `${file}: ${where(ref.section)} ${s.reason}${suggestSection(schema, ref.section)}` };
  if (s.schema.freeform) {
    return FREEFORM_KEY_RE.test(ref.key) ? { ok: true, spec: undefined } : { ok: false, problem: `${file}: ${where(ref.section)} keyword name ${show(ref.key)} is invalid: expected letters, digits, "_", "-", "." or "@"` };
  }
  const spec = s.schema.keywords[ref.key];
  if (!spec || !Object.hasOwn(s.schema.keywords, ref.key)) {
    return { ok: false, problem: `${file}: ${where(ref.section)} keyword ${show(ref.key)} is unknown${didYouMean(ref.key, Object.keys(s.schema.keywords))}` };
  }
  return { ok: true, spec };
}

/** A value is one line of the file: a line break would write a different file than the one validated. */
export function checkAssignment(schema: ConfigSchema, file: string, a: Assignment): string | undefined {
  const k = lookupKeyword(schema, file, a);
  if (!k.ok) return k.problem;
  if (/[\r\n\u2028\u2029]/.test(a.value)) return `${file}: ${where(a.section)} keyword ${show(a.key)} value holds a line break: values are one line`;
  return undefined;
}
