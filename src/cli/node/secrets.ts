import { keywordsOf, setValue, type IniDocument } from '../../../domain/config/document.js';
import { lookupKeyword } from '../../../domain/config/lookup.js';
import { NODE_SCHEMA } from '../../../domain/config/nodeSchema.js';
import { HIDDEN } from '../../../domain/config/show.js';

/** A copy of a node config document with secret values (cluster.secret) replaced, for printing. */
export function maskSecrets(doc: IniDocument): IniDocument {
  let out = doc;
  for (const s of doc.sections) {
    for (const k of keywordsOf(s)) {
      const l = lookupKeyword(NODE_SCHEMA, doc.file, { section: s.name, key: k.key });
      if (l.ok && l.spec?.secret) out = setValue(out, s.name, k.key, HIDDEN);
    }
  }
  return out;
}
