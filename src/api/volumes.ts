/**
 * Docker Engine API v1.47 wire types of the volume endpoints (shared/spec: Volume, VolumeCreateOptions,
 * VolumeListResponse, VolumePruneResponse). Field names and order are Docker's. No logic here, and
 * nothing of ours is imported: these belong in src/api/types.ts and can move there unchanged.
 */

export interface VolumeUsageData {
  /** bytes used, -1 when not available */
  Size: number;
  /** containers referencing the volume, -1 when not available */
  RefCount: number;
}

/** GET /volumes/{name}, an element of GET /volumes, the answer of POST /volumes/create. */
export interface Volume {
  CreatedAt?: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local' | 'global';
  /** low-level details from the driver; omitted when the driver gives none (the local driver) */
  Status?: Record<string, unknown>;
  /** only in GET /system/df */
  UsageData?: VolumeUsageData | null;
}

/** POST /volumes/create body. */
export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  /** swarm cluster volumes (API >= 1.42); Berth has no swarm */
  ClusterVolumeSpec?: Record<string, unknown> | null;
}

export interface VolumeListResponse {
  Volumes: Volume[];
  Warnings: string[] | null;
}

export interface VolumePruneResponse {
  VolumesDeleted: string[];
  SpaceReclaimed: number;
}
