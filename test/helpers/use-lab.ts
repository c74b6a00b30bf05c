// A lab for one describe block: started before its first test, closed after its last. What it
// returns stands for the lab (a proxy), so tests read `lab.url` as if it were the lab itself;
// touching it outside a test, before beforeAll has run, is an error that says so.
import { afterAll, beforeAll } from 'vitest';
import { startLab, type LabOptions, type RunningLab } from './lab.js';

export function useLab(opts: LabOptions = {}): RunningLab {
  let lab: RunningLab | undefined;
  beforeAll(async () => {
    lab = await startLab(opts);
  });
  afterAll(async () => {
    await lab?.close();
  });
  return new Proxy({} as RunningLab, {
    get(_target, key) {
      if (!lab) throw new Error('the lab is not started yet: use it inside a test');
      return Reflect.get(lab, key);
    },
  });
}
