// A TCP relay between a browser and a lab server whose cable a test can pull: cut() closes every
// connection through it and refuses new ones for a while, as a laptop's sleep or a Wi-Fi change
// does to a page. The page reconnects on its own once the relay accepts again.
import { createServer, connect, type Server, type Socket } from 'node:net';

export class CutProxy {
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  private down = false;

  private constructor(private readonly targetPort: number) {
    this.server = createServer((client) => {
      if (this.down) return client.destroy();
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.open.add(s);
        s.on('close', () => this.open.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  /** A relay on a free loopback port to TARGET_URL's port. */
  static async start(targetUrl: string): Promise<CutProxy> {
    const proxy = new CutProxy(Number(new URL(targetUrl).port));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('the relay is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /** Drops every connection now and refuses new ones until restore(). */
  cut(): void {
    this.down = true;
    for (const s of this.open) s.destroy();
  }

  restore(): void {
    this.down = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
