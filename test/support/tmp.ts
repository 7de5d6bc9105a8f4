import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestScope } from './scope.js';
import { PREFIX } from './teardown.js';

/**
 * A fresh `/tmp/hasvct-<id>-XXXXXX` dir, removed by scope.close() after
 * whatever is mounted or loop-attached below it.
 */
export async function createTempDir(scope: TestScope): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `${PREFIX}${scope.id}-`));
  scope.track({ kind: 'dir', path: dir });
  return dir;
}
