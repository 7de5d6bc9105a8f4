import { keywordsOf, type IniDocument } from './document.js';
import { lookupKeyword } from './lookup.js';
import { NODE_SCHEMA } from './nodeSchema.js';

/** `scheme://user:password@host` or `scheme://token@host`: something before the last `@` after `//`. */
export function urlHoldsCredentials(url: string): boolean {
  const at = url.lastIndexOf('@');
  const start = url.indexOf('//');
  return at > (start < 0 ? -1 : start + 1) && url.slice(start < 0 ? 0 : start + 2, at) !== '';
}

/**
 * The keywords of a node config document holding a credential, as
 * `section.key`: the secret ones (cluster.secret) and a `[nats] url` or
 * `export_url` with a user, password or token in it. A file holding any is for root's eyes only.
 */
export function credentialKeywords(doc: IniDocument): string[] {
  const found: string[] = [];
  for (const s of doc.sections) {
    for (const k of keywordsOf(s)) {
      const l = lookupKeyword(NODE_SCHEMA, doc.file, { section: s.name, key: k.key });
      const secret = l.ok && l.spec?.secret === true;
      if (secret || (s.name === 'nats' && (k.key === 'url' || k.key === 'export_url') && urlHoldsCredentials(k.value))) found.push(`${s.name}.${k.key}`);
    }
  }
  return found;
}
