/** Docker's stats JSON (GET /containers/{id}/stats), field names and omitempty rules as Docker's. */
export interface BlkioStatEntry { major: number; minor: number; op: string; value: number }

/** v1 fills every list ([] when empty); v2 only io_service_bytes_recursive; null where Docker sends null. */
export interface BlkioStats {
  io_service_bytes_recursive: BlkioStatEntry[] | null;
  io_serviced_recursive: BlkioStatEntry[] | null;
  io_queue_recursive: BlkioStatEntry[] | null;
  io_service_time_recursive: BlkioStatEntry[] | null;
  io_wait_time_recursive: BlkioStatEntry[] | null;
  io_merged_recursive: BlkioStatEntry[] | null;
  io_time_recursive: BlkioStatEntry[] | null;
  sectors_recursive: BlkioStatEntry[] | null;
}

export interface CpuUsage {
  /** Nanoseconds of CPU time. */
  total_usage: number;
  /** v1 only (omitted on v2). */
  percpu_usage?: number[];
  usage_in_kernelmode: number;
  usage_in_usermode: number;
}

export interface ThrottlingData { periods: number; throttled_periods: number; throttled_time: number }

export interface CpuStats {
  cpu_usage: CpuUsage;
  /** Host CPU time in nanoseconds (/proc/stat); omitted when 0. */
  system_cpu_usage?: number;
  /** Omitted when 0. */
  online_cpus?: number;
  throttling_data: ThrottlingData;
}

/** Every field is omitted when zero, as Docker's omitempty does. */
export interface MemoryStats {
  usage?: number;
  /** v1 only. */
  max_usage?: number;
  stats?: Record<string, number>;
  /** v1: memory.failcnt; v2: the "oom" count of memory.events. */
  failcnt?: number;
  limit?: number;
}

export interface PidsStats { current?: number; limit?: number }

export interface NetworkStats {
  rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number;
  tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number;
}

export interface ContainerStats {
  /** RFC 3339 time of this sample; "0001-01-01T00:00:00Z" when the container is not running. */
  read: string;
  /** Time of the previous sample in the stream ("0001-01-01T00:00:00Z" for the first). */
  preread: string;
  pids_stats: PidsStats;
  blkio_stats: BlkioStats;
  /** Windows only: always 0. */
  num_procs: number;
  /** Windows only: always {}. */
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: MemoryStats;
  /** Filled by the caller. */
  name?: string;
  id?: string;
  networks?: Record<string, NetworkStats>;
}
