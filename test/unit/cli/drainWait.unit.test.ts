import { describe, expect, it } from '@jest/globals';
import { runningElsewhere, takenOverFrom } from '../../../src/cli/node/drain.js';
import type { DaemonStatus } from '../../../src/daemon/readModel.js';

const inst = (node: string, avail: string) => ({ node, avail, overall: avail, frozen: false, monitorState: 'idle', expect: undefined });

function status(services: readonly { name: string; orchestrate: string; instances: ReturnType<typeof inst>[] }[]): DaemonStatus {
  return { node: 'node1', services: services.map((s) => ({ ...s, topology: 'failover', avail: 'up', overall: 'up', frozen: 'thawed', nodes: ['node1', 'node2'] })) } as unknown as DaemonStatus;
}

describe('nodemgr drain --wait: what it waits for', () => {
  const s = status([
    { name: 'svc1', orchestrate: 'ha', instances: [inst('node1', 'up'), inst('node2', 'down')] },
    { name: 'svc2', orchestrate: 'no', instances: [inst('node1', 'up'), inst('node2', 'down')] },
    { name: 'svc3', orchestrate: 'ha', instances: [inst('node1', 'down'), inst('node2', 'up')] },
    { name: 'svc4', orchestrate: 'start', instances: [inst('node1', 'warn'), inst('node2', 'down')] },
  ]);

  it('the orchestrated services running here (up or warn): not one left alone by its orchestrate = no, not one running elsewhere already', () => {
    expect(takenOverFrom(s, 'node1')).toEqual(['svc1', 'svc4']);
  });

  it('each taken over once it runs on another node', () => {
    expect([...runningElsewhere(s, 'node1', ['svc1', 'svc3'])]).toEqual([
      ['svc1', undefined],
      ['svc3', 'node2'],
    ]);
  });
});
