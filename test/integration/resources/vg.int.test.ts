import { describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { ResourceError } from '../../../domain/errors.js';
import { createVgDriver } from '../../../adapters/resources/vg/driver.js';
import { recordingContext, resourceConfig, serviceConfig, withContext } from '../../support/driverContext.js';
import { useTestScope } from '../../support/jest.js';
import { attachLoop, createImageFile } from '../../support/loop.js';
import { addVgTag, createVg, vgTags } from '../../support/lvm.js';
import type { TestScope } from '../../support/scope.js';
import { createTempDir } from '../../support/tmp.js';

/** A VG with no LVs on a loop-device PV: this machine has no device-mapper. */
async function vgFixture(scope: TestScope) {
  const root = await createTempDir(scope);
  const pv = await attachLoop(scope, await createImageFile(root, 16, 'pv.img'));
  const vg = await createVg(scope, [pv]);
  const rc = recordingContext({ root, svc: serviceConfig('svc1'), nodename: 'node1' });
  const d = createVgDriver(resourceConfig('disk#0', { type: 'vg', name: vg }));
  return { vg, rc, d, pv, root };
}

describe('disk type=vg driver', () => {
  const scope = useTestScope();

  test('start tags the VG @node1 and reports it up, stop removes the tag and deactivates', async () => {
    const { vg, rc, d } = await vgFixture(scope());
    expect(d.label()).toBe(`vg ${vg}`);
    expect((await d.status(rc.ctx)).status).toBe('down');

    await expect(d.start(rc.ctx)).resolves.toBe('done');
    // the tutorial's lines: the tag, LVM's output, then "already up" (nothing to activate)
    expect(rc.messages()).toEqual([
      `vgchange --addtag @node1 ${vg}`,
      'output:',
      `  Volume group "${vg}" successfully changed`,
      '',
      `vg ${vg} is already up`,
    ]);
    expect(await vgTags(vg)).toEqual(['node1']);
    expect(await d.status(rc.ctx)).toEqual({ status: 'up', log: [] });

    rc.clear();
    await expect(d.start(rc.ctx)).resolves.toBe('already');
    expect(rc.messages()).toEqual([`vg ${vg} is already up`]);

    rc.clear();
    await expect(d.stop(rc.ctx)).resolves.toBe('done');
    expect(rc.messages()).toEqual([
      `vgchange --deltag @node1 ${vg}`,
      'output:',
      `  Volume group "${vg}" successfully changed`,
      '',
      `vgchange -a n ${vg}`,
      'output:',
      `  0 logical volume(s) in volume group "${vg}" now active`,
      '',
    ]);
    expect(await vgTags(vg)).toEqual([]);
    expect((await d.status(rc.ctx)).status).toBe('down');

    rc.clear();
    await expect(d.stop(rc.ctx)).resolves.toBe('already');
    expect(rc.messages()).toEqual([`vg ${vg} is already down`]);
  });

  test('pvs: the group is checked to lie on the devices listed; one it is not on makes the status warn, in one line', async () => {
    const s = scope();
    const { vg, rc, pv, root } = await vgFixture(s);
    const other = await attachLoop(s, await createImageFile(root, 16, 'other.img'));
    const right = createVgDriver(resourceConfig('disk#0', { type: 'vg', name: vg, pvs: [pv] }));
    const wrong = createVgDriver(resourceConfig('disk#0', { type: 'vg', name: vg, pvs: [pv, other] }));
    const line = `warn: pvs lists ${other}, not a physical volume of vg ${vg} (it is on ${pv})`;
    expect(await wrong.status(rc.ctx)).toEqual({ status: 'down', log: [line] });
    await right.start(rc.ctx);
    expect(await right.status(rc.ctx)).toEqual({ status: 'up', log: [] });
    expect(await wrong.status(rc.ctx)).toEqual({ status: 'warn', log: [line] });
    await right.stop(rc.ctx);
  });

  test("a VG tagged by another node is refused, status says who holds it, and --force takes it over", async () => {
    const { vg, rc, d } = await vgFixture(scope());
    await addVgTag(vg, '@node2');
    expect(await d.status(rc.ctx)).toEqual({ status: 'down', log: ['info: tagged by @node2'] });

    const err = await d.start(rc.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceError);
    expect((err as Error).message).toBe(`vg ${vg} is tagged @node2 (owned by another node): refusing to start it, use --force to take it over`);
    expect(await vgTags(vg)).toEqual(['node2']);
    expect(rc.messages()).toEqual([]);

    await expect(d.start(withContext(rc, { force: true }))).resolves.toBe('done');
    expect(rc.messages().filter((m) => m.startsWith('vgchange'))).toEqual([`vgchange --deltag @node2 ${vg}`, `vgchange --addtag @node1 ${vg}`]);
    expect(await vgTags(vg)).toEqual(['node1']);
    expect((await d.status(rc.ctx)).status).toBe('up');

    // node2's view now: ours is the foreign tag
    const node2 = withContext(rc, { nodename: 'node2' });
    expect(await d.status(node2)).toEqual({ status: 'down', log: ['info: tagged by @node1'] });
    await expect(d.start(node2)).rejects.toThrow(/tagged @node1/);
    await expect(d.stop(node2)).resolves.toBe('already');
    expect(await vgTags(vg)).toEqual(['node1']);
    await d.stop(rc.ctx);
  });

  test('a missing VG is down with a warning and cannot start; hostile names are refused before LVM sees them', async () => {
    const s = scope();
    const root = await createTempDir(s);
    const rc = recordingContext({ root, svc: serviceConfig('svc1') });
    const missing = createVgDriver(resourceConfig('disk#0', { type: 'vg', name: s.name('nope') }));
    expect(await missing.status(rc.ctx)).toEqual({ status: 'down', log: [`warn: vg ${s.name('nope')} not found`] });
    await expect(missing.start(rc.ctx)).rejects.toThrow(`vg ${s.name('nope')} not found`);
    await expect(missing.stop(rc.ctx)).resolves.toBe('already');

    const marker = `/tmp/hasvct-pwned-${s.id}`;
    for (const name of [`vg; touch ${marker}`, `$(touch ${marker})`, '-a', '../vg', 'a b']) {
      const d = createVgDriver(resourceConfig('disk#0', { type: 'vg', name }));
      await expect(d.start(rc.ctx)).rejects.toThrow(/is not a volume group name/);
      expect((await d.status(rc.ctx)).status).toBe('warn');
    }
    const badNode = createVgDriver(resourceConfig('disk#0', { type: 'vg', name: 'vgsvc1' }));
    await expect(badNode.start(withContext(rc, { nodename: 'node1 @x' }))).rejects.toThrow(/cannot be an LVM tag/);
    expect(existsSync(marker)).toBe(false);
  });
});
