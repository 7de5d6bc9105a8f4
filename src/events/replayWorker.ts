import { parentPort, workerData } from 'node:worker_threads';
import { RecordReader } from '../../adapters/nats/records.js';
import type { InvalidRecord } from '../../adapters/nats/records.js';
import { CatchUp, catchUpTypes } from '../../projections/catchUp.js';
import type { FromWorker, ToWorker, WorkerStart } from './catchUp.js';

/** The replay worker: decodes the records catchUp hands it and feeds the read models (see catchUp.ts). */
const start = workerData as WorkerStart;
const port = parentPort!;
const models = new CatchUp(start.spec, start.from);
let invalid: InvalidRecord[] = [];
const reader = new RecordReader(start.cluster, { types: catchUpTypes(start.spec), decodeLast: start.spec.recent }, start.end, {
  onEvent: (e) => models.apply(e),
  onSkipped: (seq, h) => models.skip(seq, h),
  onInvalid: (r) => invalid.push(r),
});

port.on('message', (m: ToWorker) => {
  if (m.kind === 'records') {
    const subjects = m.subjects.split('\n');
    for (let i = 0; i < m.count; i++) reader.read(m.seqs[i]!, subjects[i]!, m.bytes.subarray(m.offsets[i], m.offsets[i + 1]));
    port.postMessage({ kind: 'ack', invalid } satisfies FromWorker);
    invalid = [];
  } else {
    port.postMessage({ kind: 'done', state: models.state() } satisfies FromWorker);
    models.stop();
  }
});
