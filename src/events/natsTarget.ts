import fs from 'node:fs';
import ini from 'ini';
import type { StoreLimits } from '../../adapters/nats/eventStore.js';
import { natsUrl, readCredentials } from '../../adapters/nats/server.js';
import { parseDuration } from '../../domain/config/values.js';
import type { NodePaths } from '../paths.js';

export const DEFAULT_NATS_PORT = 4222;

export interface NatsTarget {
  /** the URL clients use, credentials included */
  readonly url: string;
  /** embedded: this node's own nats-server, started by the daemon; external: an existing server or cluster */
  readonly kind: 'embedded' | 'external';
  readonly port: number;
  /** embedded server never started on this node yet: nothing to connect to */
  readonly provisioned: boolean;
  /** stream limits from node.conf: every opener passes the same, so none undoes another's */
  readonly limits: StoreLimits;
}

function nodeSection(p: NodePaths, section: string): Record<string, unknown> {
  if (!fs.existsSync(p.nodeConf)) return {};
  const doc = ini.parse(fs.readFileSync(p.nodeConf, 'utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>;
  const s = doc[section];
  return typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : {};
}

/** Where this node's events go: `[nats] url` in node.conf, else the embedded server on `[nats] port`. */
export function natsTarget(p: NodePaths): NatsTarget {
  const s = nodeSection(p, 'nats');
  const seconds = (v: unknown, dflt: number) => (typeof v === 'string' ? (parseDuration(v) ?? dflt) : dflt);
  const limits: StoreLimits = {
    auditMaxBytes: typeof s.audit_max_bytes === 'string' ? Number(s.audit_max_bytes) || 0 : 0,
    auditMaxAgeSec: seconds(s.audit_max_age, 0),
    hbMaxAgeSec: seconds(s.hb_max_age, 86400),
  };
  if (typeof s.url === 'string' && s.url.trim() !== '') {
    return { url: s.url.trim(), kind: 'external', port: 0, provisioned: true, limits };
  }
  const port = s.port === undefined ? DEFAULT_NATS_PORT : Number(s.port);
  const creds = readCredentials(p.natsDir);
  return { url: natsUrl(port, creds), kind: 'embedded', port, provisioned: creds !== undefined, limits };
}
