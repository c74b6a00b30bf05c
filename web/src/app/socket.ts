// The page's one socket.io connection, typed by common/protocol.ts, and the requests it makes.
// Every request resolves to an Ack: a reply that never comes becomes an error value, not a hang.
import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  ApplyResult,
  ClientToServerEvents,
  DiagnoseVerdict,
  CodeViewPrimitive,
  InspectorView,
  LimitsRequest,
  LearnerProgress,
  LessonView,
  SeccompApplyRequest,
  SeccompProfileView,
  ServerToClientEvents,
  SessionInfo,
  SessionResumed,
  SessionResumeRequest,
  SessionStartRequest,
  SourceView,
} from '../../../common/protocol.js';
import type { DemoSummary, DemoView } from '../../../common/demo.js';
import type { Recording, RecordingStarted, ShareInfo } from '../../../common/present.js';
import type { ContainerSpec, ToggleId } from '../../../common/spec.js';
import { takeToken } from './url.js';

export type LabSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A reply covers a shell respawn (the server's launch timeout is 5 s) behind at most one queued change. */
const REPLY_TIMEOUT_MS = 15_000;

export function connectLab(token: string | null): LabSocket {
  return io({
    path: '/socket.io',
    transports: ['websocket'],
    auth: token ? { token } : {},
  });
}

/** A diagnosis runs up to 20 s on the server (server/diagnose/diagnose.ts DIAGNOSIS_BUDGET_MS) plus the last run's time limit. */
const DIAGNOSE_REPLY_TIMEOUT_MS = 45_000;

function withTimeout<T>(pending: Promise<Ack<T>>, timeoutMs = REPLY_TIMEOUT_MS): Promise<Ack<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<Ack<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, code: 'internal', message: 'the server did not answer in time' }), timeoutMs);
  });
  return Promise.race([pending, late]).finally(() => clearTimeout(timer));
}

export function startSession(socket: LabSocket, req: SessionStartRequest): Promise<Ack<SessionInfo>> {
  return withTimeout(socket.emitWithAck('session:start', req));
}

/** The shell a dropped connection left behind, re-attached; its screen follows as term:output. */
export function resumeSession(socket: LabSocket, req: SessionResumeRequest): Promise<Ack<SessionResumed>> {
  return withTimeout(socket.emitWithAck('session:resume', req));
}

export function openLesson(socket: LabSocket, lessonId: string): Promise<Ack<LessonView>> {
  return withTimeout(socket.emitWithAck('lesson:open', { lessonId }));
}

export function toggle(socket: LabSocket, id: ToggleId, on: boolean): Promise<Ack<{ spec: ContainerSpec }>> {
  return withTimeout(socket.emitWithAck('sandbox:toggle', { toggle: id, on }));
}

/** The settings editor's Apply: the whole spec as the learner wrote it (the server validates it). */
export function applySpec(socket: LabSocket, spec: unknown): Promise<Ack<ApplyResult>> {
  return withTimeout(socket.emitWithAck('sandbox:apply', { spec: spec as ContainerSpec }));
}

export function getSeccompProfile(socket: LabSocket): Promise<Ack<SeccompProfileView>> {
  return withTimeout(socket.emitWithAck('seccomp:get'));
}

export function applySeccompProfile(socket: LabSocket, profile: unknown): Promise<Ack<ApplyResult>> {
  return withTimeout(socket.emitWithAck('seccomp:apply', { profile } as SeccompApplyRequest));
}

/** A prediction answered: CHOICE picked (0 is A), or undefined when the answer was opened without a pick. */
export function answerPrediction(socket: LabSocket, lessonId: string, predictionId: string, choice: number | undefined): Promise<Ack<LearnerProgress>> {
  return withTimeout(socket.emitWithAck('progress:predict', { lessonId, predictionId, ...(choice === undefined ? {} : { choice }) }));
}

/** New cgroup limits for the running shell, written live (no new shell). */
export function setLimits(socket: LabSocket, request: LimitsRequest): Promise<Ack<{ spec: ContainerSpec }>> {
  return withTimeout(socket.emitWithAck('sandbox:limits', request));
}

/** The probe's report about the shell and the host, taken now. */
export function readInspector(socket: LabSocket): Promise<Ack<InspectorView>> {
  return withTimeout(socket.emitWithAck('inspector:refresh'));
}

/** The code view's source: plain HTTP (it is a read, not part of the session), with the same access token. */
export async function fetchSource(token: string | null, primitive: CodeViewPrimitive): Promise<Ack<SourceView>> {
  try {
    const res = await fetch(`/api/source/${encodeURIComponent(primitive)}`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(REPLY_TIMEOUT_MS),
    });
    const body = (await res.json()) as SourceView | { message?: string };
    if (res.ok) return { ok: true, data: body as SourceView };
    return { ok: false, code: res.status === 404 ? 'not_found' : res.status === 401 ? 'forbidden' : 'internal', message: (body as { message?: string }).message ?? res.statusText };
  } catch (err) {
    return { ok: false, code: 'internal', message: `the source could not be loaded: ${(err as Error).message}` };
  }
}

export function diagnose(socket: LabSocket, command: string): Promise<Ack<DiagnoseVerdict>> {
  return withTimeout(socket.emitWithAck('diagnose:run', { command }), DIAGNOSE_REPLY_TIMEOUT_MS);
}

const TOKEN_KEY = 'isolab.token';

/**
 * The access token the server printed in its URL (?token=…). It is moved out of the address bar
 * at once (bookmarks, screenshots, history) into this tab's sessionStorage, so a reload still works.
 */
export function takeAccessToken(): string | null {
  const { token, cleanUrl } = takeToken(window.location.href);
  if (cleanUrl !== null) window.history.replaceState(window.history.state, '', cleanUrl);
  try {
    if (token) window.sessionStorage.setItem(TOKEN_KEY, token);
    return token ?? window.sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return token; // storage disabled: this load only
  }
}

// Presenter mode's requests (common/present.ts): scripted demos, recordings, the audience's view.
export function listDemos(socket: LabSocket): Promise<Ack<DemoSummary[]>> {
  return withTimeout(socket.emitWithAck('demo:list'));
}

export function openDemo(socket: LabSocket, demoId: string): Promise<Ack<DemoView>> {
  return withTimeout(socket.emitWithAck('demo:open', { demoId }));
}

/** Reset to step N: a fresh shell with the step's settings, its setup run inside. */
export function resetDemo(socket: LabSocket, demoId: string, step: number): Promise<Ack<{ spec: ContainerSpec }>> {
  return withTimeout(socket.emitWithAck('demo:reset', { demoId, step }));
}

/** The speaker moved to step N: a chapter in the recording. */
export function demoStep(socket: LabSocket, demoId: string, step: number): Promise<Ack<null>> {
  return withTimeout(socket.emitWithAck('demo:step', { demoId, step }));
}

export function startRecording(socket: LabSocket, input: boolean): Promise<Ack<RecordingStarted>> {
  return withTimeout(socket.emitWithAck('record:start', { input }));
}

export function stopRecording(socket: LabSocket): Promise<Ack<Recording>> {
  return withTimeout(socket.emitWithAck('record:stop'));
}

export function startSharing(socket: LabSocket): Promise<Ack<ShareInfo>> {
  return withTimeout(socket.emitWithAck('share:start'));
}

export function stopSharing(socket: LabSocket): Promise<Ack<null>> {
  return withTimeout(socket.emitWithAck('share:stop'));
}
