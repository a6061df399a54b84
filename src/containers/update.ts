/**
 * POST /containers/{id}/update, planned: Docker's checks of a new restart policy and new resources
 * (with its texts, prefixed `Cannot update container <id>:`), and the HostConfig that results. The
 * service applies the resources to a running container and stores the result.
 */
import type { HostConfig } from '../api/types.js';
import { BerthError, invalidArgument } from '../core/errors.js';
import type { ContainerCgroups } from './deps.js';
import type { ContainerRecord } from './record.js';
import { checkRestartPolicy, policyName } from './restart.js';

export interface UpdatePlan {
  /** what to apply to the live cgroup */
  resources: Record<string, unknown>;
  /** the record's HostConfig after the update */
  hostConfig: HostConfig;
  warnings: string[];
}

export function planUpdate(rec: Pick<ContainerRecord, 'id' | 'hostConfig'>, upd: Record<string, unknown>, cg: Pick<ContainerCgroups, 'check' | 'merge'>): UpdatePlan {
  const policy = upd.RestartPolicy as HostConfig['RestartPolicy'] | undefined;
  if (policy !== undefined && policy !== null) {
    if (typeof policy !== 'object') throw invalidArgument('invalid restart policy: expected an object');
    const perr = checkRestartPolicy(policy);
    if (perr) throw new BerthError(perr.kind, `Cannot update container ${rec.id}: ${perr.message}`);
    if (rec.hostConfig.AutoRemove && policyName(policy) !== 'no') {
      throw invalidArgument(`Cannot update container ${rec.id}: Restart policy cannot be updated because AutoRemove is enabled for the container`);
    }
  }
  const { RestartPolicy: _rp, ...res } = upd;
  const checked = cg.check(res, true);
  let merged: Record<string, unknown>;
  try {
    merged = cg.merge(rec.hostConfig as Record<string, unknown>, checked.resources);
  } catch (e) {
    throw new BerthError(e instanceof BerthError ? e.kind : 'InvalidArgument', `Cannot update container ${rec.id}: ${(e as Error).message}`);
  }
  const hostConfig = { ...rec.hostConfig, ...merged, ...(policy ? { RestartPolicy: { Name: policy.Name ?? '', MaximumRetryCount: policy.MaximumRetryCount ?? 0 } } : {}) } as HostConfig;
  return { resources: checked.resources, hostConfig, warnings: checked.warnings };
}
