import type { EventSink } from '../events/sink.js';

/**
 * Every config change is an event. Payloads name keywords (`section.key`)
 * and checksums, never values: a secret can't leak through the log.
 */
export type ConfigChange =
  | { readonly type: 'ServiceCreated'; readonly svc: string; readonly id: string; readonly checksum: string }
  | { readonly type: 'ServiceConfigChanged'; readonly svc: string; readonly changed: readonly string[]; readonly checksum: string }
  /** rids empty: the whole service was deleted */
  | { readonly type: 'ServiceDeleted'; readonly svc: string; readonly rids: readonly string[] }
  | { readonly type: 'NodeConfigChanged'; readonly file: string; readonly changed: readonly string[] };

export async function recordConfigChange(sink: EventSink, c: ConfigChange): Promise<void> {
  switch (c.type) {
    case 'ServiceCreated': {
      // a new instance starts frozen, as in OpenSVC: nothing orchestrates it until `thaw`
      const created = await sink.append({ type: 'ServiceCreated', svc: c.svc, data: { id: c.id, checksum: c.checksum } });
      await sink.append({ type: 'InstanceFrozen', svc: c.svc, causation: created.id, data: {} });
      return;
    }
    case 'ServiceConfigChanged':
      await sink.append({ type: 'ServiceConfigChanged', svc: c.svc, data: { changed: [...c.changed], checksum: c.checksum } });
      return;
    case 'ServiceDeleted':
      await sink.append({ type: 'ServiceDeleted', svc: c.svc, data: { rids: [...c.rids] } });
      return;
    case 'NodeConfigChanged':
      await sink.append({ type: 'NodeConfigChanged', data: { file: c.file, changed: [...c.changed] } });
      return;
    default: {
      const never: never = c;
      return never;
    }
  }
}
