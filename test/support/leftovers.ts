import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { loopTable, mounts } from './proc.js';
import { run } from './sh.js';
import { PREFIX } from './teardown.js';

/**
 * Every `hasvct-*` object on the machine, whoever made it: netns, links,
 * loop devices on hasvct files, VGs, mounts, temp dirs. A check for the end
 * of a run (or a human) — concurrent runs show up here too.
 */
export async function listLeftovers(): Promise<string[]> {
  const out: string[] = [];
  const ns = (await run(['ip', 'netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0] ?? '');
  out.push(...ns.filter((n) => n.startsWith(PREFIX)).map((n) => `netns ${n}`));
  const links = (await run(['ip', '-o', 'link', 'show'])).stdout.split('\n').map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? '');
  out.push(...links.filter((n) => n.startsWith(PREFIX)).map((n) => `link ${n}`));
  out.push(...(await loopTable()).filter((l) => l.file.includes(`/${PREFIX}`)).map((l) => `loop ${l.dev} (${l.file})`));
  const vgs = (await run(['vgs', '--noheadings', '-o', 'vg_name'])).stdout.split('\n').map((l) => l.trim());
  out.push(...vgs.filter((n) => n.startsWith(PREFIX)).map((n) => `vg ${n}`));
  out.push(...(await mounts()).filter((m) => m.target.includes(PREFIX)).map((m) => `mount ${m.target}`));
  out.push(...(await readdir(tmpdir())).filter((n) => n.startsWith(PREFIX)).map((n) => `dir ${tmpdir()}/${n}`));
  return out;
}
