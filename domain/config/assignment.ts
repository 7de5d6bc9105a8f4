/**
 * The `--kw section.key=value` and `--param section.key` arguments of set,
 * get and unset. Section names hold no dot, so the first dot splits.
 */
import { show } from './show.js';

export interface KeywordRef {
  readonly section: string;
  readonly key: string;
}

export interface Assignment extends KeywordRef {
  readonly value: string;
  /** `key+=words` adds the words a list lacks, `key-=words` removes them (OpenSVC's forms); plain `=` replaces */
  readonly op?: 'append' | 'remove';
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** `hb#1.type` -> hb#1 / type; `nodes` -> DEFAULT / nodes when a default section is given. */
export function parseKeywordRef(text: string, defaultSection: string | undefined): Parsed<KeywordRef> {
  const t = text.trim();
  const dot = t.indexOf('.');
  if (dot < 0) {
    if (defaultSection === undefined) return { ok: false, reason: `${show(t)} names no section: expected section.keyword, like cluster.name or hb#1.type` };
    if (t === '') return { ok: false, reason: 'a keyword name is expected' };
    return { ok: true, value: { section: defaultSection, key: t } };
  }
  const section = t.slice(0, dot);
  const key = t.slice(dot + 1);
  if (section === '' || key === '') return { ok: false, reason: `${show(t)}: expected section.keyword, like DEFAULT.nodes or ip#0.ipname` };
  return { ok: true, value: { section, key } };
}

/** `section.key=value`, `section.key+=words`, `section.key-=words`; the value may hold `=` and be empty. */
export function parseAssignment(text: string, defaultSection: string | undefined): Parsed<Assignment> {
  const eq = text.indexOf('=');
  if (eq < 0) return { ok: false, reason: `${show(text)}: expected section.keyword=value (or += / -= to add to or remove from a list)` };
  const lhs = text.slice(0, eq).trimEnd();
  const op = lhs.endsWith('+') ? 'append' : lhs.endsWith('-') ? 'remove' : undefined;
  const ref = parseKeywordRef(op ? lhs.slice(0, -1) : lhs, defaultSection);
  if (!ref.ok) return ref;
  const value = text.slice(eq + 1).trim();
  if (op && value === '') return { ok: false, reason: `${show(text)}: ${op === 'append' ? '+=' : '-='} needs the words to ${op === 'append' ? 'add' : 'remove'}` };
  return { ok: true, value: { ...ref.value, value, ...(op ? { op } : {}) } };
}

/**
 * The value a keyword takes after an assignment, from its current one:
 * `+=` adds the words it lacks (in order, once), `-=` removes every one of
 * the words; `=` replaces.
 */
export function assignedValue(current: string | undefined, a: Assignment): string {
  if (a.op === undefined) return a.value;
  const words = (current ?? '').split(/\s+/).filter(Boolean);
  const given = a.value.split(/\s+/).filter(Boolean);
  if (a.op === 'append') return [...words, ...given.filter((w, i) => !words.includes(w) && given.indexOf(w) === i)].join(' ');
  return words.filter((w) => !given.includes(w)).join(' ');
}
