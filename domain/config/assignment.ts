/**
 * The `--kw section.key=value` and `--param section.key` arguments of set,
 * get and unset. Section names hold no dot, so the first dot splits.
 */
export interface KeywordRef {
  readonly section: string;
  readonly key: string;
}

export interface Assignment extends KeywordRef {
  readonly value: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** `hb#1.type` -> hb#1 / type; `nodes` -> DEFAULT / nodes when a default section is given. */
export function parseKeywordRef(text: string, defaultSection: string | undefined): Parsed<KeywordRef> {
  const t = text.trim();
  const dot = t.indexOf('.');
  if (dot < 0) {
    if (defaultSection === undefined) return { ok: false, reason: `"${t}" names no section: expected section.keyword, like cluster.name or hb#1.type` };
    if (t === '') return { ok: false, reason: 'a keyword name is expected' };
    return { ok: true, value: { section: defaultSection, key: t } };
  }
  const section = t.slice(0, dot);
  const key = t.slice(dot + 1);
  if (section === '' || key === '') return { ok: false, reason: `"${t}": expected section.keyword, like DEFAULT.nodes or ip#0.ipname` };
  return { ok: true, value: { section, key } };
}

/** `section.key=value`; the value may hold `=` and be empty. */
export function parseAssignment(text: string, defaultSection: string | undefined): Parsed<Assignment> {
  const eq = text.indexOf('=');
  if (eq < 0) return { ok: false, reason: `"${text}": expected section.keyword=value` };
  const ref = parseKeywordRef(text.slice(0, eq), defaultSection);
  if (!ref.ok) return ref;
  return { ok: true, value: { ...ref.value, value: text.slice(eq + 1).trim() } };
}
