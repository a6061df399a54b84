/** Identifiers: 64-hex ids as Docker's, and generated container names. */
import { randomBytes } from 'node:crypto';

export function newId(): string {
  return randomBytes(32).toString('hex');
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

const adjectives = ['agile', 'bold', 'brave', 'bright', 'calm', 'clever', 'cool', 'crisp', 'eager', 'fair', 'fast',
  'fond', 'gentle', 'glad', 'happy', 'keen', 'kind', 'lively', 'lucid', 'merry', 'nimble', 'noble', 'plucky', 'proud',
  'quiet', 'quick', 'rapid', 'serene', 'sharp', 'snappy', 'steady', 'sunny', 'swift', 'tender', 'vivid', 'witty', 'zesty'];
const nouns = ['anchor', 'barge', 'beacon', 'buoy', 'cabin', 'canal', 'cargo', 'clipper', 'compass', 'crane', 'dinghy',
  'dock', 'ferry', 'fjord', 'galley', 'harbor', 'hull', 'jetty', 'keel', 'lagoon', 'lantern', 'mast', 'marina', 'pier',
  'quay', 'reef', 'rudder', 'sail', 'schooner', 'skiff', 'sloop', 'tide', 'tugboat', 'wharf', 'yacht'];

/** A random `adjective_noun` name; `taken` lets the caller avoid names in use. */
export function generateName(taken: (name: string) => boolean): string {
  for (let i = 0; ; i++) {
    const a = adjectives[randomBytes(1)[0] % adjectives.length];
    const n = nouns[randomBytes(1)[0] % nouns.length];
    const name = i < 10 ? `${a}_${n}` : `${a}_${n}${i}`;
    if (!taken(name)) return name;
  }
}

/** Docker's rule for container names. */
export const validContainerName = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
