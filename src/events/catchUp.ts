import type { EventStore } from '../../adapters/nats/eventStore.js';
import { RecordReader } from '../../adapters/nats/records.js';
import type { InvalidRecord } from '../../adapters/nats/records.js';
import { CatchUp, catchUpTypes } from '../../projections/catchUp.js';
import type { CatchUpSpec, CatchUpState, NodeStates } from '../../projections/catchUp.js';
import type { InstancesCheckpoint } from '../../projections/instances.js';

/**
 * Rebuilding the read models from the log. Records of types no model reads
 * (an action's lines and steps, scheduler runs: most of a log) are not
 * decoded; what their subject says makes their instance known.
 * A replay worker thread was tried and measured: copying the records to it
 * cost the consumer more than decoding the few it reads, so it was removed.
 */

export interface CatchUpFrom {
  readonly instances: InstancesCheckpoint;
  readonly nodes: NodeStates;
  readonly lastId: string | undefined;
}

export interface CatchUpOptions {
  readonly spec: CatchUpSpec;
  /** a checkpoint to start from: the replay begins after its lastSeq */
  readonly from?: CatchUpFrom;
  readonly onInvalid?: (r: InvalidRecord) => void;
  /** decode every record, the types no model reads included (tests compare the two) */
  readonly decodeAll?: boolean;
}

export interface CatchUpResult extends CatchUpState {
  /** the stream's last sequence when the replay began */
  readonly end: number;
}

export async function catchUp(store: EventStore, o: CatchUpOptions): Promise<CatchUpResult> {
  const models = new CatchUp(o.spec, o.from);
  let ok = false;
  try {
    const end = await store.replayRecords({ fromSeq: (o.from?.instances.lastSeq ?? 0) + 1 }, (end) => {
      const reader = new RecordReader(store.cluster, { ...(o.decodeAll ? {} : { types: catchUpTypes(o.spec) }), decodeLast: o.spec.recent }, end, {
        onEvent: (e) => models.apply(e),
        onSkipped: (seq, h) => models.skip(seq, h),
        ...(o.onInvalid ? { onInvalid: o.onInvalid } : {}),
      });
      return (seq, subject, record) => reader.read(seq, subject, record);
    });
    ok = true;
    return { ...models.state(), end };
  } finally {
    if (!ok) models.stop();
  }
}
