import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { ResourceState } from '../../../domain/instance/status.js';
import { aggregateAvail, aggregateOverall, knownProvisioned } from '../../../domain/instance/status.js';
import { serviceView } from '../../../projections/statusView.js';
import type { InstanceView } from '../../../projections/statusView.js';
import { painter } from '../../../src/cli/color.js';
import { renderStatus } from '../../../src/cli/status/render.js';

/** The `print status` screens of the tutorial, as printed there (8-space indent removed). */
function tutorialScreen(firstLineNo: number, lines: number): string[] {
  const file = fileURLToPath(new URL('../../fixtures/seed-getting-started.rst', import.meta.url));
  const text = fs.readFileSync(file, 'utf8').split('\n');
  return text.slice(firstLineNo - 1, firstLineNo - 1 + lines).map((l) => l.slice(8).trimEnd());
}

function res(rid: string, status: ResourceState['status'], label: string, extra: Partial<ResourceState> = {}): ResourceState {
  const driver = rid.split('#')[0]!;
  return { rid, driver, status, label, optional: false, disable: false, standby: false, monitor: false, provisioned: knownProvisioned(driver), log: [], ...extra };
}

const SYNC_PAUSED = res('sync#i0', 'n/a', 'rsync svc config to drpnodes, nodes', { log: ['info: paused, service not up'] });
const NODE2: InstanceView = { node: 'node2', avail: 'undef', overall: 'undef', frozen: false, monitorState: 'idle', expect: undefined, daemonDown: true, resources: [] };

function node1(resources: ResourceState[], expect?: string): InstanceView {
  const avail = aggregateAvail(resources);
  return { node: 'node1', avail, overall: aggregateOverall(resources, avail), frozen: true, monitorState: 'idle', expect, daemonDown: false, resources };
}

const render = (i: InstanceView) => renderStatus(serviceView('svc1', 'failover', 'no', [NODE2, i]), painter('no', false));

describe('print status renders the tutorial screens', () => {
  it('before the first start', () => {
    const screen = render(
      node1([
        res('ip#0', 'down', 'svc1.opensvc.com@eth0'),
        res('disk#0', 'up', 'vg vgsvc1'),
        res('fs#app', 'down', 'ext4 /dev/mapper/vgsvc1-lvappsvc1@/svc1/app'),
        res('fs#data', 'down', 'ext4 /dev/mapper/vgsvc1-lvdatasvc1@/svc1/data'),
        SYNC_PAUSED,
      ]),
    );
    expect(screen).toEqual(tutorialScreen(239, 10));
  });

  it('after start --local', () => {
    const screen = render(
      node1(
        [
          res('ip#0', 'up', '192.168.121.42@eth0'),
          res('disk#0', 'up', 'vg vgsvc1'),
          res('fs#app', 'up', 'ext4 /dev/mapper/vgsvc1-lvappsvc1@/svc1/app'),
          res('fs#data', 'up', 'ext4 /dev/mapper/vgsvc1-lvdatasvc1@/svc1/data'),
          SYNC_PAUSED,
        ],
        'started',
      ),
    );
    // the tutorial's info line sits 6 columns further right on this screen; we keep one column
    const want = tutorialScreen(311, 11);
    want[10] = want[10]!.replace(/^ {84}/, ' '.repeat(78));
    expect(screen).toEqual(want);
  });

  it('after adding app#web and starting', () => {
    const screen = render(
      node1(
        [
          res('ip#0', 'up', '192.168.121.42@eth0'),
          res('disk#0', 'up', 'vg vgsvc1'),
          res('fs#app', 'up', 'ext4 /dev/mapper/vgsvc1-lvappsvc1@/svc1/app'),
          res('fs#data', 'up', 'ext4 /dev/mapper/vgsvc1-lvdatasvc1@/svc1/data'),
          res('app#web', 'up', 'weblauncher'),
          SYNC_PAUSED,
        ],
        'started',
      ),
    );
    const want = tutorialScreen(489, 12);
    want[11] = want[11]!.replace(/^ {90}/, ' '.repeat(78));
    expect(screen).toEqual(want);
  });

  it('after stop --local', () => {
    const screen = render(
      node1([
        res('ip#0', 'down', '192.168.121.42@eth0'),
        res('disk#0', 'down', 'vg vgsvc1'),
        res('fs#app', 'down', 'ext4 /dev/mapper/vgsvc1-lvappsvc1@/svc1/app'),
        res('fs#data', 'down', 'ext4 /dev/mapper/vgsvc1-lvdatasvc1@/svc1/data'),
        res('app#web', 'down', 'weblauncher'),
        res('sync#i0', 'warn', 'rsync svc config to drpnodes, nodes', { log: ['warn: passive node needs update'] }),
      ]),
    );
    const want = tutorialScreen(539, 11);
    want[10] = want[10]!.replace(/^ {84}/, ' '.repeat(78));
    expect(screen).toEqual(want);
  });
});
