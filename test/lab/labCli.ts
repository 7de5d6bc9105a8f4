import { LAB_NODES, LabError, assertLabNode, labDown, labInfo, labStatus, labUp, runInAttached } from './lab.js';

const USAGE = `usage: npm run lab -- <command>
  up              build node1 and node2 (removing what an earlier run left)
  down            remove everything the lab made
  status          show what is in place
  info            print the lab's description (devices, addresses, dirs) as JSON
  enter NODE      open a shell in NODE (${LAB_NODES.join(', ')})
  run NODE CMD... run CMD in NODE and exit with its code`;

function log(line: string): void {
  process.stderr.write(`lab: ${line}\n`);
}

function seconds(t0: number): string {
  return `${((performance.now() - t0) / 1000).toFixed(2)}s`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up': {
      const t0 = performance.now();
      const info = await labUp({ log });
      log(`up in ${seconds(t0)}`);
      for (const n of info.nodeNames) process.stdout.write(`${n}\t${info.nodes[n].addr}\tetc ${info.nodes[n].etc}\n`);
      process.stdout.write(`${info.svcHostname}\t${info.svcAddr}\n`);
      process.stdout.write(`vg ${info.vg} on ${info.pvDev}, fs#app ${info.appDev}, fs#data ${info.dataDev}, disk heartbeat ${info.hbDev}\n`);
      return 0;
    }
    case 'down': {
      const t0 = performance.now();
      await labDown({ log });
      log(`down in ${seconds(t0)}`);
      return 0;
    }
    case 'status': {
      const s = await labStatus();
      process.stdout.write(`lab\t${s.up ? 'up' : 'down'}\n`);
      for (const n of LAB_NODES) {
        const ns = s.nodes[n];
        const detail = ns.up ? `${ns.hostname ?? ''} ${ns.addr ?? 'no address'}` : 'no namespaces';
        process.stdout.write(`${n}\t${ns.up ? 'up' : 'down'}\t${detail}, ${ns.processes} process(es)\n`);
      }
      process.stdout.write(`bridge\t${s.bridge ? 'up' : 'absent'}\n`);
      process.stdout.write(`vg\t${s.vg ? 'present' : 'absent'}\n`);
      for (const l of s.loops) process.stdout.write(`loop\t${l.dev}\t${l.file}\n`);
      return s.up ? 0 : 1;
    }
    case 'info':
      process.stdout.write(`${JSON.stringify(labInfo(), null, 2)}\n`);
      return 0;
    case 'enter': {
      const [node] = rest;
      if (node === undefined || rest.length !== 1) break;
      // The tutorial's prompt: node1:/ #
      return runInAttached(assertLabNode(node), ['bash', '--norc', '-i'], { env: { PS1: '\\h:\\w # ', TERM: process.env.TERM ?? 'xterm' } });
    }
    case 'run': {
      const [node, ...cmd] = rest;
      if (node === undefined || cmd.length === 0) break;
      return runInAttached(assertLabNode(node), cmd);
    }
    default:
      break;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

// `npm run lab -- info | head` closes the pipe early: not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err instanceof LabError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
