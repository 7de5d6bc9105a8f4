import { JetStreamApiError } from '@nats-io/jetstream';
import type { EventStore } from '../../../adapters/nats/eventStore.js';
import { heartbeatSubject } from '../../../domain/events.js';
import { HISTORY_TYPES, emptyHistory, evolveHistory, historyOf, type HistoryEntry } from '../../../projections/history.js';

/** What the metrics and the service page read from the node's NATS server, beside the projections. */
export interface StoreProbes {
  /** the audit stream's last sequence */
  streamLastSeq(): Promise<number>;
  /** events of an origin held here: its last per-origin sequence (sequences are gapless from 1) */
  originLastSeq(origin: string): Promise<number>;
  /** when this node last recorded a heartbeat from `peer` (ms), undefined when none is held */
  lastHeartbeatAt(peer: string): Promise<number | undefined>;
  /** whether the NATS server answers a ping within a second */
  natsUp(): Promise<boolean>;
  /** `print history` of a service: its whole log replayed, as the CLI does */
  history(svc: string): Promise<readonly HistoryEntry[]>;
}

const NO_MESSAGE = 10037;
const isNoMessage = (e: unknown) => e instanceof JetStreamApiError && e.code === NO_MESSAGE;

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_r, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** The probes, on the daemon's store (undefined while it is not open: every probe then says nothing is known). */
export function storeProbes(store: () => EventStore | undefined): StoreProbes {
  const need = () => {
    const s = store();
    if (!s) throw new Error('the event store is not open');
    return s;
  };
  return {
    async streamLastSeq() {
      const s = need();
      return (await s.jsm.streams.info(s.auditStream)).state.last_seq;
    },
    originLastSeq: (origin) => need().lastSeqOf(origin),
    async lastHeartbeatAt(peer) {
      const s = need();
      try {
        const m = await s.jsm.streams.getMessage(s.heartbeatStream, { last_by_subj: heartbeatSubject(s.cluster, peer) });
        return m ? m.time.getTime() : undefined;
      } catch (e) {
        if (isNoMessage(e)) return undefined;
        throw e;
      }
    },
    async natsUp() {
      const s = store();
      if (!s || s.nc.isClosed()) return false;
      try {
        await within(1000, s.nc.rtt());
        return true;
      } catch {
        return false;
      }
    },
    async history(svc) {
      const s = need();
      let model = emptyHistory;
      await s.replay({ subject: `osvc.${s.cluster}.evt.*.svc.${svc}.>`, types: HISTORY_TYPES }, (a) => {
        model = evolveHistory(model, a);
      });
      return historyOf(model, svc);
    },
  };
}
