import { configForLog } from '../../domain/config/logged.js';
import type { EventSink } from '../events/sink.js';

/**
 * Every config change is an event. Payloads name the keywords changed
 * (`section.key`), the checksum, and the content as the log keeps it
 * (domain/config/logged.ts: comments dropped, values that may be secrets
 * hidden), so a recorded log replays into the same decisions.
 */
export type ConfigChange =
  | { readonly type: 'ServiceCreated'; readonly svc: string; readonly id: string; readonly checksum: string; readonly text?: string }
  | { readonly type: 'ServiceConfigChanged'; readonly svc: string; readonly changed: readonly string[]; readonly checksum: string; readonly text?: string }
  /** rids empty: the whole service was deleted */
  | { readonly type: 'ServiceDeleted'; readonly svc: string; readonly rids: readonly string[] }
  | { readonly type: 'NodeConfigChanged'; readonly file: string; readonly changed: readonly string[] }
  /** a node taken out of cluster.nodes by an operator: every node takes it out (projections/membership.ts) */
  | { readonly type: 'NodeRemoved'; readonly node: string };

export async function recordConfigChange(sink: EventSink, c: ConfigChange): Promise<void> {
  switch (c.type) {
    case 'ServiceCreated': {
      // a new instance starts frozen, as in OpenSVC: nothing orchestrates it until `thaw`
      const created = await sink.append({ type: 'ServiceCreated', svc: c.svc, data: { id: c.id, checksum: c.checksum, ...(c.text !== undefined ? { text: configForLog(c.text) } : {}) } });
      await sink.append({ type: 'InstanceFrozen', svc: c.svc, causation: created.id, data: {} });
      return;
    }
    case 'ServiceConfigChanged':
      await sink.append({ type: 'ServiceConfigChanged', svc: c.svc, data: { changed: [...c.changed], checksum: c.checksum, ...(c.text !== undefined ? { text: configForLog(c.text) } : {}) } });
      return;
    case 'ServiceDeleted':
      await sink.append({ type: 'ServiceDeleted', svc: c.svc, data: { rids: [...c.rids] } });
      return;
    case 'NodeConfigChanged':
      await sink.append({ type: 'NodeConfigChanged', data: { file: c.file, changed: [...c.changed] } });
      return;
    case 'NodeRemoved':
      await sink.append({ type: 'NodeRemoved', data: { node: c.node } });
      return;
    default: {
      const never: never = c;
      return never;
    }
  }
}
