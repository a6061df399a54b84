/**
 * The event bus: every lifecycle change is published here in Docker's event JSON, kept in a bounded
 * in-memory log (replayed for `since`/`until`) and fanned out to subscribers (GET /events).
 *
 * Filters are Docker's (moby daemon/events/filter.go): values of one key are OR'ed, keys are AND'ed.
 *   type, scope          exact
 *   event                exact; prefix when a value is exec_create, exec_start or health_status
 *   container, volume, network, daemon, plugin, service, node, secret, config
 *                        prefix of the actor's ID or of its `name` attribute (whatever the event's type)
 *   image                exact: the actor's ID or its image name (`image` of container events, `name`
 *                        of image events), each also without its tag
 *   label                every value (key or key=value) must be among the attributes
 * Unknown keys are ignored, as dockerd does (moby#30735).
 */
import { EventEmitter } from 'node:events';
import type { EventMessage } from '../api/types.js';
import { familiarName, parseNormalizedNamed } from './reference.js';

export type EventFilters = Record<string, string[]>;

const LOG_LIMIT = 1024;
/**
 * timeNano is a JSON number, and JSON prints a double's shortest round-trip digits: a multiple of 64000
 * is exact in a double up to 2^62 ns (doubles are 256 or 512 apart there) and prints as itself, so a
 * client that sends back the timeNano it read gets exactly this event
 */
const NS_STEP = 64_000n;

export class EventBus {
  private readonly log: EventMessage[] = [];
  private readonly emitter = new EventEmitter();
  private lastNs = 0n;

  constructor(private readonly clock: () => bigint = () => BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)) {
    this.emitter.setMaxListeners(0);
  }

  publish(type: EventMessage['Type'], action: string, id: string, attributes: Record<string, string> = {}): EventMessage {
    // rounded up, so an event is never stamped before the moment it happened
    let ns = ((this.clock() + NS_STEP - 1n) / NS_STEP) * NS_STEP;
    if (ns <= this.lastNs) ns = this.lastNs + NS_STEP; // strictly increasing, so since/until cut cleanly
    this.lastNs = ns;
    // Docker's field order; status/id/from are the deprecated fields of container and image events
    const legacy: Partial<EventMessage> = {};
    if (type === 'container' || type === 'image') {
      legacy.status = action;
      if (id) legacy.id = id;
      if (type === 'container' && attributes.image) legacy.from = attributes.image;
    }
    const msg: EventMessage = {
      ...legacy,
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(ns / 1_000_000_000n),
      timeNano: Number(ns),
    };
    this.log.push(msg);
    if (this.log.length > LOG_LIMIT) this.log.shift();
    this.emitter.emit('event', msg);
    return msg;
  }

  /**
   * Buffered events for a request with `since`/`until` (ns; undefined when not given), as dockerd's
   * loadBufferedEvents: nothing without either bound, else the matching events in [since, until].
   */
  history(since: bigint | undefined, until: bigint | undefined, filters: EventFilters): EventMessage[] {
    if (since === undefined && until === undefined) return [];
    const lo = since ?? 0n;
    return this.log.filter((m) => {
      const t = BigInt(m.timeNano);
      return t >= lo && (until === undefined || t <= until) && matches(m, filters);
    });
  }

  subscribe(cb: (m: EventMessage) => void): () => void {
    this.emitter.on('event', cb);
    return () => this.emitter.off('event', cb);
  }
}

/** filters.Args.ExactMatch: true without values for the key */
function exact(f: EventFilters, key: string, source: string): boolean {
  const vals = f[key];
  return !vals || vals.length === 0 || vals.includes(source);
}

/** filters.Args.FuzzyMatch: exact, or a value is a prefix of source */
function fuzzy(f: EventFilters, key: string, source: string): boolean {
  return exact(f, key, source) || f[key]!.some((v) => source.startsWith(v));
}

const NAMED_KINDS = ['daemon', 'container', 'plugin', 'volume', 'network', 'service', 'node', 'secret', 'config'];
const FUZZY_EVENTS = new Set(['health_status', 'exec_create', 'exec_start']);

function stripTag(image: string): string {
  try {
    return familiarName(parseNormalizedNamed(image));
  } catch {
    return image;
  }
}

/** Does event `m` pass Docker's event filters `f`. */
export function matches(m: EventMessage, f: EventFilters): boolean {
  const attrs = m.Actor.Attributes ?? {};
  const eventOk = (f.event ?? []).some((v) => FUZZY_EVENTS.has(v)) ? fuzzy(f, 'event', m.Action) : exact(f, 'event', m.Action);
  if (!eventOk || !exact(f, 'type', m.Type) || !exact(f, 'scope', m.scope)) return false;
  for (const kind of NAMED_KINDS) {
    if (!fuzzy(f, kind, m.Actor.ID) && !fuzzy(f, kind, attrs.name ?? '')) return false;
  }
  if (f.image?.length) {
    const name = (m.Type === 'image' ? attrs.name : attrs.image) ?? '';
    const candidates = [m.Actor.ID, name, stripTag(m.Actor.ID), stripTag(name)];
    if (!candidates.some((c) => f.image!.includes(c))) return false;
  }
  if (f.label?.length) {
    if (Object.keys(attrs).length === 0) return false;
    for (const l of f.label) {
      const i = l.indexOf('=');
      const k = i < 0 ? l : l.slice(0, i);
      if (!(k in attrs) || (i >= 0 && attrs[k] !== l.slice(i + 1))) return false;
    }
  }
  return true;
}
