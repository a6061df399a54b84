import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeLink, parseLink } from './links.js';

describe('legacy links', () => {
  it("records --link as Docker does, and reads the record back", () => {
    assert.equal(normalizeLink('db'), '/db:/NAME/db');
    assert.equal(normalizeLink('/db:data'), '/db:/NAME/data');
    assert.deepEqual(parseLink('/db:/web/data'), ['db', 'data']);
    assert.deepEqual(parseLink(normalizeLink('db').replace('/NAME/', '/web/')), ['db', 'db']);
    assert.throws(() => normalizeLink(':x'), /invalid link format: :x/);
  });
});
