import { describe, expect, test } from '@jest/globals';
import { ConfigError } from '../../../domain/errors.js';
import { driverFor } from '../../../src/action/drivers.js';
import { recordingContext, resourceConfig, serviceConfig } from '../../support/driverContext.js';

describe('driverFor', () => {
  test('maps each section to its driver by driver name and type', () => {
    expect(driverFor(resourceConfig('ip#0', { ipname: '192.168.121.42', ipdev: 'eth0' })).label()).toBe('192.168.121.42@eth0');
    expect(driverFor(resourceConfig('ip#1', { ipname: 'svc1.opensvc.com', ipdev: 'eth0' })).label()).toBe('svc1.opensvc.com@eth0');
    expect(driverFor(resourceConfig('disk#0', { type: 'vg', name: 'vgsvc1' })).label()).toBe('vg vgsvc1');
    expect(driverFor(resourceConfig('fs#app', { type: 'ext4', dev: '/dev/mapper/vgsvc1-lvappsvc1', mnt: '/svc1/app' })).label()).toBe(
      'ext4 /dev/mapper/vgsvc1-lvappsvc1@/svc1/app',
    );
    expect(driverFor(resourceConfig('app#web', { script: 'weblauncher' })).label()).toBe('weblauncher');
    expect(driverFor(resourceConfig('sync#i0', {})).label()).toBe('rsync svc config to drpnodes, nodes');
  });

  test('an unknown driver or type is a ConfigError naming the section', () => {
    expect(() => driverFor(resourceConfig('container#0', { type: 'docker' }))).toThrow(ConfigError);
    expect(() => driverFor(resourceConfig('container#0', { type: 'docker' }))).toThrow('container#0: unknown driver "container" (known: ip, disk, fs, app, sync)');
    expect(() => driverFor(resourceConfig('disk#0', { type: 'zpool' }))).toThrow('disk#0: unsupported type "zpool" for driver disk');
    expect(() => driverFor(resourceConfig('disk#0', {}))).toThrow('disk#0: unsupported type undefined for driver disk');
    expect(() => driverFor(resourceConfig('fs#0', { mnt: '/x' }))).toThrow('fs#0: type is required');
  });
});

describe('sync#i0', () => {
  test('is not started or stopped by start/stop, and says so in status', async () => {
    const d = driverFor(resourceConfig('sync#i0', {}));
    const { ctx, lines } = recordingContext({ root: '/nonexistent', svc: serviceConfig('svc1') });
    expect(await d.status(ctx)).toEqual({ status: 'n/a', log: ['info: paused, service not up'] });
    await expect(d.start(ctx)).resolves.toBe('already');
    await expect(d.stop(ctx)).resolves.toBe('already');
    expect(lines).toEqual([]);
  });
});
