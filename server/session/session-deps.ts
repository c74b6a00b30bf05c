// The OS-facing dependencies of a Session, built one way for every caller: the server (`isolab
// serve`), `isolab lessons verify` and the tests, so that what verify checks is what learners get.
import { AtWork } from './at-work.js';
import { availableParallelism, hostname } from 'node:os';
import { FairQueue } from '../base/fair-queue.js';
import type { ServerMode } from '../../common/protocol.js';
import { ContainerContexts } from '../runtime/container-context.js';
import { hostAccountsSwap } from '../runtime/host-limits.js';
import { Diagnoser, MAX_CONCURRENT_DIAGNOSES } from '../diagnose/diagnose.js';
import { DEFAULT_CEILINGS, type Ceilings } from '../floor/ceilings.js';
import type { StatusServer } from '../runtime/status-lines.js';
import type { LessonCatalog } from '../lessons/catalog.js';
import { introspect } from '../runtime/native-addon.js';
import type { LabPaths } from '../base/paths.js';
import { Prober } from '../observe/probe.js';
import { DisabledProgressStore, type ProgressStore } from '../progress/store.js';
import { ShippedSeccompProfile } from '../runtime/seccomp/shipped-profile.js';
import type { SessionDeps } from './session.js';

/**
 * Expensive jobs at once on the whole server: about one per core (each is a probe process, or a
 * diagnosis's containers one after another), and always more than the diagnoses that may run at
 * once, so two long diagnoses never hold every slot while the inspectors wait.
 */
const EXPENSIVE_CONCURRENCY = Math.max(MAX_CONCURRENT_DIAGNOSES + 2, Math.min(16, availableParallelism()));
/** A learner's waiting jobs: one of each kind (inspector, checks, comparison, diagnosis); repeats coalesce. */
const EXPENSIVE_WAITING_PER_LEARNER = 4;

export function sessionDeps(opts: {
  paths: LabPaths;
  status: StatusServer;
  lessons: LessonCatalog;
  mode: ServerMode;
  /** Where learners' progress is saved; default nowhere (lesson verification saves none). */
  progress?: ProgressStore;
  /** A workshop server's ceilings; default DEFAULT_CEILINGS. */
  ceilings?: Ceilings;
}): SessionDeps {
  const { paths } = opts;
  const containers = ContainerContexts.forLab(paths, { workshop: opts.mode === 'workshop' });
  return {
    paths,
    status: opts.status,
    prober: new Prober(paths),
    introspect: introspect(paths.addon),
    lessons: opts.lessons,
    mode: opts.mode,
    hostHostnameAtStart: hostname(),
    containers,
    exports: new AtWork(paths),
    progress: opts.progress ?? new DisabledProgressStore('progress is not saved by this command'),
    seccompProfile: new ShippedSeccompProfile(paths.dockerSeccompProfile),
    diagnoser: new Diagnoser(paths.launcher, containers),
    ceilings: opts.ceilings ?? DEFAULT_CEILINGS,
    accountsSwap: hostAccountsSwap(),
    expensive: new FairQueue({ concurrency: EXPENSIVE_CONCURRENCY, maxWaitingPerLane: EXPENSIVE_WAITING_PER_LEARNER }),
  };
}
