import type { ServiceStatusView } from '../../projections/statusView.js';
import type { EventsPage } from './monitor.js';
import type { DaemonStatus } from './readModel.js';

/*
 * What the daemon offers its listener and the web view (the routes call
 * the same API): the interfaces, apart from the HTTP code that serves them.
 */

/** What the listener answers with: read models, and the one command it takes so far. */
export interface ListenerApi {
  ping(): { node: string; pid: number };
  status(): DaemonStatus;
  serviceStatus(svc: string): ServiceStatusView | undefined;
  events(since: number, limit: number): EventsPage;
  /** GET /events: a page of the whole log, read from the stream where the recent events held do not reach back (paging from 0 after a restart) */
  eventsPage?(since: number, limit: number): Promise<EventsPage>;
  waitForEvent(since: number, timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** called once the stop request has been answered */
  stop(): void;
  /** wait until the projections hold everything the stream held when asked (read your writes) */
  sync(timeoutMs: number): Promise<void>;
  /** probe the local instance now and record what changed; undefined when the service is not configured here */
  refreshStatus?(svc: string): Promise<ServiceStatusView | undefined>;
  /** run an action on the local instance; its output lines go to `print` as they come */
  runAction(svc: string, req: ActionBody, print: (line: string) => void, signal: AbortSignal): Promise<boolean>;
  /** freeze or thaw this node's instance of a service, asked by `by` (a peer's freeze/thaw, or the local CLI) */
  setFrozen?(svc: string, frozen: boolean, by: string): Promise<boolean>;
  /** a service config pushed by the peer `from` (sync nodes there): the status and body to answer */
  receiveConfig?(svc: string, body: unknown, from: string): Promise<{ readonly status: number; readonly body: unknown }>;
  /** the checksum of this node's copy of a service config, null when it has none */
  configChecksum?(svc: string): { readonly checksum: string | null };
  /** a node (the signer of the request, with its public key) joins the cluster: the answer is what it writes in its cluster.conf */
  join?(node: string, key: string): Promise<unknown>;
  /** nodemgr drain: this node frozen and its services stopped, the output to `print` as it comes; the stops that failed */
  drain?(by: string, print: (line: string) => void, signal: AbortSignal): Promise<{ readonly failed: readonly { readonly svc: string; readonly why: string }[] }>;
  /** an operator's target for a service, or its abort: the status and body to answer */
  requestTarget?(svc: string, req: TargetBody): Promise<{ readonly status: number; readonly body: unknown }>;
  /** this node leaves its cluster (nodemgr daemon leave): the answer says which peers heard of it */
  leave?(): Promise<unknown>;
}

/** The body of POST /services/<svc>/target: svcmgr start, stop, switch, takeover, giveback (a target), abort (none). */
export interface TargetBody {
  readonly target: 'started' | 'stopped' | 'placed' | 'aborted';
  /** placed: where */
  readonly node: string | undefined;
  readonly action: string;
  readonly by: string;
  /** the event that asked for it (the web view's OperatorActionRequested); never taken from a request body */
  readonly causation?: string;
}

/** The body of POST /services/<svc>/actions. */
export interface ActionBody {
  readonly action: 'start' | 'stop' | 'restart';
  readonly rids: readonly string[];
  readonly tags: readonly string[];
  readonly subsets: readonly string[];
  readonly force: boolean;
  readonly argv: readonly string[];
  readonly user: string | undefined;
}
