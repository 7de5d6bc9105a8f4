import net from 'node:net';

/**
 * Whether a host's kernel answers a TCP connection to port: 'refused' (it
 * lives, nothing listens), 'accepted' (it lives, something listens, maybe
 * frozen), undefined (nothing within timeoutMs, or unreachable: no word of
 * its life). The connection is closed at once, nothing is sent.
 */
export function probeHost(host: string, port: number, timeoutMs: number): Promise<'refused' | 'accepted' | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let done = false;
    const end = (r: 'refused' | 'accepted' | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => end(undefined), timeoutMs);
    sock.once('connect', () => end('accepted'));
    sock.once('error', (e: NodeJS.ErrnoException) => end(e.code === 'ECONNREFUSED' ? 'refused' : undefined));
  });
}
