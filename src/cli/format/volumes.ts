/** `volume ls` rows as docker's volume formatter renders them. */
import type { Volume } from '../../api/volumes.js';
import { humanSize } from './humanize.js';
import { naturalCompare } from './networks.js';
import type { FormatSpec } from './template.js';

export const VOLUME_HEADERS: Record<string, string> = {
  ID: 'ID',
  Name: 'VOLUME NAME',
  Group: 'GROUP',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Availability: 'AVAILABILITY',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Status: 'STATUS',
};

/** Labels as `k=v,k2=v2` (docker walks a Go map: no order; Berth sorts by key). */
export function labelsText(labels: Record<string, string> | null | undefined): string {
  return Object.keys(labels ?? {})
    .sort()
    .map((k) => `${k}=${(labels as Record<string, string>)[k]}`)
    .join(',');
}

export function volumeContext(v: Volume): Record<string, unknown> {
  return {
    Name: v.Name,
    Driver: v.Driver,
    Scope: v.Scope,
    Mountpoint: v.Mountpoint,
    Labels: labelsText(v.Labels),
    Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
    Size: v.UsageData ? humanSize(v.UsageData.Size) : 'N/A',
    // swarm cluster volumes only
    Group: 'N/A',
    Availability: 'N/A',
    Status: 'N/A',
    Label: (k: string) => v.Labels?.[k] ?? '',
  };
}

export const volumeSpec: FormatSpec<Volume> = { headers: VOLUME_HEADERS, context: volumeContext };

/** Volumes in the order `volume ls` prints them: natural order of names. */
export function sortVolumes(list: readonly Volume[]): Volume[] {
  return [...list].sort((a, b) => naturalCompare(a.Name, b.Name));
}

/** The default `volume ls` table. */
export function volumesTable(list: readonly Volume[]): string[][] {
  return [['DRIVER', 'VOLUME NAME'], ...list.map((v) => [v.Driver, v.Name])];
}
