// Every event the page may send, with the zod schema its payload is parsed with on arrival — one
// table, tied at compile time to ClientToServerEvents (common/protocol.ts): an event without a
// schema, a schema for an event that does not exist, or a schema that parses to anything but the
// event's payload type (sideterm:input checked with SideResize) does not compile.
import type { z } from 'zod';
import { DemoOpenRequest, DemoResetRequest, DemoStepRequest, RecordMarkerRequest, RecordStartRequest } from './present.js';
import {
  CompareOpenRequest,
  DiagnoseRequest,
  LessonOpenRequest,
  LimitsRequest,
  PredictionRequest,
  SandboxApplyRequest,
  SeccompApplyRequest,
  SessionResumeRequest,
  SessionStartRequest,
  SideAck,
  SideClose,
  SideInput,
  SideOpenRequest,
  SideResize,
  TermAck,
  TermInput,
  TermSize,
  ToggleRequest,
  type AckFn,
  type ClientToServerEvents,
} from './protocol.js';

export type ClientEvent = keyof ClientToServerEvents;

/** An ack of any reply: only its shape matters here. */
type AnyAck = AckFn<any>;
type Params<E extends ClientEvent> = Parameters<ClientToServerEvents[E]>;

/** What event E carries before its ack; undefined when it carries nothing. */
export type EventPayload<E extends ClientEvent> =
  Params<E> extends [infer P, AnyAck] ? P : Params<E> extends [AnyAck] ? undefined : Params<E> extends [infer P] ? P : undefined;

/** What event E's ack replies with; void when it has no ack. */
export type EventReply<E extends ClientEvent> = Params<E> extends [...unknown[], AckFn<infer T>] ? T : void;

/** Whether event E is sent with an ack callback. */
export type HasAck<E extends ClientEvent> = Params<E> extends [...unknown[], AnyAck] ? true : false;

/** A schema that parses to P, or null for an event that carries nothing. */
type SchemaFor<P> = [P] extends [undefined] ? null : z.ZodType<P>;

/** The shape of the table: every client event, each with a schema of its payload's type. */
export type ClientEventSchemas = { readonly [E in ClientEvent]: SchemaFor<EventPayload<E>> };

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;
/** Exactly the same type (not just assignable: a schema that drops an optional field differs). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** The events of TABLE whose schema parses to something other than exactly their payload type. */
export type MismatchedEvents<Table extends ClientEventSchemas> = {
  [E in ClientEvent]: Same<Parsed<Table[E]>, EventPayload<E>> extends true ? never : E;
}[ClientEvent];

/** `true` when every schema of TABLE parses to exactly its event's payload; otherwise names the events that do not. */
export type SchemasMatchPayloads<Table extends ClientEventSchemas> = [MismatchedEvents<Table>] extends [never] ? true : { mismatched: MismatchedEvents<Table> };

export const CLIENT_EVENT_SCHEMAS = {
  'session:start': SessionStartRequest,
  'session:resume': SessionResumeRequest,
  'term:input': TermInput,
  'term:resize': TermSize,
  'term:ack': TermAck,
  'sandbox:toggle': ToggleRequest,
  'sandbox:limits': LimitsRequest,
  'lesson:open': LessonOpenRequest,
  'inspector:refresh': null,
  'export:get': null,
  'sandbox:apply': SandboxApplyRequest,
  'seccomp:get': null,
  'seccomp:apply': SeccompApplyRequest,
  'progress:predict': PredictionRequest,
  'compare:open': CompareOpenRequest,
  'compare:close': null,
  'sideterm:open': SideOpenRequest,
  'sideterm:input': SideInput,
  'sideterm:resize': SideResize,
  'sideterm:ack': SideAck,
  'sideterm:close': SideClose,
  'diagnose:run': DiagnoseRequest,
  'demo:list': null,
  'demo:open': DemoOpenRequest,
  'demo:reset': DemoResetRequest,
  'demo:step': DemoStepRequest,
  'record:start': RecordStartRequest,
  'record:marker': RecordMarkerRequest,
  'record:stop': null,
  'share:start': null,
  'share:stop': null,
} as const satisfies ClientEventSchemas;

/** Fails to compile when a schema above parses to anything but exactly its event's payload type. */
export const CLIENT_EVENT_SCHEMAS_MATCH: SchemasMatchPayloads<typeof CLIENT_EVENT_SCHEMAS> = true;

