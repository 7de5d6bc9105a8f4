import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EventStore } from '../../adapters/nats/eventStore.js';
import { RecordReader } from '../../adapters/nats/records.js';
import type { InvalidRecord } from '../../adapters/nats/records.js';
import { CatchUp, catchUpTypes } from '../../projections/catchUp.js';
import type { CatchUpSpec, CatchUpState, NodeStates } from '../../projections/catchUp.js';
import type { InstancesCheckpoint } from '../../projections/instances.js';

/**
 * Rebuilding the read models from the log. The stream consumer reads the
 * records; decoding, validating and reducing them costs about as much again,
 * so it runs in a worker thread while the consumer goes on reading, and the
 * worker hands the models back as data. Where the compiled worker is not
 * there (tests run from the sources) or fails to start, the same models are
 * fed beside the consumer: the result is the same either way.
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
  /** false: feed the models beside the consumer; a URL: that compiled worker (tests) */
  readonly worker?: boolean | URL;
  /** use the worker from this many records to replay on (20,000 by default) */
  readonly workerMin?: number;
}

export interface CatchUpResult extends CatchUpState {
  /** the stream's last sequence when the replay began */
  readonly end: number;
  readonly inWorker: boolean;
}

/** What the worker is started with. */
export interface WorkerStart {
  readonly cluster: string;
  readonly spec: CatchUpSpec;
  readonly from: CatchUpFrom | undefined;
  readonly end: number;
}

/** Messages to the worker: batches of records, then the end. */
export type ToWorker =
  | {
      readonly kind: 'records';
      readonly count: number;
      readonly seqs: Float64Array;
      readonly offsets: Uint32Array;
      readonly bytes: Uint8Array;
      /** the records' subjects joined by newlines (never in a subject): one string costs the copy far less than thousands */
      readonly subjects: string;
    }
  | { readonly kind: 'end' };

/** Messages from the worker: a batch done (with the records found invalid in it), then the models. */
export type FromWorker = { readonly kind: 'ack'; readonly invalid: readonly InvalidRecord[] } | { readonly kind: 'done'; readonly state: CatchUpState };

const BATCH_RECORDS = 2048;
const BATCH_BYTES = 1 << 20;
/** batches handed to the worker and not done yet before the consumer waits: bounds the memory a long log takes */
const MAX_INFLIGHT = 8;
/** below this many records, starting a worker (~100 ms, and its code not warmed up) costs more than it saves */
const WORKER_MIN_RECORDS = 20_000;

class WorkerFailed extends Error {
  override name = 'WorkerFailed';
}

function workerUrl(o: CatchUpOptions): URL | undefined {
  if (o.worker === false) return undefined;
  const url = o.worker instanceof URL ? o.worker : new URL('./replayWorker.js', import.meta.url);
  return fs.existsSync(fileURLToPath(url)) ? url : undefined;
}

export async function catchUp(store: EventStore, o: CatchUpOptions): Promise<CatchUpResult> {
  const url = workerUrl(o);
  try {
    return await run(store, o, url);
  } catch (e) {
    if (!(e instanceof WorkerFailed)) throw e;
    // the models are fed beside the consumer instead, from the same start
    return run(store, o, undefined);
  }
}

async function run(store: EventStore, o: CatchUpOptions, url: URL | undefined): Promise<CatchUpResult> {
  const fromSeq = (o.from?.instances.lastSeq ?? 0) + 1;
  let local: CatchUp | undefined;
  let remote: WorkerFeed | undefined;
  try {
    const end = await store.replayRecords({ fromSeq }, (end) => {
      if (url && end - fromSeq + 1 >= (o.workerMin ?? WORKER_MIN_RECORDS)) {
        remote = new WorkerFeed(url, { cluster: store.cluster, spec: o.spec, from: o.from, end }, o.onInvalid);
        return remote.take;
      }
      const models = (local = new CatchUp(o.spec, o.from));
      const reader = new RecordReader(store.cluster, { types: catchUpTypes(o.spec), decodeLast: o.spec.recent }, end, {
        onEvent: (e) => models.apply(e),
        onSkipped: (seq, h) => models.skip(seq, h),
        ...(o.onInvalid ? { onInvalid: o.onInvalid } : {}),
      });
      return (seq, subject, data) => reader.read(seq, subject, data);
    });
    if (remote) return { ...(await remote.finish()), end, inWorker: true };
    local ??= new CatchUp(o.spec, o.from);
    return { ...local.state(), end, inWorker: false };
  } finally {
    local?.stop();
    await remote?.close();
  }
}

/** The consumer's side of the replay worker: records go in batches, at most MAX_INFLIGHT of them not done. */
class WorkerFeed {
  private readonly worker: Worker;
  private failed: WorkerFailed | undefined;
  private inflight = 0;
  private wake: (() => void) | undefined;
  private readonly finished: Promise<CatchUpState>;
  private settle: { resolve: (s: CatchUpState) => void; reject: (e: Error) => void } | undefined;
  private count = 0;
  private used = 0;
  private seqs = new Float64Array(BATCH_RECORDS);
  private offsets = new Uint32Array(BATCH_RECORDS + 1);
  private bytes = new Uint8Array(BATCH_BYTES);
  private subjects: string[] = [];

  constructor(url: URL, start: WorkerStart, onInvalid: ((r: InvalidRecord) => void) | undefined) {
    this.finished = new Promise<CatchUpState>((resolve, reject) => (this.settle = { resolve, reject }));
    this.finished.catch(() => undefined); // observed by finish(), or the replay failed first
    this.worker = new Worker(url, { workerData: start });
    this.worker.on('message', (m: FromWorker) => {
      if (m.kind === 'done') return this.settle?.resolve(m.state);
      this.inflight--;
      for (const r of m.invalid) onInvalid?.(r);
      this.wake?.();
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`exited with code ${code}`)));
  }

  private fail(e: Error): void {
    this.failed ??= new WorkerFailed(`replay worker: ${e.message}`, { cause: e });
    this.wake?.();
    this.settle?.reject(this.failed);
  }

  readonly take = (seq: number, subject: string, data: Uint8Array): Promise<void> | undefined => {
    if (this.failed) throw this.failed;
    if (this.used + data.length > this.bytes.length) {
      this.flush();
      if (data.length > this.bytes.length) this.bytes = new Uint8Array(data.length);
    }
    this.seqs[this.count] = seq;
    this.offsets[this.count] = this.used;
    this.bytes.set(data, this.used);
    this.used += data.length;
    this.subjects.push(subject);
    if (++this.count === BATCH_RECORDS) this.flush();
    if (this.inflight < MAX_INFLIGHT) return undefined;
    return new Promise<void>((resolve) => (this.wake = resolve)).then(() => {
      this.wake = undefined;
      if (this.failed) throw this.failed;
    });
  };

  private flush(): void {
    if (this.count === 0) return;
    this.offsets[this.count] = this.used;
    const msg: ToWorker = { kind: 'records', count: this.count, seqs: this.seqs, offsets: this.offsets, bytes: this.bytes, subjects: this.subjects.join('\n') };
    this.worker.postMessage(msg, [this.seqs.buffer, this.offsets.buffer, this.bytes.buffer]);
    this.inflight++;
    this.count = 0;
    this.used = 0;
    this.seqs = new Float64Array(BATCH_RECORDS);
    this.offsets = new Uint32Array(BATCH_RECORDS + 1);
    this.bytes = new Uint8Array(BATCH_BYTES);
    this.subjects = [];
  }

  /** Hand over what is left and wait for the models. */
  finish(): Promise<CatchUpState> {
    if (this.failed) return Promise.reject(this.failed);
    this.flush();
    this.worker.postMessage({ kind: 'end' } satisfies ToWorker);
    return this.finished;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
