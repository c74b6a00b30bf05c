// The audience's listener, for real on loopback: a viewer with the code gets the screen and then
// the live output, and acknowledges it; a wrong or unknown code, the default namespace and the
// lab's own page are refused; when sharing ends the viewer is told.
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WatchClientEvents, WatchScreen, WatchServerEvents } from '../../common/watch.js';
import { REPO_ROOT } from '../../server/base/paths.js';
import { TerminalBroadcast } from '../../server/base/terminal-broadcast.js';
import { MAX_WRONG_CODES_PER_MINUTE, createAudienceServer, type AudienceServer } from '../../server/transport/audience.js';

const CODE = 'ABC234';
const broadcast = new TerminalBroadcast(80, 24);
const ended = new Set<() => void>();
let audience: AudienceServer;
let url: string;

beforeAll(async () => {
  audience = createAudienceServer({
    webDir: join(REPO_ROOT, 'build', 'web'),
    shares: {
      broadcast: (code) => (code === CODE ? broadcast : undefined),
      onEnded: (_code, listener) => {
        ended.add(listener);
        return () => ended.delete(listener);
      },
    },
  });
  const { port } = await audience.listen(0, '127.0.0.1');
  url = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await audience.close();
  broadcast.close();
});

const watch = (code: string): Socket<WatchServerEvents, WatchClientEvents> => connect(`${url}/watch`, { auth: { code }, transports: ['websocket'], reconnection: false });
const refusal = (socket: Socket) => new Promise<string>((resolve) => socket.on('connect_error', (e) => resolve(e.message)));

describe('the audience listener', () => {
  it('sends a viewer the screen, then the live output, and takes its acknowledgements', async () => {
    broadcast.write(Buffer.from('$ hostname\r\ndemo\r\n'));
    const viewer = watch(CODE);
    const screen = await new Promise<WatchScreen>((resolve) => viewer.on('watch:screen', resolve));
    expect(screen).toMatchObject({ cols: 80, rows: 24 });
    expect(screen.data).toContain('demo');
    const output = new Promise<Buffer>((resolve) => viewer.on('watch:output', (d) => resolve(Buffer.from(d as ArrayBuffer))));
    broadcast.write(Buffer.from('$ ps\r\n'));
    expect((await output).toString()).toBe('$ ps\r\n');
    viewer.emit('watch:ack', { bytes: 6 });
    expect(audience.viewers).toBe(1);
    const endedMessage = new Promise<string>((resolve) => viewer.on('watch:ended', (e) => resolve(e.message)));
    for (const l of ended) l();
    expect(await endedMessage).toMatch(/stopped sharing/);
    viewer.close();
  });

  it('refuses a malformed or unknown code, and the default namespace', async () => {
    expect(await refusal(watch('nope'))).toMatch(/not a watch code/);
    expect(await refusal(watch('ZZZ999'))).toMatch(/nothing is shared/);
    const root = connect(url, { transports: ['websocket'], reconnection: false });
    expect(await refusal(root)).toMatch(/audience view is \/watch/);
    root.close();
  });

  it('stops an address that keeps guessing codes, even before the right one', async () => {
    // Two wrong codes came from this address in the test above; the rest of the minute's allowance here.
    for (let i = 2; i < MAX_WRONG_CODES_PER_MINUTE; i++) expect(await refusal(watch('ZZZ999'))).toMatch(/nothing is shared/);
    expect(await refusal(watch(CODE))).toMatch(/too many wrong codes/);
  });

  it('serves the watch page at the short link and never the lab itself', async () => {
    const page = await fetch(`${url}/w/${CODE}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('isolab · live');
    expect((await fetch(`${url}/index.html`)).status).toBe(404);
    expect(await (await fetch(`${url}/`)).text()).toMatch(/audience view/);
    expect((await fetch(`${url}/socket.io/?EIO=4&transport=polling`)).status).toBeGreaterThanOrEqual(400);
  });
});
