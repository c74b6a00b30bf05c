// The heap of another Node process, read through its inspector (node --inspect=127.0.0.1:0): a full
// garbage collection first, so what is measured is what that process still holds, not what it has
// not collected yet. For the leak test's "server memory flat"; the server itself has no hook for it.
import { createRequire } from 'node:module';

/** Just what is used of the `ws` package (socket.io's WebSocket implementation), typed once here. */
interface InspectorSocket {
  on(event: 'open', listener: () => void): void;
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  send(data: string): void;
  close(): void;
}
const WebSocketClient = createRequire(import.meta.url)('ws') as new (url: string) => InspectorSocket;

/** "Debugger listening on ws://…" in a process's stderr: its inspector's address. */
export function inspectorUrl(stderr: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1];
}

/** Bytes of JavaScript heap the process at URL holds after a full collection. */
export function heapAfterGc(url: string, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocketClient(url);
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error('the inspector did not answer'));
    }, timeoutMs);
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on('open', () => {
      ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
      ws.send(JSON.stringify({ id: 2, method: 'Runtime.getHeapUsage' }));
    });
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { id?: number; result?: { usedSize?: number }; error?: { message: string } };
      if (msg.id !== 2) return;
      clearTimeout(timer);
      ws.close();
      if (msg.result?.usedSize !== undefined) resolve(msg.result.usedSize);
      else reject(new Error(`Runtime.getHeapUsage: ${msg.error?.message ?? 'no answer'}`));
    });
  });
}
