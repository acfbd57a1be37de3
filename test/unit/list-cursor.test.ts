/**
 * Ids and cursors the API derives without asking Temporal: a list cursor hands a page token back only to the query
 * that issued it (anything else reads as no cursor), and `idForKey` names one saga per caller's Idempotency-Key.
 */
import { decodeListCursor, encodeListCursor } from '../../api/saga/list-cursor';
import { idForKey } from '../../api/saga/trigger';

const query = "CustomerId = 'customer-1' AND OrderStatus = 'Completed'";
const pageToken = Buffer.from('page-token-of-the-server\x00\xff\x01', 'latin1');

/** `cursor` with its bytes changed by `edit`, encoded again. */
function edited(cursor: string, edit: (bytes: Buffer) => Buffer): string {
  return edit(Buffer.from(cursor, 'base64url')).toString('base64url');
}

describe('a list cursor', () => {
  const cursor = encodeListCursor(query, pageToken);

  it('gives the page token back to the same query', () => {
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeListCursor(query, cursor)).toEqual(pageToken);
  });

  it('is refused for another query, even one that differs by a character', () => {
    expect(decodeListCursor("CustomerId = 'customer-2' AND OrderStatus = 'Completed'", cursor)).toBeUndefined();
    expect(decodeListCursor(`${query} `, cursor)).toBeUndefined();
    expect(decodeListCursor('', cursor)).toBeUndefined();
  });

  it.each([
    ['a byte of its page token flipped', (bytes: Buffer) => Buffer.from(bytes.map((b, i) => (i === 20 ? b ^ 1 : b)))],
    ['a byte of its tag flipped', (bytes: Buffer) => Buffer.from(bytes.map((b, i) => (i === 0 ? b ^ 1 : b)))],
    ['its last byte cut off', (bytes: Buffer) => bytes.subarray(0, -1)],
    ['a byte added', (bytes: Buffer) => Buffer.concat([bytes, Buffer.from([0])])],
    ['its tag alone', (bytes: Buffer) => bytes.subarray(0, 12)],
  ])('is refused with %s', (_edit, edit) => {
    expect(decodeListCursor(query, edited(cursor, edit))).toBeUndefined();
  });

  it.each(['', 'not a cursor', 'AAAA', 'A'.repeat(64), '%%%', pageToken.toString('base64url')])(
    'is refused when made up: %j',
    (garbage) => {
      expect(decodeListCursor(query, garbage)).toBeUndefined();
    },
  );
});

describe('idForKey', () => {
  const uuidV8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('names the same saga for the same resource, subject and key', () => {
    expect(idForKey('orders', 'customer-1', 'key-1')).toBe(idForKey('orders', 'customer-1', 'key-1'));
  });

  it('names another saga for another subject, key or resource', () => {
    const ids = [
      idForKey('orders', 'customer-1', 'key-1'),
      idForKey('orders', 'customer-2', 'key-1'),
      idForKey('orders', 'customer-1', 'key-2'),
      idForKey('refunds', 'customer-1', 'key-1'),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is a UUID of version 8 with the RFC 9562 variant', () => {
    const ids = Array.from({ length: 200 }, (_, index) => idForKey('orders', 'customer-1', `key-${index}`));
    for (const id of ids) expect(id).toMatch(uuidV8);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
