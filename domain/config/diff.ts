import { keywordsOf, type IniDocument } from './document.js';

function flatten(doc: IniDocument): Map<string, string> {
  const m = new Map<string, string>();
  for (const s of doc.sections) for (const k of keywordsOf(s)) m.set(`${s.name}.${k.key}`, k.value);
  return m;
}

/** The keywords added, changed or removed between two versions, as `section.key`, in file order. */
export function changedKeywords(before: IniDocument, after: IniDocument): string[] {
  const a = flatten(before);
  const b = flatten(after);
  const out: string[] = [];
  for (const [k, v] of b) if (a.get(k) !== v) out.push(k);
  for (const k of a.keys()) if (!b.has(k)) out.push(k);
  return out;
}
