/**
 * The event model: one catalogue of past-tense event types, each with a
 * versioned payload schema. The schema is data, so the same declaration gives
 * the TypeScript types and the validator used at the boundary (reading the
 * stream, the spool, a heartbeat).
 */

type FieldSpec = 'string' | 'string?' | 'number' | 'number?' | 'boolean' | 'boolean?' | 'string[]' | 'object' | 'object?';

type FieldType<S extends FieldSpec> = S extends 'string'
  ? string
  : S extends 'string?'
    ? string | undefined
    : S extends 'number'
      ? number
      : S extends 'number?'
        ? number | undefined
        : S extends 'boolean'
          ? boolean
          : S extends 'boolean?'
            ? boolean | undefined
            : S extends 'string[]'
              ? string[]
              : S extends 'object'
                ? Record<string, unknown>
                : Record<string, unknown> | undefined;

/** scope tells which subject family the event goes to */
type Scope = 'node' | 'svc' | 'res';

/**
 * How a payload of an older version reads in the next one: upcast[n] turns
 * a version n payload into a version n + 1 one. Pure, declared once per type
 * and version: a log is never rewritten, it is read through these.
 */
export type Upcast = (data: Readonly<Record<string, unknown>>) => Record<string, unknown>;

export interface EventSpec {
  readonly v: number;
  readonly scope: Scope;
  readonly doc: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /** from each older version still readable to the next one (bump `v`, declare `upcast[v - 1]`) */
  readonly upcast?: Readonly<Record<number, Upcast>>;
}

export const EVENT_CATALOGUE = {
  // node
  NodeConfigChanged: { v: 1, scope: 'node', doc: 'node.conf or cluster.conf changed (secret values are never included)', fields: { file: 'string', changed: 'string[]' } },
  NatsServerStarted: { v: 1, scope: 'node', doc: 'the embedded nats-server was started by the supervisor', fields: { pid: 'number', url: 'string' } },
  NatsServerExited: { v: 1, scope: 'node', doc: 'the embedded nats-server exited; restarted unless the supervisor is stopping', fields: { pid: 'number', code: 'number?', signal: 'string?' } },
  SpoolDrained: { v: 1, scope: 'node', doc: 'events spooled while NATS was unreachable were appended to the stream (restamped: of those, events stamped with the node\'s previous cluster name but recorded after its first event in this cluster, appended under this cluster\'s name so its sequence has no hole)', fields: { count: 'number', restamped: 'number?' } },
  SpoolSidelined: { v: 1, scope: 'node', doc: 'spooled records the drain did not append, moved beside the spool instead of dropped: count events stamped with another cluster name (clusters: recorded before this node joined the current one; in spool/events.other-cluster.jsonl), unreadable lines (torn or invalid; in spool/events.unreadable.jsonl)', fields: { count: 'number', clusters: 'string[]', unreadable: 'number' } },
  DaemonStarted: { v: 1, scope: 'node', doc: 'the agent daemon started', fields: { pid: 'number', version: 'string' } },
  DaemonStopped: { v: 1, scope: 'node', doc: 'the agent daemon stopped gracefully', fields: { pid: 'number' } },
  NodeFrozen: { v: 1, scope: 'node', doc: 'the node was frozen: no orchestration on it', fields: {} },
  NodeThawed: { v: 1, scope: 'node', doc: 'the node was thawed', fields: {} },
  NodeJoined: { v: 1, scope: 'node', doc: 'a node joined the cluster, through the node recording it (key: the joiner\'s public key, pinned by every node that learns the join from the log)', fields: { node: 'string', key: 'string?' } },
  NodeLeft: { v: 1, scope: 'node', doc: 'this node left the cluster (nodemgr daemon leave), recorded and pushed to its peers before it went: every node that hears of it removes it from cluster.nodes (its key stays pinned: a rejoin with the same key needs nothing more); the node itself is then a cluster of its own, frozen. node: the node leaving, its origin', fields: { node: 'string' } },
  NodeRemoved: { v: 1, scope: 'node', doc: 'an operator removed a node from cluster.nodes on the node recording it (nodemgr set --kw cluster.nodes-=NODE): every node that hears of it removes it too; the node removed, when it hears of it, is then a cluster of its own, frozen. Of a node\'s joins, leaves and removals the newest (time, then id) stands', fields: { node: 'string' } },
  HeartbeatReceived: { v: 1, scope: 'node', doc: 'a heartbeat from a peer was received (heartbeat stream)', fields: { from: 'string', hb: 'string' } },
  RequestRejected: { v: 1, scope: 'node', doc: 'listener requests were refused (401: not signed with the cluster secret, replayed, wrong node key); at most one a minute per source, count says how many since the last', fields: { reason: 'string', peer: 'string?', count: 'number?' } },
  NodeKeyPinned: { v: 1, scope: 'node', doc: 'a node\'s public key was pinned: at its join, or at its first request signed with the cluster secret (by: join or first contact)', fields: { node: 'string', fingerprint: 'string', by: 'string' } },
  PeerStateChanged: { v: 1, scope: 'node', doc: 'a peer\'s liveness changed, every heartbeat path and the quorum considered: up, alive (disk heartbeat only), down (proven: what decides a takeover), lost (silent, no proof), unknown; why names the heartbeats that saw it', fields: { node: 'string', from: 'string?', to: 'string', why: 'string' } },
  QuorumChanged: { v: 1, scope: 'node', doc: 'this side of the cluster gained or lost the quorum (cluster.quorum = true): votes held of the total', fields: { held: 'boolean', votes: 'number', total: 'number' } },
  SplitActionRan: { v: 1, scope: 'node', doc: 'the quorum lost, this node ran node.split_action (done: what was actually done, as crash and reboot are refused where HASVC_NO_HOST_ACTIONS is set)', fields: { action: 'string', done: 'string', reason: 'string' } },
  ListenerStarted: { v: 1, scope: 'node', doc: 'the daemon listener accepts requests: TCP address (signed requests) and unix socket (local, root only)', fields: { addr: 'string', port: 'number', socket: 'string' } },
  ExportStalled: { v: 1, scope: 'node', doc: 'the export of this node\'s events to the NATS system of [nats] export_url has failed for some seconds (url without its credentials, stream: the stream storing them there): recorded once per outage; the events wait in the node\'s log, nothing else waits for them. waiting: this node\'s events not exported yet, when known', fields: { url: 'string', stream: 'string', reason: 'string', waiting: 'number?' } },
  ExportResumed: { v: 1, scope: 'node', doc: 'the export stalled before works again and has caught up: caughtUp, how many of this node\'s events the organisation\'s stream received since it stalled; stalledSec, seconds from its first failure to now', fields: { url: 'string', stream: 'string', caughtUp: 'number', stalledSec: 'number' } },

  // service
  ServiceCreated: { v: 1, scope: 'svc', doc: 'a service config was created; text: its content as the log keeps it (comments dropped, values that may be secrets hidden), so decisions replay from the log', fields: { id: 'string', checksum: 'string', text: 'string?' } },
  ServiceConfigChanged: { v: 1, scope: 'svc', doc: 'a service config was changed; text: its new content as the log keeps it (comments dropped, values that may be secrets hidden)', fields: { changed: 'string[]', checksum: 'string', text: 'string?' } },
  ServiceDeleted: { v: 1, scope: 'svc', doc: 'a service (or some of its resources) was deleted', fields: { rids: 'string[]' } },
  InstanceFrozen: { v: 1, scope: 'svc', doc: 'the local instance was frozen', fields: {} },
  InstanceThawed: { v: 1, scope: 'svc', doc: 'the local instance was thawed', fields: {} },
  OperatorActionRequested: { v: 1, scope: 'svc', doc: 'an operator logged in to the web view asked for an action (start, stop: the service\'s target for the cluster; freeze, thaw: the local instance) and confirmed it: user, and the client address it came from; what it asked follows, caused by it (ServiceTargetRequested by the same user, or InstanceFrozen/InstanceThawed)', fields: { action: 'string', user: 'string', via: 'string', from: 'string' } },
  InstanceCleared: { v: 1, scope: 'svc', doc: 'an operator cleared the local instance (svcmgr clear): start failed or stop failed back to idle; the failed starts and relocations recorded before it no longer make any node of the service a later choice', fields: {} },
  ServiceTargetRequested: { v: 1, scope: 'svc', doc: 'an operator gave the service a target state, as OpenSVC\'s global expect (svcmgr start, stop, switch, takeover, giveback without --local): started, stopped, or placed on node; every node\'s orchestrator drives its own instance toward the newest target not ended; action: the command, by: who asked', fields: { target: 'string', node: 'string?', action: 'string', by: 'string' } },
  ServiceTargetReached: { v: 1, scope: 'svc', doc: 'the target requested by the event `of` is reached (recorded by the node that requested it, or the first live node of the service when it is gone): the orchestrator is back to its own rules', fields: { of: 'string', target: 'string' } },
  ServiceTargetFailed: { v: 1, scope: 'svc', doc: 'the target requested by the event `of` cannot be reached (a start or stop failed, the target node went down or was frozen): dropped; reason in the words shown to the user', fields: { of: 'string', target: 'string', reason: 'string' } },
  ServiceTargetAborted: { v: 1, scope: 'svc', doc: 'an operator dropped the target requested by the event `of` (svcmgr abort): the actions in progress finish, no new one is started for it', fields: { of: 'string', target: 'string', by: 'string' } },
  ActionStarted: { v: 1, scope: 'svc', doc: 'an action (start, stop, restart...) began on the local instance; reason and relocation when the orchestrator ran it; restart: an in-place restart of the failed resources named in rids (their restart keyword)', fields: { action: 'string', rids: 'string[]', user: 'string?', argv: 'string[]', reason: 'string?', relocation: 'boolean?', restart: 'boolean?' } },
  ActionFinished: { v: 1, scope: 'svc', doc: 'an action ended; result ok or failed; duration in ms; conflict: the rid whose check found it running elsewhere (an ip that answers), which aborted the start before anything was done: no failure of the node', fields: { action: 'string', result: 'string', durationMs: 'number', error: 'string?', conflict: 'string?' } },
  ActionRejected: { v: 1, scope: 'svc', doc: 'an action was refused before anything was done', fields: { action: 'string', reason: 'string' } },
  ActionInterrupted: { v: 1, scope: 'svc', doc: 'an action found unfinished at daemon start (the process running it died)', fields: { action: 'string', startedEvent: 'string' } },
  RollbackStarted: { v: 1, scope: 'svc', doc: 'a failed start is being undone, resources listed in stop order', fields: { rids: 'string[]' } },
  RollbackFinished: { v: 1, scope: 'svc', doc: 'the rollback ended', fields: { result: 'string' } },
  InstanceStatusChanged: { v: 1, scope: 'svc', doc: 'the aggregated availability of the local instance changed', fields: { avail: 'string', overall: 'string' } },
  SchedulerJobRan: { v: 1, scope: 'svc', doc: 'the daemon scheduler ran a job on the local instance (job: status, monitor) and its result is not the last one recorded for the job (the first run, ok to skipped or failed, and back): result ok, skipped: <why> or failed: <why>; duration in ms. The daemon status counts every run', fields: { job: 'string', durationMs: 'number', result: 'string' } },
  ServiceConfigSyncRequested: { v: 1, scope: 'svc', doc: 'sync nodes is sending the service config to a peer node; the peer\'s ServiceCreated / ServiceConfigChanged name this event as their causation', fields: { to: 'string', checksum: 'string' } },
  ServiceConfigSynced: { v: 1, scope: 'svc', doc: 'a peer node holds the service config with this checksum (result: created, changed or unchanged)', fields: { to: 'string', checksum: 'string', result: 'string' } },
  ServiceConfigSyncRefused: { v: 1, scope: 'svc', doc: 'sync nodes did not send the service config to a peer, or the peer refused it; reason in the words shown to the user', fields: { to: 'string', reason: 'string' } },

  // resource
  ResourceStartRequested: { v: 1, scope: 'res', doc: 'a resource start is about to run', fields: {} },
  ResourceStarted: { v: 1, scope: 'res', doc: 'a resource was started (or was already up: alreadyUp)', fields: { alreadyUp: 'boolean' } },
  ResourceStartFailed: { v: 1, scope: 'res', doc: 'a resource failed to start', fields: { reason: 'string' } },
  ResourceStopRequested: { v: 1, scope: 'res', doc: 'a resource stop is about to run', fields: {} },
  ResourceStopped: { v: 1, scope: 'res', doc: 'a resource was stopped (or was already down: alreadyDown)', fields: { alreadyDown: 'boolean' } },
  ResourceStopFailed: { v: 1, scope: 'res', doc: 'a resource failed to stop', fields: { reason: 'string' } },
  ResourceSkipped: { v: 1, scope: 'res', doc: 'a resource was skipped by an action (disabled, not selected)', fields: { reason: 'string' } },
  ResourceStatusChanged: { v: 1, scope: 'res', doc: 'a resource status was evaluated and differs from the last one', fields: { status: 'string', label: 'string', log: 'string[]' } },
  ResourceLogged: { v: 1, scope: 'res', doc: 'a line an action printed for a resource (command run, its output, a message)', fields: { level: 'string', message: 'string' } },
} as const satisfies Record<string, EventSpec>;

export type EventType = keyof typeof EVENT_CATALOGUE;

type Fields<T extends EventType> = (typeof EVENT_CATALOGUE)[T]['fields'];
type OptionalKeys<F> = { [K in keyof F]: F[K] extends `${string}?` ? K : never }[keyof F];
type RequiredKeys<F> = Exclude<keyof F, OptionalKeys<F>>;
type Spec<F, K extends keyof F> = F[K] extends FieldSpec ? FieldType<F[K]> : never;
export type PayloadOf<T extends EventType> = { -readonly [K in RequiredKeys<Fields<T>>]: Spec<Fields<T>, K> } & {
  -readonly [K in OptionalKeys<Fields<T>>]?: Spec<Fields<T>, K>;
};

export interface Envelope<T extends EventType = EventType> {
  /** unique id: `<origin>:<seq>`, also the JetStream message id */
  readonly id: string;
  readonly type: T;
  readonly v: number;
  readonly cluster: string;
  readonly origin: string;
  /** per-origin sequence, gapless, from 1 */
  readonly seq: number;
  /** ISO-8601 time, passed in by the caller */
  readonly time: string;
  readonly svc?: string;
  readonly rid?: string;
  /** id of the event or command that caused this one */
  readonly causation?: string;
  readonly data: PayloadOf<T>;
}

export type AnyEvent = { [T in EventType]: Envelope<T> }[EventType];

export const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const NODE_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
export const RID_RE = /^[a-z]+#[A-Za-z0-9_-]{1,63}$/;

export interface NewEvent<T extends EventType = EventType> {
  readonly type: T;
  readonly svc?: string;
  readonly rid?: string;
  readonly causation?: string;
  readonly data: PayloadOf<T>;
}

/** Build an envelope. Time and sequence come in: the domain reads no clock. */
export function makeEvent<T extends EventType>(
  e: NewEvent<T>,
  at: { cluster: string; origin: string; seq: number; time: string },
): Envelope<T> {
  return {
    id: `${at.origin}:${at.seq}`,
    type: e.type,
    v: EVENT_CATALOGUE[e.type].v,
    cluster: at.cluster,
    origin: at.origin,
    seq: at.seq,
    time: at.time,
    ...(e.svc !== undefined ? { svc: e.svc } : {}),
    ...(e.rid !== undefined ? { rid: e.rid } : {}),
    ...(e.causation !== undefined ? { causation: e.causation } : {}),
    data: e.data,
  };
}

/**
 * Subjects an external consumer can filter with wildcards:
 *   osvc.<cluster>.evt.<node>.node.<Type>
 *   osvc.<cluster>.evt.<node>.svc.<svc>.<Type>
 *   osvc.<cluster>.evt.<node>.svc.<svc>.res.<rid>.<Type>
 */
export function subjectOf(e: AnyEvent): string {
  const base = `osvc.${e.cluster}.evt.${e.origin}`;
  const scope = EVENT_CATALOGUE[e.type].scope;
  if (scope === 'node') return `${base}.node.${e.type}`;
  if (scope === 'svc') return `${base}.svc.${e.svc}.${e.type}`;
  return `${base}.svc.${e.svc}.res.${e.rid}.${e.type}`;
}

/** What a record's subject says of its event, without reading the record itself. */
export interface SubjectHeader {
  readonly type: string;
  readonly origin: string;
  readonly svc: string | undefined;
  readonly rid: string | undefined;
}

/**
 * The inverse of subjectOf, for records a reader does not need to decode:
 * `osvc.<cluster>.evt.<node>.(node|svc.<svc>[.res.<rid>]).<Type>`. Undefined
 * for a subject of another shape or cluster (the record is then decoded, and
 * reported if it is bad). The cluster is given: its name may hold dots.
 */
export function headerOfSubject(subject: string, cluster: string): SubjectHeader | undefined {
  // indexOf rather than split: a replay reads the headers of most records it skips
  const p = 'osvc.'.length + cluster.length + '.evt.'.length;
  if (!subject.startsWith('osvc.') || !subject.startsWith(cluster, 5) || !subject.startsWith('.evt.', p - 5)) return undefined;
  const o = subject.indexOf('.', p); // end of the origin
  const a = o < 0 ? -1 : subject.indexOf('.', o + 1); // end of the scope
  if (a < 0 || o === p) return undefined;
  const origin = subject.slice(p, o);
  const scope = subject.slice(o + 1, a);
  const b = subject.indexOf('.', a + 1); // end of the service name
  if (scope === 'node') return b < 0 && a + 1 < subject.length ? { type: subject.slice(a + 1), origin, svc: undefined, rid: undefined } : undefined;
  if (scope !== 'svc' || b <= a + 1) return undefined;
  const svc = subject.slice(a + 1, b);
  const c = subject.indexOf('.', b + 1); // end of `res`
  if (c < 0) return b + 1 < subject.length ? { type: subject.slice(b + 1), origin, svc, rid: undefined } : undefined;
  const d = subject.indexOf('.', c + 1); // end of the rid
  if (subject.slice(b + 1, c) !== 'res' || d <= c + 1 || subject.indexOf('.', d + 1) >= 0 || d + 1 === subject.length) return undefined;
  return { type: subject.slice(d + 1), origin, svc, rid: subject.slice(c + 1, d) };
}

export function isEventType(t: string): t is EventType {
  return Object.hasOwn(EVENT_CATALOGUE, t);
}

/** The event type a subject ends with (cheaper than headerOfSubject when that is all a reader needs). */
export function typeOfSubject(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}

export function eventsSubject(cluster: string): string {
  return `osvc.${cluster}.evt.>`;
}

export function originSubject(cluster: string, origin: string): string {
  return `osvc.${cluster}.evt.${origin}.>`;
}

export function heartbeatSubject(cluster: string, node: string): string {
  return `osvc.${cluster}.hb.${node}`;
}

export type Validation = { ok: true; event: AnyEvent } | { ok: false; reason: string };

/** One check per field spec, chosen once per catalogue field rather than per value. */
const FIELD_CHECKS: Readonly<Record<FieldSpec, (v: unknown) => boolean>> = {
  string: (v) => typeof v === 'string',
  'string?': (v) => v === undefined || typeof v === 'string',
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  'number?': (v) => v === undefined || (typeof v === 'number' && Number.isFinite(v)),
  boolean: (v) => typeof v === 'boolean',
  'boolean?': (v) => v === undefined || typeof v === 'boolean',
  'string[]': (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
  object: (v) => isRecord(v),
  'object?': (v) => v === undefined || isRecord(v),
};

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

interface FieldCheck {
  readonly name: string;
  readonly spec: FieldSpec;
  readonly check: (v: unknown) => boolean;
}

const ENVELOPE_STRINGS = ['id', 'cluster', 'origin', 'time'] as const;

/** Reading events from outside (stream, spool, heartbeat) with a catalogue: older payload versions upcast, then validated. */
export interface EventReader {
  /** the event as this catalogue reads it (a new object when upcast), or what is wrong with it (no result object: a replay reads every record) */
  read(raw: unknown): AnyEvent | string;
}

/**
 * The reader of a catalogue. Each type's checks are computed once: reading
 * runs for every event replayed, and an event of the current version is
 * returned as it is, without a copy.
 */
export function eventReader(catalogue: Readonly<Record<string, EventSpec>>): EventReader {
  const types: ReadonlyMap<string, { readonly spec: EventSpec; readonly fields: readonly FieldCheck[] }> = new Map(
    Object.entries(catalogue).map(([t, spec]) => [t, { spec, fields: Object.entries(spec.fields).map(([name, f]) => ({ name, spec: f, check: FIELD_CHECKS[f] })) }]),
  );
  return {
    read(raw) {
      if (!isRecord(raw)) return 'not a JSON object';
      const type = raw.type;
      const t = typeof type === 'string' ? types.get(type) : undefined;
      if (t === undefined) return `unknown event type ${JSON.stringify(type)}`;
      const spec = t.spec;
      for (const k of ENVELOPE_STRINGS) {
        const v = raw[k];
        if (typeof v !== 'string' || v === '') return `${String(type)}: envelope field ${k} must be a non-empty string`;
      }
      const seq = raw.seq;
      if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) return `${String(type)}: envelope field seq must be a positive integer`;
      if (raw.id !== `${String(raw.origin)}:${seq}`) return `${String(type)}: id ${String(raw.id)} is not <origin>:<seq>`;
      if (spec.scope !== 'node' && (typeof raw.svc !== 'string' || !NAME_RE.test(raw.svc))) return `${String(type)}: envelope field svc must be a service name`;
      if (spec.scope === 'res' && (typeof raw.rid !== 'string' || !RID_RE.test(raw.rid))) return `${String(type)}: envelope field rid must be a resource id like ip#0`;
      if (raw.causation !== undefined && typeof raw.causation !== 'string') return `${String(type)}: causation must be a string`;
      let data = raw.data;
      if (!isRecord(data)) return `${String(type)}: data must be an object`;
      const v = raw.v;
      if (v !== spec.v) {
        if (typeof v !== 'number' || !Number.isInteger(v) || v > spec.v || v < 1) return `${String(type)}: version ${String(v)} not supported (expected ${spec.v})`;
        for (let n = v; n < spec.v; n++) {
          const up = spec.upcast?.[n];
          if (up === undefined) return `${String(type)}: version ${v} not supported (expected ${spec.v}; no upcast from version ${n})`;
          data = up(data as Record<string, unknown>);
          if (!isRecord(data)) return `${String(type)}: the upcast from version ${n} did not give an object`;
        }
      }
      for (const f of t.fields) {
        if (!f.check((data as Record<string, unknown>)[f.name])) return `${String(type)}: data.${f.name} must be ${f.spec}${v !== spec.v ? ` (read as version ${spec.v} from version ${String(v)})` : ''}`;
      }
      return (v === spec.v ? raw : { ...raw, v: spec.v, data }) as unknown as AnyEvent;
    },
  };
}

const READER = eventReader(EVENT_CATALOGUE);

/** Read an event from outside (stream, spool, heartbeat): validated, an older payload version upcast to the current one. */
export function validateEvent(raw: unknown): Validation {
  const r = READER.read(raw);
  return typeof r === 'string' ? { ok: false, reason: r } : { ok: true, event: r };
}

/** validateEvent without the result object. */
export function readEvent(raw: unknown): AnyEvent | string {
  return READER.read(raw);
}

export function isEventOf<T extends EventType>(e: AnyEvent, type: T): e is Envelope<T> & AnyEvent {
  return e.type === type;
}
