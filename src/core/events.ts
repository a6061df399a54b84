/**
 * The event bus: every lifecycle change is published here in Docker's event JSON, kept in a bounded
 * in-memory log (for `since`) and fanned out to subscribers (GET /events).
 */
import { EventEmitter } from 'node:events';
import type { EventMessage } from '../api/types.js';

export type EventFilters = Record<string, string[]>;

const LOG_LIMIT = 1024;

export class EventBus {
  private readonly log: EventMessage[] = [];
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(type: EventMessage['Type'], action: string, id: string, attributes: Record<string, string> = {}): EventMessage {
    const nowNs = BigInt(Date.now()) * 1_000_000n + BigInt(process.hrtime.bigint() % 1_000_000n);
    const msg: EventMessage = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    if (type === 'container' || type === 'image') {
      // the deprecated top-level fields, still read by older clients
      msg.status = action;
      msg.id = id;
      if (attributes.image) msg.from = attributes.image;
    }
    this.log.push(msg);
    if (this.log.length > LOG_LIMIT) this.log.shift();
    this.emitter.emit('event', msg);
    return msg;
  }

  /** Past events in [since, until] (unix seconds) matching the filters. */
  history(since: number | undefined, until: number | undefined, filters: EventFilters): EventMessage[] {
    if (since === undefined) return [];
    return this.log.filter((m) => m.timeNano / 1e9 >= since && (until === undefined || m.timeNano / 1e9 <= until) && matches(m, filters));
  }

  subscribe(cb: (m: EventMessage) => void): () => void {
    this.emitter.on('event', cb);
    return () => this.emitter.off('event', cb);
  }
}

/** Docker's event filters: type, event/action, container/image/volume/network (id or name), label. */
export function matches(m: EventMessage, f: EventFilters): boolean {
  const has = (key: string) => f[key] && f[key].length > 0;
  if (has('type') && !f.type.includes(m.Type)) return false;
  const actions = [...(f.event ?? []), ...(f.action ?? [])];
  if (actions.length && !actions.some((a) => m.Action === a || m.Action.startsWith(`${a}:`))) return false;
  for (const kind of ['container', 'image', 'volume', 'network', 'daemon'] as const) {
    if (!has(kind)) continue;
    if (m.Type !== kind && !(kind === 'image' && m.Type === 'container')) return false;
    const ids = [m.Actor.ID, m.Actor.Attributes.name ?? '', kind === 'image' ? m.Actor.Attributes.image ?? '' : ''];
    if (!f[kind].some((v) => ids.some((i) => i !== '' && (i === v || (v.length >= 3 && i.startsWith(v)))))) return false;
  }
  if (has('label')) {
    for (const l of f.label) {
      const [k, v] = l.split('=', 2);
      if (!(k in m.Actor.Attributes) || (v !== undefined && m.Actor.Attributes[k] !== v)) return false;
    }
  }
  return true;
}
