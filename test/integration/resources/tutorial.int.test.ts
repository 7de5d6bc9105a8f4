import { describe, expect, test } from '@jest/globals';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ResourceDriver } from '../../../adapters/resources/driver.js';
import { driverFor } from '../../../src/action/drivers.js';
import { recordingContext, resourceConfig, serviceConfig } from '../../support/driverContext.js';
import { useTestScope } from '../../support/jest.js';
import { attachLoop, createExt4Loop, createImageFile } from '../../support/loop.js';
import { createVg, vgTags } from '../../support/lvm.js';
import { trackMount } from '../../support/mount.js';
import { createNetns, createVeth, freeSubnet, httpGetFrom } from '../../support/netns.js';
import { isMountPoint, pidAlive } from '../../support/proc.js';
import { trackPid } from '../../support/process.js';
import { createTempDir } from '../../support/tmp.js';

/**
 * The tutorial's svc1, resource by resource, on one machine: ip#0 on a veth
 * whose other end (a netns) plays the LAN, disk#0 a VG on a loop PV, fs#app
 * and fs#data ext4 on loop devices, app#web the tutorial's weblauncher with
 * python's http.server in place of mongoose, svc1.d pointing into fs#app.
 */
const WEBLAUNCHER = `#!/bin/bash

SVCROOT=\${SVCROOT:?}
APPROOT=\${SVCROOT}/app
PIDFILE=\${APPROOT}/webserver.pid

# kill -0 succeeds on a zombie, which PID 1 reaps late: the server is dead once its state is Z
function status {
	[ -f "$PIDFILE" ] || return 1
	local s
	s=$(awk '/^State:/{print $2}' "/proc/$(cat "$PIDFILE")/status" 2>/dev/null)
	[ -n "$s" ] && [ "$s" != Z ]
}

function listening {
	"$PYTHON" -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.2)' "$SVCIP" "$PORT" 2>/dev/null
}

case $1 in
start)
	status && {
		echo "already started"
		exit 0
	}
	nohup "$PYTHON" -m http.server "$PORT" --bind "$SVCIP" --directory "$SVCROOT/data" >>/dev/null 2>&1 &
	echo $! >"$PIDFILE"
	for i in $(seq 100); do listening && exit 0; sleep 0.1; done
	echo "webserver not listening on $SVCIP:$PORT" >&2
	exit 1
	;;
stop)
	status || exit 0
	kill "$(cat "$PIDFILE")"
	for i in $(seq 50); do status || break; sleep 0.1; done
	rm -f "$PIDFILE"
	;;
info)
	echo "Name: webserver"
	;;
status)
	status
	exit $?
	;;
*)
	echo "unsupported action: $1" >&2
	exit 1
	;;
esac
`;

describe('tutorial svc1 at the driver level', () => {
  const scope = useTestScope();

  test('start --local in order, It Works ! from the other namespace, stop --local in reverse order leaves nothing', async () => {
    const s = scope();
    const net = await freeSubnet();
    const ns = await createNetns(s);
    const { host: ipdev } = await createVeth(s, ns, { hostAddr: `${net}.1/24`, peerAddr: `${net}.2/24` });
    const svcAddr = `${net}.42`;
    const port = String(18000 + Math.floor(Math.random() * 1000));

    const root = await createTempDir(s);
    const svcroot = path.join(root, 'svc1');
    const etc = path.join(root, 'etc', 'opensvc');
    mkdirSync(etc, { recursive: true });
    const pv = await attachLoop(s, await createImageFile(root, 16, 'pv.img'));
    const vg = await createVg(s, [pv]);
    const appFs = await createExt4Loop(s, root, 32, 'app.img');
    const dataFs = await createExt4Loop(s, root, 32, 'data.img');
    trackMount(s, path.join(svcroot, 'app'));
    trackMount(s, path.join(svcroot, 'data'));

    const confs = [
      resourceConfig('ip#0', { ipname: svcAddr, ipdev }),
      resourceConfig('disk#0', { type: 'vg', name: vg }),
      resourceConfig('fs#app', { type: 'ext4', dev: appFs.dev, mnt: path.join(svcroot, 'app') }),
      resourceConfig('fs#data', { type: 'ext4', dev: dataFs.dev, mnt: path.join(svcroot, 'data') }),
      resourceConfig('app#web', {
        script: 'weblauncher',
        environment: [`SVCROOT=${svcroot}`, `SVCIP=${svcAddr}`, `PORT=${port}`, 'PYTHON=/usr/bin/python3'],
      }),
    ];
    const svc = serviceConfig('svc1', confs);
    const rc = recordingContext({ root, svc, nodename: 'node1' });
    const drivers = confs.map((c) => driverFor(c));
    const [ip, disk, fsApp, fsData, app] = drivers as [ResourceDriver, ResourceDriver, ResourceDriver, ResourceDriver, ResourceDriver];
    const statuses = async () => Object.fromEntries(await Promise.all(drivers.map(async (d) => [d.rid, (await d.status(rc.ctx)).status])));

    expect(await statuses()).toEqual({ 'ip#0': 'down', 'disk#0': 'down', 'fs#app': 'down', 'fs#data': 'down', 'app#web': 'down' });

    // first start: no launcher yet
    for (const d of [ip, disk, fsApp, fsData]) await d.start(rc.ctx);
    const first = rc.messages();
    expect(first[0]).toBe(`checking ${svcAddr} availability`);
    expect(first).toContain(`vgchange --addtag @node1 ${vg}`);
    expect(first).toContain(`vg ${vg} is already up`);
    expect(first).toContain(`e2fsck -p ${appFs.dev}`);
    expect(first).toContain(`mount -t ext4 ${dataFs.dev} ${svcroot}/data`);

    // the launcher lives in fs#app, reached through the svc1.d symlink
    mkdirSync(path.join(svcroot, 'app', 'init.d'));
    writeFileSync(path.join(svcroot, 'app', 'init.d', 'weblauncher'), WEBLAUNCHER, { mode: 0o755 });
    symlinkSync(path.join(svcroot, 'app', 'init.d'), path.join(etc, 'svc1.d'));
    writeFileSync(path.join(svcroot, 'data', 'index.html'), '<html><body>It Works !</body></html>\n');

    // second start: everything already up, the app started
    rc.clear();
    for (const d of drivers) await d.start(rc.ctx);
    const second = rc.messages();
    expect(second.slice(0, 5)).toEqual([
      `${svcAddr} is already up on ${ipdev}`,
      `vg ${vg} is already up`,
      `ext4 ${appFs.dev}@${svcroot}/app is already mounted`,
      `ext4 ${dataFs.dev}@${svcroot}/data is already mounted`,
      `exec ${svcroot}/app/init.d/weblauncher start as user root`,
    ]);
    expect(second[5]).toMatch(/^start done in 0:00:\d\d\.\d{6} ret 0$/);
    const webPid = Number(readFileSync(path.join(svcroot, 'app', 'webserver.pid'), 'utf8'));
    trackPid(s, webPid);

    expect(await statuses()).toEqual({ 'ip#0': 'up', 'disk#0': 'up', 'fs#app': 'up', 'fs#data': 'up', 'app#web': 'up' });
    expect(await vgTags(vg)).toEqual(['node1']);
    expect(await app.info(rc.ctx)).toMatchObject({ script: 'weblauncher', path: `${svcroot}/app/init.d/weblauncher`, Name: 'webserver' });
    const page = await httpGetFrom(ns, `http://${svcAddr}:${port}/`);
    expect(page).toEqual({ ok: true, body: '<html><body>It Works !</body></html>', error: '' });

    // stop --local: reverse order, tutorial lines
    rc.clear();
    for (const d of [...drivers].reverse()) await d.stop(rc.ctx);
    const stop = rc.messages();
    expect(stop[0]).toBe(`exec ${svcroot}/app/init.d/weblauncher stop as user root`);
    expect(stop[1]).toMatch(/^stop done in 0:00:\d\d\.\d{6} ret 0$/);
    expect(stop.slice(2)).toEqual([
      `umount ${svcroot}/data`,
      `umount ${svcroot}/app`,
      `vgchange --deltag @node1 ${vg}`,
      'output:',
      `  Volume group "${vg}" successfully changed`,
      '',
      `vgchange -a n ${vg}`,
      'output:',
      `  0 logical volume(s) in volume group "${vg}" now active`,
      '',
      `ip addr del ${svcAddr}/24 dev ${ipdev}`,
      `checking ${svcAddr} availability`,
    ]);
    expect(pidAlive(webPid)).toBe(false);
    const gone = await httpGetFrom(ns, `http://${svcAddr}:${port}/`, 1);
    expect(gone.ok).toBe(false);
    expect(await isMountPoint(path.join(svcroot, 'app'))).toBe(false);
    expect(await vgTags(vg)).toEqual([]);
    // after stop the launcher is out of reach (fs#app unmounted): app#web is plainly down, as in the tutorial
    expect(await statuses()).toEqual({ 'ip#0': 'down', 'disk#0': 'down', 'fs#app': 'down', 'fs#data': 'down', 'app#web': 'down' });
  });
});
