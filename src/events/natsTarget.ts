import type { NatsEndpoint } from '../../adapters/nats/connect.js';
import type { StoreLimits } from '../../adapters/nats/eventStore.js';
import { WRITER_INBOX_PREFIX, readSeed, seedFile } from '../../adapters/nats/nkeys.js';
import { natsUrl } from '../../adapters/nats/server.js';
import { getValue } from '../../domain/config/document.js';
import { parseDuration } from '../../domain/config/values.js';
import { readConfigDocument } from '../config/identity.js';
import type { NodePaths } from '../paths.js';

export const DEFAULT_NATS_PORT = 4222;

export interface NatsTarget {
  /** the URL to show: credentials in it only when the user wrote them in `[nats] url` */
  readonly url: string;
  /** how this node's daemon and root's CLI connect: the embedded server's writer key, or the user's URL */
  readonly endpoint: NatsEndpoint;
  /** embedded: this node's own nats-server, started by the daemon; external: an existing server or cluster */
  readonly kind: 'embedded' | 'external';
  readonly port: number;
  /**
   * embedded server never started on this node yet (no writer key): nothing
   * to connect to. A password left by an install before nkeys is never sent.
   */
  readonly provisioned: boolean;
  /** stream limits from node.conf: every opener passes the same, so none undoes another's */
  readonly limits: StoreLimits;
}

/**
 * Where this node's events go: `[nats] url` in node.conf, else the embedded
 * server on `[nats] port`. node.conf is read with the parser that edits it,
 * so a value holding `#` or `;` (a password) is read whole.
 */
export function natsTarget(p: NodePaths): NatsTarget {
  const doc = readConfigDocument(p.nodeConf).doc;
  const get = (key: string) => getValue(doc, 'nats', key);
  const seconds = (v: string | undefined, dflt: number) => (v === undefined ? dflt : (parseDuration(v) ?? dflt));
  const limits: StoreLimits = {
    auditMaxBytes: Number(get('audit_max_bytes') ?? 0) || 0,
    auditMaxAgeSec: seconds(get('audit_max_age'), 0),
    hbMaxAgeSec: seconds(get('hb_max_age'), 86400),
  };
  const url = get('url')?.trim();
  if (url !== undefined && url !== '') {
    return { url, endpoint: { servers: url }, kind: 'external', port: 0, provisioned: true, limits };
  }
  const port = Number(get('port') ?? DEFAULT_NATS_PORT);
  const seed = readSeed(seedFile(p.natsDir, 'writer'));
  const shown = natsUrl(port);
  return { url: shown, endpoint: { servers: shown, nkeySeed: seed, inboxPrefix: WRITER_INBOX_PREFIX }, kind: 'embedded', port, provisioned: seed !== undefined, limits };
}
