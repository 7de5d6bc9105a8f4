import { describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { ResourceError } from '../../../domain/errors.js';
import { IpConflictError, isIpConflict } from '../../../adapters/resources/ip/conflict.js';
import { createIpDriver, resolveName } from '../../../adapters/resources/ip/driver.js';
import { recordingContext, resourceConfig, serviceConfig } from '../../support/driverContext.js';
import { useTestScope } from '../../support/jest.js';
import { addressesOf, createNetns, createVeth, freeSubnet, pingFrom } from '../../support/netns.js';
import type { TestScope } from '../../support/scope.js';
import { must } from '../../support/sh.js';
import { createTempDir } from '../../support/tmp.js';

/**
 * The "node" is the root namespace: the service address goes on the host end
 * of a veth pair made for the test (never on a real interface); the peer
 * namespace plays the other node and the clients.
 */
async function lan(scope: TestScope) {
  const net = await freeSubnet();
  const ns = await createNetns(scope);
  const veth = await createVeth(scope, ns, { hostAddr: `${net}.1/24`, peerAddr: `${net}.2/24` });
  const root = await createTempDir(scope);
  return { net, ns, dev: veth.host, peer: veth.peer, root, svcAddr: `${net}.42` };
}

function ctxFor(root: string) {
  return recordingContext({ root, svc: serviceConfig('svc1'), nodename: 'node1' });
}

describe('ip driver', () => {
  const scope = useTestScope();

  test('start plumbs the address after the availability check, status follows, stop removes it', async () => {
    const l = await lan(scope());
    const rc = ctxFor(l.root);
    const d = createIpDriver(resourceConfig('ip#0', { ipname: l.svcAddr, ipdev: l.dev }));
    expect(d.label()).toBe(`${l.svcAddr}@${l.dev}`);
    expect((await d.status(rc.ctx)).status).toBe('down');

    await expect(d.start(rc.ctx)).resolves.toBe('done');
    const m = rc.messages();
    expect(m[0]).toBe(`checking ${l.svcAddr} availability`);
    expect(m).toContain(`ip addr add ${l.svcAddr}/24 dev ${l.dev} label ${l.dev}:1`);
    expect(m.some((x) => x.startsWith('arping -U'))).toBe(true);
    expect(rc.lines.filter((x) => x.level === 'error')).toEqual([]);
    expect(await addressesOf(l.dev)).toContain(`${l.svcAddr}/24`);
    expect(await d.status(rc.ctx)).toEqual({ status: 'up', log: [] });
    // the other node sees it
    expect(await pingFrom(l.ns, l.svcAddr)).toBe(true);

    rc.clear();
    await expect(d.start(rc.ctx)).resolves.toBe('already');
    expect(rc.messages()).toEqual([`${l.svcAddr} is already up on ${l.dev}`]);

    rc.clear();
    await expect(d.stop(rc.ctx)).resolves.toBe('done');
    expect(rc.messages()).toEqual([`ip addr del ${l.svcAddr}/24 dev ${l.dev}`, `checking ${l.svcAddr} availability`]);
    expect(await addressesOf(l.dev)).not.toContain(`${l.svcAddr}/24`);
    expect((await d.status(rc.ctx)).status).toBe('down');
    await expect(d.stop(rc.ctx)).resolves.toBe('already');
  });

  test('netmask comes from the keyword (dotted or length) or from the address already on ipdev', async () => {
    const l = await lan(scope());
    const rc = ctxFor(l.root);
    const dotted = createIpDriver(resourceConfig('ip#0', { ipname: `${l.net}.43`, ipdev: l.dev, netmask: '255.255.255.128' }));
    const length = createIpDriver(resourceConfig('ip#1', { ipname: `${l.net}.44`, ipdev: l.dev, netmask: 28 }));
    const guessed = createIpDriver(resourceConfig('ip#2', { ipname: `${l.net}.45`, ipdev: l.dev }));
    await dotted.start(rc.ctx);
    await length.start(rc.ctx);
    await guessed.start(rc.ctx);
    const addrs = await addressesOf(l.dev);
    expect(addrs).toEqual(expect.arrayContaining([`${l.net}.43/25`, `${l.net}.44/28`, `${l.net}.45/24`]));
    // first free alias index each time
    expect(rc.messages().filter((x) => x.startsWith('ip addr add')).map((x) => x.split(' label ')[1])).toEqual([
      `${l.dev}:1`,
      `${l.dev}:2`,
      `${l.dev}:3`,
    ]);
    for (const d of [dotted, length, guessed]) await d.stop(rc.ctx);
    const bad = createIpDriver(resourceConfig('ip#3', { ipname: `${l.net}.46`, ipdev: l.dev, netmask: '255.0.255.0' }));
    await expect(bad.start(rc.ctx)).rejects.toThrow(/netmask "255.0.255.0" is not a valid IPv4 netmask/);
  });

  test('start aborts with a conflict when another namespace already holds the address', async () => {
    const l = await lan(scope());
    await must(['ip', '-n', l.ns, 'addr', 'add', `${l.svcAddr}/24`, 'dev', l.peer]);
    const rc = ctxFor(l.root);
    const d = createIpDriver(resourceConfig('ip#0', { ipname: l.svcAddr, ipdev: l.dev }));
    const err = await d.start(rc.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpConflictError);
    expect(err).toBeInstanceOf(ResourceError);
    expect(isIpConflict(err)).toBe(true);
    expect((err as IpConflictError).conflict).toBe(true);
    expect((err as IpConflictError).rid).toBe('ip#0');
    expect(rc.messages()).toEqual([`checking ${l.svcAddr} availability`]);
    expect(await addressesOf(l.dev)).not.toContain(`${l.svcAddr}/24`);
    expect((await d.status(rc.ctx)).status).toBe('down');
  });

  test('a holder that ignores ping is still found by ARP duplicate address detection', async () => {
    const l = await lan(scope());
    await must(['ip', '-n', l.ns, 'addr', 'add', `${l.svcAddr}/24`, 'dev', l.peer]);
    await must(['ip', 'netns', 'exec', l.ns, 'sysctl', '-q', '-w', 'net.ipv4.icmp_echo_ignore_all=1']);
    const rc = ctxFor(l.root);
    const d = createIpDriver(resourceConfig('ip#0', { ipname: l.svcAddr, ipdev: l.dev }));
    await expect(d.start(rc.ctx)).rejects.toThrow(/answers arp on/);
  });

  test('names resolve through the system resolver; an unresolvable name keeps its label and fails clearly', async () => {
    const l = await lan(scope());
    const rc = ctxFor(l.root);
    await expect(resolveName('ip#0', 'localhost', rc.ctx.signal)).resolves.toBe('127.0.0.1');
    const d = createIpDriver(resourceConfig('ip#0', { ipname: 'svc1.hasvct.invalid', ipdev: l.dev }));
    expect(d.label()).toBe(`svc1.hasvct.invalid@${l.dev}`);
    const st = await d.status(rc.ctx);
    expect(st.status).toBe('warn');
    expect(st.log).toEqual(['warn: cannot resolve ipname svc1.hasvct.invalid']);
    await expect(d.start(rc.ctx)).rejects.toThrow('cannot resolve ipname svc1.hasvct.invalid');
    expect(d.label()).toBe(`svc1.hasvct.invalid@${l.dev}`);
  });

  test('IPv6 literal: plumbed without label, compared in canonical form', async () => {
    const l = await lan(scope());
    const rc = ctxFor(l.root);
    const addr = `fd00:${l.net.split('.')[2]}::0:42`;
    const d = createIpDriver(resourceConfig('ip#0', { ipname: addr, ipdev: l.dev, netmask: 64 }));
    expect(d.label()).toBe(`fd00:${l.net.split('.')[2]}::42@${l.dev}`);
    await expect(d.start(rc.ctx)).resolves.toBe('done');
    expect(rc.messages()).toContain(`ip addr add fd00:${l.net.split('.')[2]}::42/64 dev ${l.dev}`);
    expect((await d.status(rc.ctx)).status).toBe('up');
    await expect(d.stop(rc.ctx)).resolves.toBe('done');
    expect((await d.status(rc.ctx)).status).toBe('down');
  });

  test('hostile ipname and ipdev values are refused, never executed', async () => {
    const l = await lan(scope());
    const rc = ctxFor(l.root);
    const marker = `/tmp/hasvct-pwned-${scope().id}`;
    const hostile = [
      { ipname: `${l.svcAddr}; touch ${marker}`, ipdev: l.dev },
      { ipname: `$(touch ${marker})`, ipdev: l.dev },
      { ipname: `\`touch ${marker}\``, ipdev: l.dev },
      { ipname: 'svc1 opensvc com', ipdev: l.dev },
      { ipname: '-h', ipdev: l.dev },
      { ipname: '../../etc/passwd', ipdev: l.dev },
      { ipname: l.svcAddr, ipdev: `${l.dev}; touch ${marker}` },
      { ipname: l.svcAddr, ipdev: '-all' },
      { ipname: l.svcAddr, ipdev: '../lo' },
    ];
    for (const kw of hostile) {
      const d = createIpDriver(resourceConfig('ip#0', kw));
      await expect(d.start(rc.ctx)).rejects.toBeInstanceOf(ResourceError);
      expect((await d.status(rc.ctx)).status).toBe('warn');
    }
    expect(existsSync(marker)).toBe(false);
    expect(await addressesOf(l.dev)).toEqual(expect.not.arrayContaining([`${l.svcAddr}/24`]));
    expect(rc.messages()).toEqual([]);
  });

  test('check_carrier: ipdev without carrier (its peer is down) makes the address down, said in one line; false ignores it', async () => {
    const l = await lan(scope());
    const rc = ctxFor(l.root);
    const d = createIpDriver(resourceConfig('ip#0', { ipname: l.svcAddr, ipdev: l.dev }));
    const unchecked = createIpDriver(resourceConfig('ip#0', { ipname: l.svcAddr, ipdev: l.dev, check_carrier: false }));
    await d.start(rc.ctx);
    expect(await d.status(rc.ctx)).toEqual({ status: 'up', log: [] });
    // a cable pulled: the other end of the veth goes down, ours loses its carrier
    await must(['ip', '-n', l.ns, 'link', 'set', l.peer, 'down']);
    expect(await d.status(rc.ctx)).toEqual({ status: 'down', log: [`warn: ${l.dev} has no carrier (check_carrier = false if its carrier says nothing, a bridge)`] });
    expect(await unchecked.status(rc.ctx)).toEqual({ status: 'up', log: [] });
    await must(['ip', '-n', l.ns, 'link', 'set', l.peer, 'up']);
    expect(await d.status(rc.ctx)).toEqual({ status: 'up', log: [] });
    await d.stop(rc.ctx);
  });

  test('alias = false: a plain secondary address, no eth0:1 label', async () => {
    const l = await lan(scope());
    const rc = ctxFor(l.root);
    const d = createIpDriver(resourceConfig('ip#0', { ipname: l.svcAddr, ipdev: l.dev, alias: false }));
    await expect(d.start(rc.ctx)).resolves.toBe('done');
    expect(rc.messages()).toContain(`ip addr add ${l.svcAddr}/24 dev ${l.dev}`);
    const shown = await must(['ip', '-o', '-4', 'addr', 'show', 'dev', l.dev]);
    const line = shown.split('\n').find((x) => x.includes(`${l.svcAddr}/24`)) ?? '';
    expect(line).not.toMatch(new RegExp(`${l.dev}:\\d`));
    expect(await d.status(rc.ctx)).toEqual({ status: 'up', log: [] });
    await d.stop(rc.ctx);
  });

  test('a missing ipdev is a clear error', async () => {
    const l = await lan(scope());
    const rc = ctxFor(l.root);
    const d = createIpDriver(resourceConfig('ip#0', { ipname: l.svcAddr, ipdev: `${scope().name('x')}` }));
    await expect(d.start(rc.ctx)).rejects.toThrow(/ipdev hasvct-\w+ not found/);
    expect(await d.status(rc.ctx)).toEqual({ status: 'warn', log: [expect.stringMatching(/^warn: ipdev .* not found$/)] });
  });
});
