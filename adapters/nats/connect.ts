import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';

/** Where a client connects and how it proves who it is. */
export interface NatsEndpoint {
  /** nats://host:port; a user and password in it only when the user wrote them in `[nats] url` */
  readonly servers: string;
  /** the nkey seed that signs the server's nonce: how the embedded server's users log in */
  readonly nkeySeed?: Uint8Array | undefined;
  /** reply subjects of the connection (the writer's are its own, see nkeys.ts) */
  readonly inboxPrefix?: string | undefined;
}

export interface NatsAddress {
  readonly host: string;
  readonly port: number;
  readonly user?: string;
  readonly pass?: string;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * `nats://[user[:password]@]host[:port]`. The password is everything up to
 * the last `@`, so a `#`, `;` or `@` typed as is in node.conf is kept (a URL
 * parser would cut it at `#`); percent-escapes are decoded.
 */
export function parseNatsUrl(url: string): NatsAddress | undefined {
  const m = /^(?:(?:nats|tls):\/\/)?(?:(.*)@)?(\[[0-9a-fA-F:.]+\]|[^@/:[\]]+)(?::(\d{1,5}))?\/?$/.exec(url.trim());
  if (!m) return undefined;
  const [, auth, host, port] = m;
  const colon = auth === undefined ? -1 : auth.indexOf(':');
  const creds = auth === undefined ? {} : colon < 0 ? { user: decode(auth) } : { user: decode(auth.slice(0, colon)), pass: decode(auth.slice(colon + 1)) };
  return { host: host!.replace(/^\[|\]$/g, ''), port: port === undefined ? 4222 : Number(port), ...creds };
}

export async function connectNats(e: NatsEndpoint, o: { readonly timeoutMs: number; readonly name: string }): Promise<NatsConnection> {
  const a = parseNatsUrl(e.servers);
  if (!a) throw new Error(`not a NATS URL (nats://host:port)`);
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return connect({
    servers: `${host}:${a.port}`,
    ...(e.nkeySeed ? { authenticator: nkeyAuthenticator(e.nkeySeed) } : a.user !== undefined ? { user: a.user, pass: a.pass ?? '' } : {}),
    ...(e.inboxPrefix ? { inboxPrefix: e.inboxPrefix } : {}),
    timeout: o.timeoutMs,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    name: o.name,
  });
}
