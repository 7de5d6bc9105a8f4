import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { chromium, type Page } from 'playwright-core';
import { useTestScope } from '../../support/jest.js';
import type { TestScope } from '../../support/scope.js';
import { ensureBuilt, eventsOf, sleepAppRunning, waitForEvents } from '../daemon/support.js';
import { ofType, OPERATOR, request, webNode, type WebNode } from './support.js';

/** Debian's chromium: browsers cannot be downloaded here, and need not be. */
const CHROMIUM = '/usr/bin/chromium';
/** what "live" means for the page: a change in the log shows within this */
const LIVE_MS = 3000;

async function browse(scope: TestScope, url: string): Promise<Page> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  scope.defer('chromium', () => browser.close());
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  scope.defer('no script error on the page', () => expect(problems).toEqual([]));
  await page.goto(url);
  return page;
}

/** Click an action of the service page, type the service name in the confirmation, confirm; the message the page shows after. */
async function act(page: Page, action: string, svc: string): Promise<string> {
  await page.click(`#svc-actions button[data-action=${action}]`);
  await page.waitForSelector('#confirm[open]');
  expect(await page.isDisabled('#confirm-ok')).toBe(true);
  await page.fill('#confirm-input', svc);
  await page.click('#confirm-ok');
  const msg = page.locator('#message');
  await msg.filter({ hasText: new RegExp(`^${action} ${svc}(: | refused)`) }).waitFor({ timeout: 30_000 });
  return (await msg.textContent()) ?? '';
}

const cell = (svc: string, node: string, attrs: string) => `#services td.cell[data-svc=${svc}][data-node=${node}]${attrs}`;

describe('the web view in a real browser (headless Chromium)', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('the page shows the cluster and follows it live: a thaw, a freeze and a stop from the CLI show within seconds; the event stream filters', async () => {
    const n = await webNode(scope());
    await n.start();
    expect((await n.svcmgr(['-s', 'svc1', 'start', '--local'])).exitCode).toBe(0);
    // the page comes with the status of the moment inside it, as /web/api/status says it: drawn before any other request
    const html = await request(n.listenerPort, 'GET', '/web/');
    expect(html.headers['cache-control']).toBe('no-store');
    const inlined = /<script type="application\/json" id="status-now">(.*?)<\/script>/s.exec(html.body);
    expect(JSON.parse(inlined![1]!)).toMatchObject({ node: 'node1', services: [expect.objectContaining({ name: 'svc1', avail: 'up' })] });
    const page = await browse(scope(), `${n.base}/web/`);
    expect(await page.$('#status-now')).toBeNull();
    await page.waitForSelector('#live[data-state=live]', { timeout: 10_000 });
    // svcmon's picture: threads, the node, svc1 up on node1
    await page.waitForSelector(cell('svc1', 'node1', '[data-avail=up]'), { timeout: LIVE_MS });
    const status = await n.status();
    expect(await page.textContent('#cluster')).toContain(`${status.cluster} — node1`);
    expect(await page.textContent('#threads tr[data-thread=listener]')).toContain(`running127.0.0.1:${n.listenerPort}`);
    expect(await page.textContent('#services tr[data-svc=svc1] td.avail')).toMatch(/^up\*?$/);

    expect((await n.svcmgr(['-s', 'svc1', 'freeze', '--local'])).exitCode).toBe(0);
    await page.waitForSelector(cell('svc1', 'node1', '[data-frozen=true]'), { timeout: LIVE_MS });
    expect(await page.textContent('#services tr[data-svc=svc1] td.avail')).toBe('up*');
    expect((await n.svcmgr(['-s', 'svc1', 'thaw', '--local'])).exitCode).toBe(0);
    await page.waitForSelector(cell('svc1', 'node1', '[data-frozen=false]'), { timeout: LIVE_MS });
    expect((await n.svcmgr(['-s', 'svc1', 'stop', '--local'])).exitCode).toBe(0);
    await page.waitForSelector(cell('svc1', 'node1', '[data-avail=down]'), { timeout: LIVE_MS });
    expect(await page.textContent('#services tr[data-svc=svc1] td.avail')).toBe('down');

    // the event stream, filtered by service and type; a new event of the filter shows live
    await page.goto(`${n.base}/web/#/events?svc=svc1&type=InstanceFrozen,InstanceThawed`);
    await page.waitForSelector('#events tbody tr[data-type=InstanceFrozen]');
    const types = async () => page.$$eval('#events tbody tr', (rows) => rows.map((r) => r.getAttribute('data-type')));
    // what the log holds for the filter, newest first
    const held = (await n.events()).filter((e) => e.event.svc === 'svc1' && (e.event.type === 'InstanceFrozen' || e.event.type === 'InstanceThawed')).map((e) => e.event.type).reverse();
    expect(held.slice(0, 2)).toEqual(['InstanceThawed', 'InstanceFrozen']);
    expect(await types()).toEqual(held);
    expect((await n.svcmgr(['-s', 'svc1', 'freeze', '--local'])).exitCode).toBe(0);
    await page.waitForFunction((count) => document.querySelectorAll('#events tbody tr').length === count, held.length + 1, { timeout: LIVE_MS });
    expect(await types()).toEqual(['InstanceFrozen', ...held]);
    expect(await page.inputValue('#event-filters input[name=svc]')).toBe('svc1');
    await n.stop();
  });

  test('the service page: print status and history; an action is refused without login, done with it after a confirmation, recorded with the user; start and stop are targets for the cluster', async () => {
    const n = await webNode(scope());
    await n.start();
    expect((await n.svcmgr(['-s', 'svc1', 'start', '--local'])).exitCode).toBe(0);
    expect((await n.svcmgr(['-s', 'svc1', 'freeze', '--local'])).exitCode).toBe(0);
    const page = await browse(scope(), `${n.base}/web/#/svc/svc1`);
    await page.waitForSelector('#svc-status[data-avail=up][data-frozen=true]', { timeout: 10_000 });
    // the CLI's print status tree and print history, as the CLI prints them
    const tree = (await n.svcmgr(['-s', 'svc1', 'print', 'status', '--color', 'no'])).stdout.trimEnd().split('\n');
    expect((await page.textContent('#svc-status'))?.trimEnd().split('\n').slice(0, 4)).toEqual(tree.slice(0, 4));
    const history = (await n.svcmgr(['-s', 'svc1', 'print', 'history'])).stdout.trimEnd();
    expect(await page.textContent('#svc-history')).toBe(history);
    expect(await page.textContent('#svc-actions-hint')).toBe('log in as the operator to act');

    // no login: refused by the daemon, nothing done, nothing recorded
    expect(await act(page, 'stop', 'svc1')).toBe('stop svc1 refused: log in as the operator first');
    expect(sleepAppRunning(path.join(n.root, 'svc1.pid'))).toBe(true);
    expect(eventsOf(await n.events(), 'OperatorActionRequested')).toEqual([]);

    // a wrong password, then the right one
    await page.fill('#login input[name=user]', OPERATOR.user);
    await page.fill('#login input[name=password]', 'not the password');
    await page.click('#login button[type=submit]');
    await page.locator('#message', { hasText: 'login refused: wrong user or password' }).waitFor();
    await page.fill('#login input[name=password]', OPERATOR.password);
    await page.click('#login button[type=submit]');
    await page.locator('#user', { hasText: `operator: ${OPERATOR.user}` }).waitFor();
    expect(await page.isHidden('#login')).toBe(true);
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, secure: c.secure, sameSite: c.sameSite }))).toEqual([{ name: '__Host-hasvc_session', httpOnly: true, secure: true, sameSite: 'Strict' }]);
    // the page's scripts cannot read the session cookie
    expect(await page.evaluate(() => document.cookie)).toBe('');

    // a cancelled confirmation does nothing
    await page.click('#svc-actions button[data-action=stop]');
    await page.waitForSelector('#confirm[open]');
    await page.click('#confirm button[value=cancel]');
    expect(await page.isVisible('#confirm')).toBe(false);

    // stop: the service's target for the cluster, as svcmgr -s svc1 stop; the orchestrator freezes and stops the instance
    expect(await page.textContent('#svc-actions-hint')).toBe('acting as admin: start and stop for the cluster, freeze and thaw on node1');
    await page.click('#svc-actions button[data-action=stop]');
    expect(await page.textContent('#confirm-text')).toBe('Stop svc1 on every node of the cluster?');
    await page.click('#confirm button[value=cancel]');
    expect(await act(page, 'stop', 'svc1')).toBe('stop svc1: target stopped recorded\nsvc1: target stopped for the cluster, asked by admin');
    await page.waitForSelector('#svc-status[data-avail=down]', { timeout: LIVE_MS });
    expect(sleepAppRunning(path.join(n.root, 'svc1.pid'))).toBe(false);
    // the history shown follows: the web stop's target, by the operator
    await page.locator('#svc-history', { hasText: 'target stopped (stop by admin)' }).first().waitFor({ timeout: LIVE_MS });
    await waitForEvents(n, 'the stop target reached', (a) => ofType(a, 'ServiceTargetReached', 'svc1').length === 1);
    expect(await act(page, 'thaw', 'svc1')).toBe('thaw svc1: done\nnode1.svc1: thawed by admin');
    await page.waitForSelector('#svc-status[data-frozen=false]', { timeout: LIVE_MS });
    // start: the target started, reached here (the service's only node)
    expect(await act(page, 'start', 'svc1')).toBe('start svc1: target started recorded\nsvc1: target started for the cluster, asked by admin');
    await page.waitForSelector('#svc-status[data-avail=up]', { timeout: 15_000 });
    expect(sleepAppRunning(path.join(n.root, 'svc1.pid'))).toBe(true);

    const all = await waitForEvents(n, 'the start target reached', (a) => ofType(a, 'ServiceTargetReached', 'svc1').length === 2);
    expect(ofType(all, 'OperatorActionRequested').map((e) => e.data)).toEqual([
      { action: 'stop', user: 'admin', via: 'web', from: '127.0.0.1' },
      { action: 'thaw', user: 'admin', via: 'web', from: '127.0.0.1' },
      { action: 'start', user: 'admin', via: 'web', from: '127.0.0.1' },
    ]);
    expect(ofType(all, 'InstanceThawed', 'svc1').some((e) => e.causation === ofType(all, 'OperatorActionRequested')[1]!.id)).toBe(true);
    // each web request recorded before its target, which names the operator; the orchestrator runs the actions
    const asked = ofType(all, 'OperatorActionRequested');
    const targets = ofType(all, 'ServiceTargetRequested', 'svc1');
    expect(targets.map((e) => e.data)).toEqual([
      { target: 'stopped', action: 'stop', by: 'admin' },
      { target: 'started', action: 'start', by: 'admin' },
    ]);
    // each target says which web request asked for it: why follows it back to the operator
    expect(targets.map((e) => e.causation)).toEqual([asked[0]!.id, asked[2]!.id]);
    const order = all.map((e) => e.event.id);
    expect(order.indexOf(asked[0]!.id)).toBeLessThan(order.indexOf(targets[0]!.id));
    expect(order.indexOf(asked[2]!.id)).toBeLessThan(order.indexOf(targets[1]!.id));
    const actions = ofType(all, 'ActionStarted', 'svc1').filter((e) => e.data.user === 'orchestrator').map((e) => e.data.action);
    expect(actions).toEqual(['stop', 'start']);

    // logged out: the next action is refused again
    await page.click('#logout');
    await page.waitForSelector('#login:not([hidden])');
    expect(await act(page, 'start', 'svc1')).toBe('start svc1 refused: log in as the operator first');
    await n.stop();
  });

  test('[web] public = false: the page asks for the login before it shows anything', async () => {
    const n: WebNode = await webNode(scope(), { public: false });
    await n.start();
    const page = await browse(scope(), `${n.base}/web/`);
    await page.waitForSelector('#live[data-state=login]');
    expect(await page.$$('#services tr[data-svc]')).toEqual([]);
    expect(await page.evaluate(async () => (await fetch('/web/api/status')).status)).toBe(401);
    expect(await page.evaluate(async () => (await fetch('/web/api/live')).status)).toBe(401);
    // the page itself carries no status for a reader not logged in
    const carries = () => page.evaluate(async () => (await (await fetch('/web/')).text()).includes('id="status-now"'));
    expect(await carries()).toBe(false);
    await page.fill('#login input[name=user]', OPERATOR.user);
    await page.fill('#login input[name=password]', OPERATOR.password);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#services tr[data-svc=svc1]', { timeout: LIVE_MS });
    await page.waitForSelector('#live[data-state=live]');
    expect(await carries()).toBe(true);
    await n.stop();
  });
});
