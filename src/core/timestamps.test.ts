import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getTimestamp, parseTimestamps } from './timestamps.js';

test('parseTimestamps: seconds and fractions as dockerd reads since/until', () => {
  assert.equal(parseTimestamps('1700000000'), 1_700_000_000_000_000_000n);
  assert.equal(parseTimestamps('1700000000.5'), 1_700_000_000_500_000_000n);
  assert.equal(parseTimestamps('1700000000.000000001'), 1_700_000_000_000_000_001n);
  assert.equal(parseTimestamps('1700000000.1234567891'), 1_700_000_000_123_456_789n, 'past 9 digits: truncated');
  assert.equal(parseTimestamps('0'), 0n);
  assert.throws(() => parseTimestamps('10m'), /strconv.ParseInt: parsing "10m": invalid syntax/);
  assert.throws(() => parseTimestamps('2024-01-01T00:00:00Z'), (e: Error & { kind?: string }) => e.kind === 'InvalidArgument');
  assert.throws(() => parseTimestamps('1.x'), /parsing "x"/);
});

test('getTimestamp: durations back from now, dates, unix seconds', () => {
  const now = 1_700_000_000_000;
  assert.equal(getTimestamp('10m', now), 1_699_999_400_000_000_000n);
  assert.equal(getTimestamp('1h30m', now), 1_699_994_600_000_000_000n);
  assert.equal(getTimestamp('0', now), 1_700_000_000_000_000_000n);
  assert.equal(getTimestamp('2023-11-14T22:13:20Z', now), 1_700_000_000_000_000_000n);
  assert.equal(getTimestamp('2023-11-14T22:13:20+01:00', now), 1_699_996_400_000_000_000n);
  assert.equal(getTimestamp('1699999999.25', now), 1_699_999_999_250_000_000n);
  // no zone: local time, as Docker
  assert.equal(getTimestamp('2023-11-14', now), BigInt(new Date(2023, 10, 14).getTime()) * 1_000_000n);
  assert.throws(() => getTimestamp('yesterday', now), /failed to parse value as time or duration: "yesterday"/);
  assert.throws(() => getTimestamp('2023-13-45', now), /cannot parse/);
});
