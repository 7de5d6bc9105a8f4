import type { ResourceConfig, ServiceConfig } from '../../domain/config/types.js';
import type { ResourceDriver } from '../../adapters/resources/driver.js';
import type { InstancesProjection } from '../../projections/instances.js';
import { actionLine } from '../action/output.js';
import { runAction } from '../action/runner.js';
import type { EventSink } from '../events/sink.js';
import type { NodePaths } from '../paths.js';

export interface DrainDeps {
  readonly node: string;
  readonly paths: NodePaths;
  readonly sink: EventSink;
  readonly projection: InstancesProjection;
  readonly nodeFrozen: () => boolean;
  /** the services configured here, their configs */
  readonly services: () => readonly ServiceConfig[];
  readonly driverFor: (conf: ResourceConfig) => ResourceDriver;
  readonly signal: AbortSignal;
}

export interface DrainOutcome {
  readonly stopped: readonly string[];
  /** each service whose stop failed, with why */
  readonly failed: readonly { readonly svc: string; readonly why: string }[];
}

/**
 * nodemgr drain: every service running here goes away from this node. The
 * node is frozen first, so neither its orchestrator starts one again nor
 * the others place one here (rule 9); then each instance up here is
 * stopped, its output streamed. The other nodes' orchestrators start the
 * ha and start services where placement says; orchestrate = no ones stay
 * stopped, as OpenSVC's drain leaves them.
 */
export async function drainNode(d: DrainDeps, by: string, print: (line: string) => void): Promise<DrainOutcome> {
  if (!d.nodeFrozen()) {
    await d.sink.append({ type: 'NodeFrozen', data: {} });
    print(actionLine(d.node, 'info', 'node frozen: no service starts here any more'));
  }
  const stopped: string[] = [];
  const failed: { svc: string; why: string }[] = [];
  for (const svc of d.services()) {
    const i = d.projection.get(svc.name, d.node);
    if (i === undefined || (i.avail !== 'up' && i.avail !== 'warn' && i.monitorState !== 'starting')) continue;
    const moves = svc.orchestrate !== 'no' && svc.nodes.some((n) => n !== d.node);
    try {
      const out = await runAction(
        { svc, action: 'stop', selection: {}, force: false, argv: ['nodemgr', 'drain'], user: by, reason: `nodemgr drain of ${d.node}${moves ? ': another node takes it over' : ''}`, relocation: moves },
        { nodename: d.node, paths: d.paths, sink: d.sink, print, driverFor: d.driverFor, signal: d.signal, now: () => Date.now() },
      );
      if (out.ok) stopped.push(svc.name);
      else failed.push({ svc: svc.name, why: 'stop failed' });
    } catch (e) {
      failed.push({ svc: svc.name, why: (e as Error).message });
    }
  }
  return { stopped, failed };
}
