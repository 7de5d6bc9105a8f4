import type { ConfigSchema, SectionSchema } from './schema.js';

/**
 * The keywords of node.conf and cluster.conf. As in OpenSVC, [cluster] and
 * the heartbeats [hb#*] are cluster-wide and live in cluster.conf; every other
 * section is the node's own and lives in node.conf.
 */

const PORT = { min: 1, max: 65535 } as const;

const CLUSTER: SectionSchema = {
  help: 'the cluster this node belongs to',
  keywords: {
    name: { type: 'string', pattern: { re: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, expected: 'letters, digits, "_", "-" or "."' }, help: 'the cluster name, generated on first use' },
    secret: { type: 'string', secret: true, pattern: { re: /^[0-9a-f]{32}$/, expected: '32 lowercase hexadecimal digits' }, help: 'the secret authenticating heartbeats and requests, generated on first use' },
    nodes: { type: 'list', default: '{nodename}', pattern: { re: /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, expected: 'node names' }, help: 'the cluster members' },
    quorum: { type: 'boolean', default: 'false', help: 'count votes (one per node and per [arbitrator#N]): a side holding more than half takes over the services of the silent nodes, a side without runs node.split_action' },
  },
};

const NODE: SectionSchema = {
  help: 'this node',
  keywords: {
    env: { type: 'string', default: 'TST', help: 'the node environment: a non-PRD service does not start on a PRD node' },
    ruser: { type: 'string', help: 'the user to log in as on peer nodes (default root)' },
    ready_period: {
      type: 'duration',
      default: '5s',
      min: 0,
      help: 'how long the daemon\'s decision to start a service here must hold before it starts it, so a peer\'s beat in flight (a start, a thaw) is heard first; not waited when no other node could start the service',
    },
    rejoin_grace_period: {
      type: 'duration',
      default: '90s',
      min: 0,
      help: 'after the daemon starts, how long the services not running on a live node wait for every peer to be heard before one is started or taken over here (as OpenSVC): a cluster booting together places them as placement says, not where the first node up finds itself; an operator\'s target does not wait',
    },
    split_action: {
      type: 'string',
      default: 'crash',
      candidates: ['crash', 'reboot', 'freezestop'],
      help: 'what this node does when it loses the quorum (cluster.quorum = true): crash or reboot the node (as OpenSVC), or freezestop: freeze the node and stop its services, the agent staying up',
    },
  },
};

const NATS: SectionSchema = {
  help: 'the NATS JetStream server holding the event log',
  keywords: {
    url: { type: 'string', help: 'an existing NATS server or cluster to use instead of the embedded one' },
    port: { type: 'integer', default: '4222', ...PORT, help: 'the port of the embedded nats-server (loopback only)' },
    audit_max_bytes: { type: 'integer', default: '0', help: 'size limit of the audit stream in bytes, oldest events dropped first; 0 keeps everything' },
    audit_max_age: { type: 'duration', default: '0', help: 'age limit of the audit stream (e.g. 365d); 0 keeps everything' },
    hb_max_age: { type: 'duration', default: '1d', help: 'how long heartbeats are kept in the heartbeat stream' },
    export_url: {
      type: 'string',
      pattern: { re: /^(?:nats|tls):\/\/(?:.*@)?(?:\[[0-9a-fA-F:.]+\]|[^@/:[\]\s]+)(?::\d{1,5})?\/?$/, expected: 'a nats:// or tls:// URL, like nats://user:password@nats.example.com:4222' },
      help: 'a NATS system of your own (JetStream on) that this node\'s events are exported to, each once, under the cluster\'s subjects; the cluster never waits for it (docs/nats.md)',
    },
    export_stream: {
      type: 'string',
      pattern: { re: /^[A-Za-z0-9_-]{1,255}$/, expected: 'a JetStream stream name (letters, digits, "_", "-")' },
      help: 'the stream of the export_url system that stores the exported events; created there for osvc.<cluster>.evt.> when it does not exist (default: the name of the cluster\'s own stream, OSVC_<CLUSTER>_EVT)',
    },
    export_creds: { type: 'string', pattern: { re: /^\/\S*$/, expected: 'an absolute path' }, help: 'a NATS credentials file (JWT and nkey seed) to log in to the export_url system with, instead of a user and password in the URL' },
  },
};

const LISTENER: SectionSchema = {
  help: 'the daemon listener, receiving requests from the CLI and peer nodes',
  keywords: {
    addr: { type: 'string', default: '0.0.0.0', help: 'the address the listener binds' },
    port: { type: 'integer', default: '1214', ...PORT, help: 'the listener port' },
    tls_cert: { type: 'string', help: 'PEM certificate of this node: set with tls_key, the TCP listener and the heartbeat receivers speak HTTPS (the nodes of a cluster all do)' },
    tls_key: { type: 'string', help: 'PEM private key of tls_cert' },
    tls_ca: { type: 'string', help: 'PEM certificate of the authority that signed the nodes\' certificates, to check a peer\'s listener' },
    seal: { type: 'boolean', default: 'true', help: 'seal the bodies of requests to peers (heartbeats, config pushes) with a key derived from the cluster secret; false sends them in clear (svcmon says so). Requests are signed either way' },
  },
};

/** The live web view under /web/ on the listener's TCP port (docs/web.md). */
const WEB: SectionSchema = {
  help: 'the live web view, served under /web/ on the listener\'s TCP port',
  keywords: {
    enable: { type: 'boolean', default: 'false', help: 'serve the web view (the svcmon picture, service pages, the event stream) under /web/ on the listener port; HTTPS when [listener] tls_cert is set' },
    public: { type: 'boolean', default: 'true', help: 'true: anyone reaching the listener port sees the view, read-only; false: the view asks for the operator\'s login first' },
    user: { type: 'string', pattern: { re: /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, expected: 'a user name (letters, digits, "_", ".", "@", "-")' }, help: 'the operator allowed to log in and run start, stop, freeze and thaw from the web view (set with nodemgr web password)' },
    password: {
      type: 'string',
      secret: true,
      pattern: { re: /^scrypt\$\d{1,2}\$\d{1,2}\$\d{1,2}\$[A-Za-z0-9+/=]{16,}\$[A-Za-z0-9+/=]{32,}$/, expected: 'an scrypt hash: set it with `nodemgr web password --user NAME`, which reads the password on stdin' },
      help: 'the operator\'s password, hashed with scrypt (nodemgr web password): never the password itself',
    },
  },
};

/** GET /metrics on the listener's TCP port, for Prometheus (docs/metrics.md). */
const METRICS: SectionSchema = {
  help: 'the Prometheus metrics endpoint, GET /metrics on the listener port',
  keywords: {
    token: {
      type: 'string',
      secret: true,
      pattern: { re: /^[A-Za-z0-9._~+/=-]{24,256}$/, expected: 'at least 24 characters among letters, digits and . _ ~ + / = - (openssl rand -hex 32)' },
      help: 'the bearer token a scraper sends (Authorization: Bearer <token>); /metrics answers 404 while it is unset',
    },
  },
};

const HB: SectionSchema = {
  help: 'a heartbeat between cluster nodes',
  keywords: {
    type: { type: 'string', required: true, candidates: ['unicast', 'disk'], help: 'the heartbeat transport: unicast (TCP to each peer) or disk (a shared block device); multicast is not supported' },
    dev: { type: 'string', pattern: { re: /^\/\S*$/, expected: 'an absolute path' }, help: 'disk: the shared block device the nodes write their beats to and read the others\' from, dedicated to it, 1 MiB at least (required with type = disk)' },
    port: { type: 'integer', default: '10000', ...PORT, help: 'the port heartbeats are sent to and received on' },
    addr: { type: 'string', help: 'the address to listen on (unicast) or the group (multicast)' },
    intf: { type: 'string', help: 'the interface to send on' },
    timeout: { type: 'duration', default: '15', min: 0.1, help: 'a peer is stale after this long without heartbeat (200ms, 1s, 15): at least twice the interval' },
    interval: { type: 'duration', default: '5', min: 0.05, help: 'the time between two heartbeats (100ms, 1s, 5)' },
  },
};

/**
 * How this node reaches a peer's listener (sync nodes, config checksums).
 * Without a [peer#<node>] section: the node name as resolved (DNS,
 * /etc/hosts), on this node's own listener port, as every node of a
 * cluster listens on the same port. Cluster-wide: it lives in cluster.conf.
 */
const PEER: SectionSchema = {
  help: 'how to reach the listener of the peer node named after the #',
  keywords: {
    addr: { type: 'string', help: 'the peer\'s listener address (default: the node name, resolved)' },
    port: { type: 'integer', ...PORT, help: 'the peer\'s listener port (default: this node\'s listener port)' },
  },
};

/** A vote for the side of a split that reaches it: a URL that answers (any HTTP status). */
const ARBITRATOR: SectionSchema = {
  help: 'an arbitrator: a third place whose vote goes to the nodes that reach it (cluster.quorum)',
  keywords: {
    uri: { type: 'string', required: true, pattern: { re: /^https?:\/\/\S+$/, expected: 'an http:// or https:// URL' }, help: 'the URL asked (GET); any HTTP answer within the timeout is a vote' },
    insecure: { type: 'boolean', default: 'false', help: 'https: do not check the certificate' },
    timeout: { type: 'duration', default: '2s', min: 0.1, help: 'how long an answer is waited for' },
  },
};

export const NODE_SCHEMA: ConfigSchema = {
  echoValues: false,
  fixed: { cluster: CLUSTER, node: NODE, nats: NATS, listener: LISTENER, web: WEB, metrics: METRICS },
  drivers: { hb: HB, peer: PEER, arbitrator: ARBITRATOR },
};

export type NodeConfigFile = 'cluster' | 'node';

/** Which file a section belongs to. */
export function nodeConfigFileOf(section: string): NodeConfigFile {
  return section === 'cluster' || section.startsWith('hb#') || section.startsWith('peer#') || section.startsWith('arbitrator#') ? 'cluster' : 'node';
}
