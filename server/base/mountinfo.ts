// The one reader of /proc/PID/mountinfo (proc(5)):
//   "ID PARENT MAJ:MIN ROOT TARGET OPTIONS [OPTIONAL…] - FSTYPE SOURCE SUPER"
// Every caller (the host's view of a shell, the overlay layers, isolab's own tmpfs) takes the
// fields it needs from these entries, so escapes and the optional fields are handled in one place.

export interface MountinfoEntry {
  id: number;
  parent: number;
  majorMinor: string;
  /** The path within the filesystem that is mounted (a bind mount's source). */
  root: string;
  target: string;
  /** Per-mount options: "rw", "nosuid", … */
  options: string[];
  /** Propagation fields: "shared:N", "master:N", "propagate_from:N", "unbindable". */
  optional: string[];
  fstype: string;
  source: string;
  /** Per-superblock options, split on commas that are not escaped (overlayfs escapes a comma in a path). */
  superOptions: string[];
}

/** Undo the octal escapes the kernel writes for space, tab, newline and backslash in mountinfo fields. */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Every well-formed line of a mountinfo file, in the file's order (the last at a target is on top). */
export function parseMountinfo(text: string): MountinfoEntry[] {
  const entries: MountinfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (dash < 0 || fields.length < dash + 3) continue;
    entries.push({
      id: Number(fields[0]),
      parent: Number(fields[1]),
      majorMinor: fields[2]!,
      root: unescapeMountField(fields[3]!),
      target: unescapeMountField(fields[4]!),
      options: fields[5]!.split(','),
      optional: fields.slice(6, dash),
      fstype: fields[dash + 1]!,
      source: unescapeMountField(fields[dash + 2]!),
      superOptions: (fields[dash + 3] ?? '').split(/(?<!\\),/).filter(Boolean),
    });
  }
  return entries;
}
