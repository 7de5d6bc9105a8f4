/** The daemon's components as svcmon lists them under `Threads`. */
export type ThreadState = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'failed';

export interface ThreadView {
  readonly name: string;
  readonly state: ThreadState;
  /** where it listens: `0.0.0.0:1214`, `127.0.0.1:4222` */
  readonly address?: string;
  /** why it failed, what it restarts from */
  readonly detail?: string;
  /** per node cell of a heartbeat thread: `/` this node, `O` peer beating, `X` peer silent */
  readonly peers?: Readonly<Record<string, string>>;
}

/** The tutorial's order: heartbeats first, then listener, monitor, scheduler; ours (nats) before them. */
const ORDER = ['nats', 'listener', 'monitor', 'scheduler'];

function rank(name: string): number {
  if (name.startsWith('hb#')) return -1;
  const i = ORDER.indexOf(name);
  return i < 0 ? ORDER.length : i;
}

export class ThreadTable {
  private readonly threads = new Map<string, ThreadView>();

  set(name: string, state: ThreadState, o: { address?: string; detail?: string; peers?: Readonly<Record<string, string>> } = {}): void {
    const prev = this.threads.get(name);
    const address = o.address ?? prev?.address;
    const peers = o.peers ?? prev?.peers;
    // why it failed stays while its state does: a refresh of its cells alone does not forget it
    const detail = o.detail ?? (prev?.state === state ? prev.detail : undefined);
    this.threads.set(name, { name, state, ...(address !== undefined ? { address } : {}), ...(detail !== undefined ? { detail } : {}), ...(peers !== undefined ? { peers } : {}) });
  }

  delete(name: string): void {
    this.threads.delete(name);
  }

  get(name: string): ThreadView | undefined {
    return this.threads.get(name);
  }

  list(): ThreadView[] {
    return [...this.threads.values()].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
  }
}
