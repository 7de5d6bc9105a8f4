import { EVENT_CATALOGUE } from './events.js';
import type { EventSpec, EventType } from './events.js';

/** docs/events.md, generated from the catalogue so the two never drift (a unit test compares them). */
export function renderEventsDoc(): string {
  const scopeSubject = { node: 'osvc.<cluster>.evt.<node>.node.<Type>', svc: 'osvc.<cluster>.evt.<node>.svc.<svc>.<Type>', res: 'osvc.<cluster>.evt.<node>.svc.<svc>.res.<rid>.<Type>' } as const;
  const lines = [
    '# hasvc events',
    '',
    'Every action step, status change, config change and daemon event is appended to',
    'the cluster log in NATS JetStream. This file is generated from `domain/events.ts`',
    '(`npm run docs:events`); a unit test fails when they differ.',
    '',
    '## Subjects',
    '',
    '| subject | what |',
    '| --- | --- |',
    `| \`${scopeSubject.node}\` | node events |`,
    `| \`${scopeSubject.svc}\` | service instance events |`,
    `| \`${scopeSubject.res}\` | resource events (rid as in the config: \`ip#0\`, \`fs#app\`) |`,
    '| `osvc.<cluster>.hb.<node>` | heartbeats (separate stream, bounded retention) |',
    '',
    'Streams: `OSVC_<CLUSTER>_EVT` (audit log, file storage, keeps everything unless limits are set) and',
    '`OSVC_<CLUSTER>_HB` (heartbeats). Examples for an external consumer:',
    '`osvc.<cluster>.evt.*.svc.svc1.>` (everything about svc1 on every node),',
    '`osvc.<cluster>.evt.node1.>` (everything node1 did), `osvc.<cluster>.evt.*.svc.*.res.*.ResourceStartFailed`.',
    '',
    '## Envelope',
    '',
    'Every event is one JSON document:',
    '',
    '| field | meaning |',
    '| --- | --- |',
    '| `id` | `<origin>:<seq>`, also the JetStream message id (a retried append is stored once) |',
    '| `type` | the event type below |',
    '| `v` | the payload version of that type: an event of an older version is read as the current one through the catalogue\'s upcasts (one pure function per type and version, `upcast` in `domain/events.ts`); the log is never rewritten. A version newer than the reader knows is reported and skipped |',
    '| `cluster` | cluster name |',
    '| `origin` | the node that produced it |',
    '| `seq` | per-origin sequence, increasing |',
    '| `time` | ISO-8601 time |',
    '| `svc`, `rid` | service and resource, for service and resource events |',
    '| `causation` | id of the event (or command) that caused it: an action\'s steps point at its `ActionStarted` |',
    '| `data` | the payload |',
    '',
    '## Event types',
    '',
    '| type | v | scope | payload | meaning |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [type, spec] of Object.entries(EVENT_CATALOGUE) as [EventType, EventSpec][]) {
    const payload = Object.entries(spec.fields).map(([k, t]) => `\`${k}\`: ${t}`).join(', ') || '—';
    const from = Object.keys(spec.upcast ?? {}).map(Number).sort((a, b) => a - b);
    const v = from.length > 0 ? `${spec.v} (reads ${from.join(', ')})` : `${spec.v}`;
    lines.push(`| \`${type}\` | ${v} | ${spec.scope} | ${payload} | ${spec.doc} |`);
  }
  return `${lines.join('\n')}\n`;
}
