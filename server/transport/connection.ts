// One browser's socket: its session, the state its handlers share (the comparison it watches, its
// other terminals), and the one way an event reaches a handler: counted against a rate limit,
// parsed with its schema from common/client-events.ts, its result or error sent back as an ack.
// Only whitelisted error codes reach the browser; anything else is logged and sent as "internal".
import type { Socket } from 'socket.io';
import type { z } from 'zod';
import { CLIENT_EVENT_SCHEMAS, type ClientEvent, type EventPayload, type EventReply } from '../../common/client-events.js';
import {
  describeZodError,
  fieldIssues,
  type Ack,
  type ClientToServerEvents,
  type ErrorCode,
  type FieldIssue,
  type ServerToClientEvents,
} from '../../common/protocol.js';
import { DisposableStore, type Disposer } from '../base/disposable.js';
import { LabError } from '../base/errors.js';
import type { CompareService } from '../compare/service.js';
import { SideTerminals } from '../compare/side-terminals.js';
import type { SessionHolder } from '../session/resumable.js';
import type { Session, SessionOutput } from '../session/session.js';
import { CompareWatch } from './compare-watch.js';
import { SessionClock, type SessionLimits } from './session-clock.js';

export type LabSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** Handles one event's parsed payload; what it returns is the ack's data. */
export type Handler<E extends ClientEvent> = (payload: EventPayload<E>, conn: Connection) => EventReply<E> | Promise<EventReply<E>>;
/** The handlers of some events (a handler module's), or of all of them. */
export type Handlers<E extends ClientEvent = ClientEvent> = { [K in E]: Handler<K> };

/** Events per second one browser may send (typing and pasting included); beyond it, messages are dropped with an error. */
export const MAX_EVENTS_PER_SECOND = 500;

/**
 * What the page sends by itself, not the learner doing anything: flow control as output arrives,
 * and the terminal's size (a banner appearing resizes it, and must not count as "still here").
 */
const NOT_ACTIVITY: ReadonlySet<ClientEvent> = new Set(['term:ack', 'sideterm:ack', 'term:resize', 'sideterm:resize']);

/**
 * Events whose answer costs probes, and how many of each one browser may have unanswered at once.
 * The page never has more than two (the inspector's Read again, and its refresh after a command);
 * the rest of a flood is refused at once with a small reply, instead of each waiting for, and
 * then carrying, a whole report.
 */
const EXPENSIVE_EVENTS: ReadonlySet<ClientEvent> = new Set(['inspector:refresh', 'diagnose:run', 'compare:open']);
export const MAX_UNANSWERED_EXPENSIVE = 2;

const END_MESSAGES = {
  idle: 'This session ended because nothing was typed for a while. Your progress is saved; reload the page to start again.',
  max_length: 'This session reached the longest a session may last on this server. Your progress is saved; reload the page to start again.',
} as const;

type Reply = (result: Ack<unknown>) => void;
/** The socket as socket.io calls it: any event name, any arguments (they are parsed before use). */
type UntypedSocket = { on(event: string, listener: (...args: unknown[]) => void): void };

export class Connection implements SessionHolder {
  /** The learner's session, once session:start succeeded. */
  session: Session | undefined;
  /** Server time from spawning the current shell's launcher to its ready line (the comparison shows it). */
  private spawnToReadyMs: number | null = null;
  private compareWatch: CompareWatch | undefined;
  private sides: SideTerminals | undefined;
  /** What this socket holds (its session, its other terminals), released when the browser goes. */
  private readonly store = new DisposableStore();
  private windowStart = Date.now();
  private eventsInWindow = 0;
  private readonly clock: SessionClock | undefined;
  /** Expensive events of this browser still waiting for their answer, by event. */
  private readonly unanswered = new Map<ClientEvent, number>();
  /** While over its budget, the socket is not read (see throttle()). */
  private resumeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: LabSocket,
    private readonly compare: CompareService | undefined,
    /** A shell on the host for presenter mode: a solo lab's, never a workshop server's. */
    private readonly hostShell = false,
    /** The idle timeout and maximum length; absent = the connection lasts as long as the browser keeps it. */
    limits?: SessionLimits,
  ) {
    socket.once('disconnect', () => this.store.dispose());
    this.store.add(() => clearTimeout(this.resumeTimer));
    if (limits && (limits.idleMs > 0 || limits.maxMs > 0)) {
      const clock = new SessionClock(limits, {
        expiring: (warning) => socket.emit('session:expiring', warning),
        ended: (reason) => {
          socket.emit('session:ended', { reason, message: END_MESSAGES[reason] });
          socket.disconnect(true);
        },
      });
      this.store.add(() => clock.dispose());
      this.clock = clock;
    }
  }

  /** Runs DISPOSER when the browser goes; release() runs it earlier. */
  onClose(disposer: Disposer): Disposer {
    return this.store.add(disposer);
  }

  release(disposer: Disposer): void {
    this.store.release(disposer);
  }

  /**
   * Another page re-attached to this connection's session with its token (this one's drop had not
   * been noticed yet, or a copied tab): it no longer reaches the shell, and it is disconnected.
   */
  lose(): void {
    this.session = undefined;
    this.socket.disconnect(true);
  }

  /** The session, or not_started. */
  started(): Session {
    if (!this.session) throw new LabError('not_started', 'send session:start first');
    return this.session;
  }

  /** What a session tells this browser. */
  sessionOutput(): SessionOutput {
    const socket = this.socket;
    return {
      output: (frame) => socket.emit('term:output', frame),
      ready: (r) => {
        socket.emit('sandbox:ready', r);
        this.spawnToReadyMs = r.spawnToReadyUs / 1000;
        // A toggle replaced the shell: its column follows at once.
        this.compareWatch?.shellReplaced();
      },
      exit: (e) => socket.emit('sandbox:exit', e),
      error: (e) => socket.emit('sandbox:error', e),
      inspector: (v) => socket.emit('inspector:update', v),
      lessonStatus: (s) => socket.emit('lesson:status', s),
      limits: (u) => socket.emit('sandbox:updated', u),
      progress: (p) => socket.emit('progress:update', p),
    };
  }

  /** The comparison panel of this browser, or not_found where the server does not offer it. */
  comparison(): CompareWatch {
    if (!this.compareWatch) {
      const watch = new CompareWatch(this.comparing(), () => ({ session: this.session, spawnToReadyMs: this.spawnToReadyMs }), (view) => this.socket.emit('compare:update', view));
      this.store.add(() => watch.dispose());
      this.compareWatch = watch;
    }
    return this.compareWatch;
  }

  /** The comparison panel, if it was ever opened. */
  existingComparison(): CompareWatch | undefined {
    return this.compareWatch;
  }

  /** This browser's other terminals (gVisor, the VM, the host's in presenter mode), opened on first use. */
  sideTerminals(): SideTerminals {
    if (!this.sides) {
      const sides = new SideTerminals(
        this.compare,
        {
          output: (target, frame) => this.socket.emit('sideterm:output', { target, data: frame }),
          exit: (target, message) => this.socket.emit('sideterm:exit', { target, message }),
        },
        this.hostShell,
      );
      this.store.add(() => sides.dispose());
      this.sides = sides;
    }
    return this.sides;
  }

  /** The other terminals, if one was ever opened. */
  existingSideTerminals(): SideTerminals | undefined {
    return this.sides;
  }

  /** Registers every handler of HANDLERS. */
  register(handlers: Handlers): void {
    for (const event of Object.keys(handlers) as ClientEvent[]) {
      // One event at a time: each handler is the one for its own event (Handlers maps them so).
      this.on(event, handlers[event] as Handler<typeof event>);
    }
  }

  /** Registers HANDLER for EVENT: it receives only a payload its schema accepted; its errors become error acks. */
  on<E extends ClientEvent>(event: E, handler: Handler<E>): void {
    const schema: z.ZodType | null = CLIENT_EVENT_SCHEMAS[event];
    (this.socket as unknown as UntypedSocket).on(event, (...args: unknown[]) => {
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Reply) : undefined;
      if (!this.admit()) return this.fail(event, ack, 'rate_limited', 'too many messages; slow down');
      if (!NOT_ACTIVITY.has(event)) this.clock?.activity();
      let payload: unknown = undefined;
      if (schema) {
        const parsed = schema.safeParse(args[0]);
        if (!parsed.success) return this.fail(event, ack, 'bad_request', `${event}: ${describeZodError(parsed.error)}`, fieldIssues(parsed.error));
        payload = parsed.data;
      } else if (args.length > 0) {
        return this.fail(event, ack, 'bad_request', `${event} takes no payload`);
      }
      const expensive = EXPENSIVE_EVENTS.has(event);
      if (expensive) {
        const pending = this.unanswered.get(event) ?? 0;
        if (pending >= MAX_UNANSWERED_EXPENSIVE) return this.fail(event, ack, 'rate_limited', `${event}: the answer to your last one is on its way; wait for it`);
        this.unanswered.set(event, pending + 1);
      }
      Promise.resolve()
        .then(() => handler(payload as EventPayload<E>, this))
        .finally(() => {
          if (expensive) this.unanswered.set(event, (this.unanswered.get(event) ?? 1) - 1);
        })
        .then(
          (data) => ack?.({ ok: true, data }),
          (err: unknown) => {
            if (err instanceof LabError) return this.fail(event, ack, err.code, err.message, err.issues);
            console.error(`[isolab] ${event} failed:`, err);
            this.fail(event, ack, 'internal', 'internal error (logged on the server)');
          },
        );
    });
  }

  private comparing(): CompareService {
    if (!this.compare) throw new LabError('not_found', 'this server does not offer the comparison');
    return this.compare;
  }

  /** Counts one event against this second's budget; over it, the socket is throttled. */
  private admit(): boolean {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.eventsInWindow = 0;
    }
    if (++this.eventsInWindow <= MAX_EVENTS_PER_SECOND) return true;
    this.throttle(1000 - (now - this.windowStart));
    return false;
  }

  /**
   * Stops reading this browser's WebSocket for MS: what it sends meanwhile waits in the kernel's
   * buffers and its own, so a flood costs the server what arrived before the pause and nothing
   * more (TCP backpressure slows its sender only). Long-polling is not throttled: it carries one
   * bounded request at a time (maxHttpBufferSize) anyway.
   */
  private throttle(ms: number): void {
    if (this.resumeTimer) return;
    const transport = this.socket.conn.transport as unknown as { name: string; socket?: { pause(): void; resume(): void } };
    const ws = transport.name === 'websocket' ? transport.socket : undefined;
    if (!ws) return;
    ws.pause();
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      ws.resume();
    }, ms);
  }

  private fail(event: string, ack: Reply | undefined, code: ErrorCode, message: string, issues?: FieldIssue[]): void {
    if (ack) ack({ ok: false, code, message, ...(issues?.length ? { issues } : {}) });
    else this.socket.emit('session:error', { code, message, event });
  }
}
