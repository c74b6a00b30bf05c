// The code view: the launcher's own C source for one primitive, with the lines of the functions
// that just ran, so the learner reads the syscalls behind the switch they flipped. Which file and
// which functions is a fixed table; the request only picks a row of it, never a path.
import { readFile } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import type { CodeViewPrimitive, SourceRange, SourceView } from '../../common/protocol.js';
import { CODE_VIEW_PRIMITIVES } from '../../common/protocol.js';

/** Where each primitive happens in native/launcher/ (launcher.h lists the hooks in the order they run). */
export const SOURCE_MAP: Readonly<Record<CodeViewPrimitive, { file: string; functions: readonly string[] }>> = {
  // Lesson 0: even a plain process is cloned and exec'd by the launcher, just with no namespaces.
  process: { file: 'main.c', functions: ['run_container', 'child_main'] },
  uts: { file: 'ns.c', functions: ['lab_set_hostname'] },
  // PID and IPC namespaces are made by the one clone() call; nothing else to do for them.
  pid: { file: 'main.c', functions: ['run_container'] },
  ipc: { file: 'main.c', functions: ['run_container'] },
  mount: { file: 'mounts.c', functions: ['lab_mount_make_private', 'lab_mount_proc'] },
  rootfs: { file: 'rootfs.c', functions: ['lab_rootfs_enter', 'mount_overlay', 'pivot_to_cwd'] },
  readonly: { file: 'rootfs.c', functions: ['make_root_read_only', 'apply_tmpfs_mounts'] },
  masked: { file: 'rootfs.c', functions: ['apply_masked_paths', 'apply_readonly_paths'] },
  limits: { file: 'cgroup.c', functions: ['lab_cgroup_prepare', 'move_self_in', 'lab_cgroup_attach'] },
  cgroupns: { file: 'cgroup_inside.c', functions: ['lab_cgroupns_enter'] },
  net: { file: 'net.c', functions: ['lab_net_loopback_up', 'lab_net_configure'] },
  bridge: { file: 'net.c', functions: ['lab_net_attach', 'veth_create', 'bridge_ensure'] },
  user: { file: 'userns.c', functions: ['lab_userns_map', 'write_map', 'lab_userns_enter'] },
  caps: { file: 'caps.c', functions: ['lab_caps_drop_bounding', 'lab_caps_apply'] },
  nnp: { file: 'nnp.c', functions: ['lab_nnp_apply'] },
  seccomp: { file: 'seccomp.c', functions: ['lab_seccomp_apply', 'add_rule'] },
  landlock: { file: 'landlock.c', functions: ['lab_landlock_apply', 'add_paths'] },
};

export function isCodeViewPrimitive(value: string): value is CodeViewPrimitive {
  return (CODE_VIEW_PRIMITIVES as readonly string[]).includes(value);
}

/** A top-level function definition: its name and 1-based lines from the return type to the closing brace. */
export interface CFunction {
  name: string;
  startLine: number;
  endLine: number;
}

// The identifier right before the parameter list that ends a definition's header, allowing
// attributes after it: `static noreturn void run(const struct x *c) __attribute__((cold))`.
const DEFINITION_HEADER = /([A-Za-z_]\w*)\s*\((?:[^()]|\([^()]*\))*\)\s*(?:__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)\s*)*$/;

/**
 * Finds the function definitions of a C file by brace matching. Comments, string and character
 * literals and preprocessor lines are skipped, so braces inside them do not count; a `{` at file
 * level ends a function's header only when the header ends in a parameter list (not `= {`, not
 * `struct x {`).
 */
export function findFunctions(source: string): CFunction[] {
  const found: CFunction[] = [];
  let line = 1;
  let depth = 0;
  let header = '';
  let headerLine = 0;
  let current: { name: string; startLine: number } | null = null;
  let atLineStart = true;
  const n = source.length;

  for (let i = 0; i < n; i++) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '\n') {
      line++;
      atLineStart = true;
      if (depth === 0) header += ' ';
      continue;
    }
    if (atLineStart && c === '#') {
      // A preprocessor line, with its backslash continuations.
      while (i < n && source[i] !== '\n') {
        if (source[i] === '\\' && source[i + 1] === '\n') {
          i++;
          line++;
        }
        i++;
      }
      i--; // let the newline be counted above
      continue;
    }
    if (c !== ' ' && c !== '\t' && c !== '\r') atLineStart = false;
    if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (source[k] === '\n') line++;
      i = stop - 1;
      if (depth === 0) header += ' ';
      continue;
    }
    if (c === '/' && next === '/') {
      while (i + 1 < n && source[i + 1] !== '\n') i++;
      continue;
    }
    if (c === '"' || c === "'") {
      for (i++; i < n && source[i] !== c && source[i] !== '\n'; i++) {
        if (source[i] !== '\\') continue;
        i++; // the escaped character, which may be a line continuation
        if (source[i] === '\n') line++;
      }
      if (source[i] === '\n') i--; // unterminated at the line's end: let the newline be counted
      if (depth === 0) header += ' 0 ';
      continue;
    }
    if (depth > 0) {
      if (c === '{') depth++;
      else if (c === '}') {
        depth--;
        if (depth === 0) {
          if (current) found.push({ ...current, endLine: line });
          current = null;
          header = '';
        }
      }
      continue;
    }
    // File level.
    if (c === '{') {
      const m = header.includes('=') ? null : DEFINITION_HEADER.exec(header.trimEnd());
      current = m ? { name: m[1]!, startLine: headerLine } : null;
      depth = 1;
      continue;
    }
    if (c === ';' || c === '}') {
      header = '';
      continue;
    }
    if (header.trim() === '' && c.trim() !== '') headerLine = line;
    header += c;
  }
  return found;
}

/** Reads the launcher's sources for the code view, only through SOURCE_MAP. */
export class SourceReader {
  private readonly dir: string;

  constructor(launcherSourceDir: string, private readonly repoRoot: string) {
    this.dir = resolve(launcherSourceDir);
  }

  /** undefined for anything that is not a row of the table (including "__proto__" and paths). */
  async read(primitive: string): Promise<SourceView | undefined> {
    if (!isCodeViewPrimitive(primitive) || !Object.hasOwn(SOURCE_MAP, primitive)) return undefined;
    const entry = SOURCE_MAP[primitive];
    const path = resolve(this.dir, entry.file);
    // The table holds plain file names; this guards a bad edit of the table, not the request.
    if (!path.startsWith(this.dir + sep)) throw new Error(`SOURCE_MAP entry for ${primitive} leaves ${this.dir}`);
    const text = await readFile(path, 'utf8');
    const functions = findFunctions(text);
    const ranges: SourceRange[] = [];
    for (const name of entry.functions) {
      const fn = functions.find((f) => f.name === name);
      if (fn) ranges.push({ function: name, startLine: fn.startLine, endLine: fn.endLine });
    }
    return { primitive, file: relative(this.repoRoot, path).split(sep).join('/'), text, ranges };
  }
}
