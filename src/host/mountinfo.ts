/** One line of /proc/self/mountinfo (proc(5)), with the octal escapes of paths decoded. */
export interface MountInfo {
  mountPoint: string;
  fsType: string;
  source: string;
  options: string;
  superOptions: string;
  /** the optional fields (propagation: "shared:N", "master:N", "propagate_from:N", "unbindable") */
  optional: string[];
}

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses the text of /proc/self/mountinfo; malformed lines are skipped. */
export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (sep < 0 || fields.length < sep + 3) continue;
    out.push({
      mountPoint: unescape(fields[4]!),
      options: fields[5]!,
      fsType: fields[sep + 1]!,
      source: unescape(fields[sep + 2]!),
      superOptions: fields[sep + 3] ?? '',
      optional: fields.slice(6, sep),
    });
  }
  return out;
}
