import { ConfigError } from '../errors.js';
import { parseDocument, type IniDocument } from './document.js';
import { NODE_SCHEMA } from './nodeSchema.js';
import type { KeywordValue } from './types.js';
import { sectionSchema } from './schema.js';
import { validateDocument, type TypedSection } from './validate.js';

export interface HeartbeatConfig {
  readonly rid: string;
  readonly type: 'unicast' | 'multicast' | 'disk';
  readonly port: number;
  /** the shared block device of a disk heartbeat */
  readonly dev: string | undefined;
  readonly addr: string | undefined;
  readonly intf: string | undefined;
  /** seconds */
  readonly timeout: number;
  /** seconds */
  readonly interval: number;
}

export interface ArbitratorConfig {
  readonly rid: string;
  readonly uri: string;
  readonly insecure: boolean;
  /** seconds */
  readonly timeout: number;
}

export type SplitAction = 'crash' | 'reboot' | 'freezestop';

/** node.conf and cluster.conf, merged and typed. */
export interface NodeConfig {
  readonly cluster: { readonly name: string | undefined; readonly secret: string | undefined; readonly nodes: readonly string[]; readonly quorum: boolean };
  readonly arbitrators: readonly ArbitratorConfig[];
  /** readyPeriod, rejoinGracePeriod: seconds */
  readonly node: { readonly env: string; readonly ruser: string | undefined; readonly readyPeriod: number; readonly rejoinGracePeriod: number; readonly splitAction: SplitAction };
  readonly nats: { readonly url: string | undefined; readonly port: number };
  readonly listener: {
    readonly addr: string;
    readonly port: number;
    /** files; HTTPS on the TCP listener when cert and key are set */
    readonly tls: { readonly cert: string; readonly key: string; readonly ca: string | undefined } | undefined;
    /** bodies to peers sealed with the cluster key (default), or in clear */
    readonly seal: boolean;
  };
  readonly hbs: readonly HeartbeatConfig[];
  /** the web view under /web/ on the listener port; password: the scrypt hash */
  readonly web: { readonly enable: boolean; readonly public: boolean; readonly user: string | undefined; readonly password: string | undefined };
  /** GET /metrics: answered only with this bearer token, and not at all while it is unset */
  readonly metrics: { readonly token: string | undefined };
  /** every section after defaults and conversion */
  readonly sections: Readonly<Record<string, Readonly<Record<string, KeywordValue>>>>;
}

export interface NodeConfigText {
  readonly text: string;
  readonly file: string;
}

export type NodeConfigCheck =
  | { readonly ok: true; readonly config: NodeConfig; readonly docs: { readonly node: IniDocument; readonly cluster: IniDocument } }
  | { readonly ok: false; readonly problems: readonly string[] };

const str = (v: KeywordValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: KeywordValue | undefined, d: number): number => (typeof v === 'number' ? v : d);

export function checkNodeDocuments(docs: { node: IniDocument; cluster: IniDocument }, nodename: string): NodeConfigCheck {
  const vars = { nodename };
  const c = validateDocument(docs.cluster, NODE_SCHEMA, vars, { required: false });
  const n = validateDocument(docs.node, NODE_SCHEMA, vars, { required: false });
  const problems = [...c.problems, ...missingRequired(docs, c.sections, n.sections), ...n.problems];
  if (problems.length > 0) return { ok: false, problems };
  // cluster.conf first; a keyword written in node.conf overrides it, as in OpenSVC
  const sections: Record<string, Record<string, KeywordValue>> = {};
  for (const s of c.sections) sections[s.name] = { ...s.kw };
  for (const s of n.sections) {
    const base = sections[s.name];
    if (!base) sections[s.name] = { ...s.kw };
    else for (const k of s.set) base[k] = s.kw[k]!;
  }
  const get = (name: string) => sections[name] ?? {};
  const hbs: HeartbeatConfig[] = Object.entries(sections)
    .filter(([name]) => name.startsWith('hb#'))
    .map(([rid, kw]) => ({
      rid,
      type: kw.type as HeartbeatConfig['type'],
      port: num(kw.port, 10000),
      addr: str(kw.addr),
      intf: str(kw.intf),
      dev: str(kw.dev),
      timeout: num(kw.timeout, 15),
      interval: num(kw.interval, 5),
    }));
  // a disk heartbeat has no device to guess: writing beats to the wrong one would destroy its data
  const noDev = hbs.filter((h) => h.type === 'disk' && h.dev === undefined);
  if (noDev.length > 0) {
    const fileOf = (rid: string) => (n.sections.some((s) => s.name === rid && s.set.includes('type')) ? docs.node.file : docs.cluster.file);
    return { ok: false, problems: noDev.map((h) => `${fileOf(h.rid)}: [${h.rid}] type = disk needs keyword "dev": the shared block device the nodes beat on, like dev = /dev/mapper/hb`) };
  }
  // one late beat must not make a peer stale: a takeover on a lost beat would start the service twice
  const tight = hbs.filter((h) => h.timeout < 2 * h.interval);
  if (tight.length > 0) {
    const fileOf = (rid: string) => (n.sections.some((s) => s.name === rid && (s.set.includes('timeout') || s.set.includes('interval'))) ? docs.node.file : docs.cluster.file);
    return { ok: false, problems: tight.map((h) => `${fileOf(h.rid)}: [${h.rid}] timeout ${h.timeout}s is less than twice the interval ${h.interval}s: set timeout to at least ${2 * h.interval}s, or a shorter interval`) };
  }
  const lsnr = get('listener');
  if ((str(lsnr.tls_cert) === undefined) !== (str(lsnr.tls_key) === undefined)) {
    return { ok: false, problems: ['[listener] tls_cert and tls_key go together: set both for HTTPS, or neither'] };
  }
  const cl = get('cluster');
  const config: NodeConfig = {
    cluster: { name: str(cl.name), secret: str(cl.secret), nodes: Array.isArray(cl.nodes) ? cl.nodes : [nodename], quorum: cl.quorum === true },
    arbitrators: Object.entries(sections)
      .filter(([name]) => name.startsWith('arbitrator#'))
      .map(([rid, kw]) => ({ rid, uri: str(kw.uri) ?? '', insecure: kw.insecure === true, timeout: num(kw.timeout, 2) })),
    node: { env: str(get('node').env) ?? 'TST', ruser: str(get('node').ruser), readyPeriod: num(get('node').ready_period, 5), rejoinGracePeriod: num(get('node').rejoin_grace_period, 90), splitAction: (str(get('node').split_action) ?? 'crash') as SplitAction },
    nats: { url: str(get('nats').url), port: num(get('nats').port, 4222) },
    listener: {
      addr: str(get('listener').addr) ?? '0.0.0.0',
      port: num(get('listener').port, 1214),
      tls: (() => {
        const l = get('listener');
        const cert = str(l.tls_cert);
        const key = str(l.tls_key);
        return cert !== undefined && key !== undefined ? { cert, key, ca: str(l.tls_ca) } : undefined;
      })(),
      seal: get('listener').seal !== false,
    },
    hbs,
    web: { enable: get('web').enable === true, public: get('web').public !== false, user: str(get('web').user), password: str(get('web').password) },
    metrics: { token: str(get('metrics').token) },
    sections,
  };
  return { ok: true, config, docs };
}

/** Required keywords are checked on the merge: [hb#1] may have its type in cluster.conf and its port in node.conf. */
function missingRequired(docs: { node: IniDocument; cluster: IniDocument }, c: readonly TypedSection[], n: readonly TypedSection[]): string[] {
  const out: string[] = [];
  for (const s of [...c, ...n.filter((x) => !c.some((y) => y.name === x.name && y.present))]) {
    if (!s.present && !n.some((x) => x.name === s.name && x.present)) continue;
    const look = sectionSchema(NODE_SCHEMA, s.name);
    if (!look.ok) continue;
    const set = new Set([...(c.find((x) => x.name === s.name)?.set ?? []), ...(n.find((x) => x.name === s.name)?.set ?? [])]);
    const file = c.some((x) => x.name === s.name && x.present) ? docs.cluster.file : docs.node.file;
    for (const [key, spec] of Object.entries(look.schema.keywords)) {
      if (spec.required && !set.has(key)) out.push(`${file}: [${s.name}] keyword "${key}" is required: ${spec.help}`);
    }
  }
  return out;
}

export function checkNodeConfig(files: { node: NodeConfigText; cluster: NodeConfigText }, nodename: string): NodeConfigCheck {
  const node = parseDocument(files.node.text, files.node.file, { echo: false });
  const cluster = parseDocument(files.cluster.text, files.cluster.file, { echo: false });
  const problems = [...(cluster.ok ? [] : cluster.problems), ...(node.ok ? [] : node.problems)];
  if (!node.ok || !cluster.ok) return { ok: false, problems };
  return checkNodeDocuments({ node: node.doc, cluster: cluster.doc }, nodename);
}

export function parseNodeConfig(files: { node: NodeConfigText; cluster: NodeConfigText }, nodename: string): NodeConfig {
  const c = checkNodeConfig(files, nodename);
  if (!c.ok) throw new ConfigError(c.problems);
  return c.config;
}
