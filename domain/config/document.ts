import { show } from './show.js';

/**
 * A comment-preserving INI document: what `set`, `unset`, `delete --rid` and
 * cluster identity generation edit, so a user's comments, order and blank
 * lines survive every change. Reading and writing use this one model, so the
 * same rules apply everywhere:
 *   - a BOM is stripped, CRLF (or lone CR) ends a line, tabs are whitespace;
 *   - `#` or `;` starts a comment line (not inside a value: values may hold `#`);
 *   - `keyword = value`, the value being the rest of the line, trimmed;
 *   - no continuation lines: an indented line is an ordinary line;
 *   - a keyword outside a section, a keyword set twice in a section and a
 *     section declared twice are refused, naming the lines.
 * Every operation is pure and returns a new document.
 */

export interface KeywordLine {
  readonly kind: 'keyword';
  readonly key: string;
  readonly value: string;
  /** 1-based line number in the parsed text, 0 for lines added by an edit */
  readonly line: number;
  readonly raw: string;
}

export interface OtherLine {
  readonly kind: 'blank' | 'comment';
  readonly raw: string;
}

export type BodyLine = KeywordLine | OtherLine;

export interface IniSection {
  readonly name: string;
  readonly line: number;
  readonly header: string;
  /** the comment lines written right above the header: they go with the section */
  readonly leading: readonly OtherLine[];
  readonly body: readonly BodyLine[];
}

export interface IniDocument {
  readonly file: string;
  readonly eol: '\n' | '\r\n';
  /** lines before the first section (comments and blanks only) */
  readonly head: readonly OtherLine[];
  readonly sections: readonly IniSection[];
}

export type DocumentResult = { readonly ok: true; readonly doc: IniDocument } | { readonly ok: false; readonly problems: readonly string[] };

const KEY_RE = /^[A-Za-z0-9_][A-Za-z0-9_.@-]*$/;

export function emptyDocument(file: string): IniDocument {
  return { file, eol: '\n', head: [], sections: [] };
}

export interface ParseOptions {
  /**
   * Quote the offending text in syntax problems (default true). Off for files
   * holding secrets (cluster.conf): a mangled `secret` line is never echoed.
   */
  readonly echo?: boolean;
}

const SECTION_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_#.:@-]*$/;

export function parseDocument(input: string, file: string, o: ParseOptions = {}): DocumentResult {
  const echo = (t: string) => (o.echo === false ? '' : ` ${show(t)}`);
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const problems: string[] = [];
  const head: OtherLine[] = [];
  const sections: { name: string; line: number; header: string; leading: OtherLine[]; body: BodyLine[] }[] = [];
  const sectionLine = new Map<string, number>();
  const keyLines = new Map<string, Map<string, number>>();
  let orphanReported = false;

  lines.forEach((raw, i) => {
    const n = i + 1;
    const t = raw.trim();
    const cur = sections[sections.length - 1];
    if (t === '' || t.startsWith('#') || t.startsWith(';')) {
      const l: OtherLine = { kind: t === '' ? 'blank' : 'comment', raw };
      (cur ? cur.body : head).push(l);
      return;
    }
    if (t.startsWith('[')) {
      const m = /^\[([^[\]]*)\]$/.exec(t);
      const name = m?.[1]?.trim() ?? '';
      if (!m || name === '') {
        problems.push(`${file}:${n}: section header${echo(t)} is invalid: expected "[name]", like [DEFAULT] or [ip#0]`);
        return;
      }
      if (!SECTION_NAME_RE.test(name)) {
        problems.push(`${file}:${n}: section name${echo(name)} is invalid: expected letters, digits, "_", "-" and "#", like DEFAULT or ip#0`);
        return;
      }
      const seen = sectionLine.get(name);
      if (seen !== undefined) {
        problems.push(`${file}:${n}: section [${name}] is declared twice (lines ${seen} and ${n}): merge them into one`);
        return;
      }
      sectionLine.set(name, n);
      keyLines.set(name, new Map());
      const prev = cur ? cur.body : head;
      let k = prev.length;
      while (k > 0 && prev[k - 1]!.kind === 'comment') k--;
      const leading = prev.splice(k) as OtherLine[];
      sections.push({ name, line: n, header: raw, leading, body: [] });
      return;
    }
    const eq = t.indexOf('=');
    if (eq < 0) {
      problems.push(`${file}:${n}: expected "keyword = value" or "[section]"${o.echo === false ? '' : `, found ${show(t)}`}`);
      return;
    }
    const key = t.slice(0, eq).trim();
    const value = t.slice(eq + 1).trim();
    if (!KEY_RE.test(key)) {
      problems.push(`${file}:${n}: keyword name${echo(key)} is invalid: expected letters, digits, "_", "-", "." or "@"`);
      return;
    }
    if (!cur) {
      if (!orphanReported) problems.push(`${file}:${n}: keyword "${key}" is outside any section: add a section header like [DEFAULT] above it`);
      orphanReported = true;
      return;
    }
    const keys = keyLines.get(cur.name)!;
    const seen = keys.get(key);
    if (seen !== undefined) {
      problems.push(`${file}:${n}: [${cur.name}] keyword "${key}" is set twice (lines ${seen} and ${n}): keep one`);
      return;
    }
    keys.set(key, n);
    cur.body.push({ kind: 'keyword', key, value, line: n, raw });
  });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, doc: { file, eol, head, sections } };
}

export function serializeDocument(doc: IniDocument): string {
  const out: string[] = doc.head.map((l) => l.raw);
  for (const s of doc.sections) {
    out.push(...s.leading.map((l) => l.raw), s.header, ...s.body.map((l) => l.raw));
  }
  return out.length === 0 ? '' : `${out.join(doc.eol)}${doc.eol}`;
}

export function findSection(doc: IniDocument, name: string): IniSection | undefined {
  return doc.sections.find((s) => s.name === name);
}

export function sectionNames(doc: IniDocument): string[] {
  return doc.sections.map((s) => s.name);
}

export function keywordsOf(s: IniSection): KeywordLine[] {
  return s.body.filter((l): l is KeywordLine => l.kind === 'keyword');
}

export function getValue(doc: IniDocument, section: string, key: string): string | undefined {
  const s = findSection(doc, section);
  return s ? keywordsOf(s).find((l) => l.key === key)?.value : undefined;
}

function keywordRaw(key: string, value: string, indent = ''): string {
  return value === '' ? `${indent}${key} =` : `${indent}${key} = ${value}`;
}

function replaceSection(doc: IniDocument, next: IniSection): IniDocument {
  return { ...doc, sections: doc.sections.map((s) => (s.name === next.name ? next : s)) };
}

export interface SetOptions {
  /** put a new keyword first in its section (the service id goes on top of DEFAULT) */
  readonly first?: boolean;
}

/**
 * Set a keyword. An existing line is rewritten in place (its indentation
 * kept); a new one goes after the section's last keyword; a new section is
 * appended (DEFAULT goes first), separated by a blank line.
 */
export function setValue(doc: IniDocument, section: string, key: string, value: string, o: SetOptions = {}): IniDocument {
  const s = findSection(doc, section);
  if (!s) {
    const created: IniSection = { name: section, line: 0, header: `[${section}]`, leading: [], body: [{ kind: 'keyword', key, value, line: 0, raw: keywordRaw(key, value) }] };
    if (section === 'DEFAULT') {
      const first = doc.sections[0];
      const spaced = first ? { ...created, body: [...created.body, { kind: 'blank', raw: '' } as const] } : created;
      return { ...doc, sections: [spaced, ...doc.sections] };
    }
    const last = lastLine(doc);
    const spaced = last !== undefined && last.trim() !== '' ? { ...created, leading: [{ kind: 'blank', raw: '' } as const] } : created;
    return { ...doc, sections: [...doc.sections, spaced] };
  }
  const idx = s.body.findIndex((l) => l.kind === 'keyword' && l.key === key);
  if (idx >= 0) {
    const old = s.body[idx] as KeywordLine;
    if (old.value === value) return doc;
    const indent = /^\s*/.exec(old.raw)?.[0] ?? '';
    const body = s.body.map((l, i) => (i === idx ? { ...old, value, raw: keywordRaw(key, value, indent) } : l));
    return replaceSection(doc, { ...s, body });
  }
  const line: KeywordLine = { kind: 'keyword', key, value, line: 0, raw: keywordRaw(key, value) };
  let at = 0;
  if (!o.first) {
    s.body.forEach((l, i) => {
      if (l.kind === 'keyword') at = i + 1;
    });
  }
  return replaceSection(doc, { ...s, body: [...s.body.slice(0, at), line, ...s.body.slice(at)] });
}

function lastLine(doc: IniDocument): string | undefined {
  const s = doc.sections[doc.sections.length - 1];
  if (!s) return doc.head[doc.head.length - 1]?.raw;
  return s.body.length > 0 ? s.body[s.body.length - 1]!.raw : s.header;
}

/** Remove a keyword line; the section header stays even when it becomes empty. */
export function unsetValue(doc: IniDocument, section: string, key: string): IniDocument {
  const s = findSection(doc, section);
  if (!s || !s.body.some((l) => l.kind === 'keyword' && l.key === key)) return doc;
  return replaceSection(doc, { ...s, body: s.body.filter((l) => !(l.kind === 'keyword' && l.key === key)) });
}

/** Remove a section with the comments above its header and its body. */
export function removeSection(doc: IniDocument, name: string): IniDocument {
  return { ...doc, sections: doc.sections.filter((s) => s.name !== name) };
}
