import { checkServiceConfig } from '../domain/config/service.js';
import type { ServiceConfig } from '../domain/config/types.js';
import type { AnyEvent, EventType } from '../domain/events.js';

interface Logged {
  /** the origin's sequence of the event: the newest wins, whatever order the events come in */
  readonly seq: number;
  readonly time: string;
  readonly id: string;
  /** the content the event carries (configs recorded before it did: unknown) */
  readonly text: string | undefined;
  readonly deleted: boolean;
  /** parsed on first use; null: the text does not parse */
  parsed?: ServiceConfig | null;
}

const key = (svc: string, node: string) => `${svc}\u0000${node}`;

export type LoggedConfigsCheckpoint = readonly (readonly [string, { readonly seq: number; readonly time: string; readonly id: string; readonly text?: string; readonly deleted: boolean }])[];

/**
 * Each node's config of each service, as that node's own records carry it
 * (ServiceCreated and ServiceConfigChanged hold the content, secrets
 * hidden; a ServiceDeleted of the whole service drops it). Every node holds
 * the same records, so it shows a service alike — topology, nodes, each
 * instance's resources and flags — whether it has the config itself or not.
 * Applying an event twice, or an origin's older event after a newer one,
 * changes nothing.
 */
export class LoggedConfigs {
  static readonly types: readonly EventType[] = ['ServiceCreated', 'ServiceConfigChanged', 'ServiceDeleted'];

  private readonly byInstance = new Map<string, Logged>();

  /** What a checkpoint keeps: each instance's last record (its parse is redone on use). */
  checkpoint(): LoggedConfigsCheckpoint {
    return [...this.byInstance].map(([k, l]) => [k, { seq: l.seq, time: l.time, id: l.id, ...(l.text !== undefined ? { text: l.text } : {}), deleted: l.deleted }]);
  }

  static restore(cp: LoggedConfigsCheckpoint): LoggedConfigs {
    const c = new LoggedConfigs();
    for (const [k, l] of cp) c.byInstance.set(k, { seq: l.seq, time: l.time, id: l.id, text: l.text, deleted: l.deleted });
    return c;
  }

  apply(e: AnyEvent): void {
    if (e.svc === undefined || (e.type !== 'ServiceCreated' && e.type !== 'ServiceConfigChanged' && e.type !== 'ServiceDeleted')) return;
    if (e.type === 'ServiceDeleted' && e.data.rids.length > 0) return; // a ServiceConfigChanged with the rest follows
    const k = key(e.svc, e.origin);
    const was = this.byInstance.get(k);
    if (was !== undefined && was.seq >= e.seq) return;
    const text = e.type === 'ServiceDeleted' ? undefined : (e.data as Readonly<Record<string, unknown>>).text;
    this.byInstance.set(k, { seq: e.seq, time: e.time, id: e.id, text: typeof text === 'string' ? text : undefined, deleted: e.type === 'ServiceDeleted' });
  }

  /** The service's config on `node` as its last record says; undefined when unknown (none, deleted, recorded without content, or not parsing). */
  of(svc: string, node: string): ServiceConfig | undefined {
    const l = this.byInstance.get(key(svc, node));
    return l === undefined ? undefined : this.parse(svc, node, l);
  }

  /**
   * The config the service is shown with: the newest recorded on any node
   * (time, then id: every node picks the same), undefined when none is known.
   */
  newest(svc: string): ServiceConfig | undefined {
    let best: { readonly node: string; readonly l: Logged } | undefined;
    for (const [k, l] of this.byInstance) {
      const [s, node] = k.split('\u0000') as [string, string];
      if (s !== svc || l.deleted || l.text === undefined) continue;
      if (best === undefined || l.time > best.l.time || (l.time === best.l.time && l.id > best.l.id)) best = { node, l };
    }
    return best === undefined ? undefined : this.parse(svc, best.node, best.l);
  }

  private parse(svc: string, node: string, l: Logged): ServiceConfig | undefined {
    if (l.deleted || l.text === undefined) return undefined;
    if (l.parsed === undefined) {
      const c = checkServiceConfig({ text: l.text, file: `${svc}.conf as ${node} recorded it`, svcname: svc, nodename: node });
      l.parsed = c.ok ? c.config : null;
    }
    return l.parsed ?? undefined;
  }
}
