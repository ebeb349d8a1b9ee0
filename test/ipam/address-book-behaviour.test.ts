// The allocator's address book (src/ipam/address-book.ts): an address is taken while any Service
// holds it or a node reserves it, and free again only when neither does. Written against the
// survivors of mutation testing (issue #15, docs/mutation-testing.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIP, type Addr } from '../../src/api/addr.ts';
import { AddressBook } from '../../src/ipam/address-book.ts';

function addr(text: string): Addr {
  const r = parseIP(text);
  assert.ok(r.ok, text);
  return r.value;
}

/** The lowest free IPv4 address in 192.0.2.1–192.0.2.3, as text. */
function lowestFree(book: AddressBook): string {
  const v = book.lowestFree('IPv4', addr('192.0.2.1').value, addr('192.0.2.3').value);
  return v === undefined ? 'none' : `192.0.2.${Number(v & 0xffn)}`;
}

test('an address held by two Services stays taken until the last lets go', () => {
  const book = new AddressBook();
  book.attach(addr('192.0.2.1'), '192.0.2.1', 'ns/a');
  book.attach(addr('192.0.2.1'), '192.0.2.1', 'ns/b');
  book.detach('192.0.2.1', 'ns/a');
  assert.deepEqual([...book.holders('192.0.2.1')], ['ns/b']);
  assert.equal(lowestFree(book), '192.0.2.2');
  book.detach('192.0.2.1', 'ns/x'); // not a holder: nothing changes
  assert.equal(lowestFree(book), '192.0.2.2');
  book.detach('192.0.2.1', 'ns/b');
  assert.equal(lowestFree(book), '192.0.2.1');
  assert.equal(book.heldCount, 0);
});

test('reservations: entries that are not addresses are returned, two spellings are one, the first reason wins', () => {
  const book = new AddressBook();
  const invalid = book.setReserved(new Map([['nope', 'InternalIP of node n0'], ['2001:db8::1', 'InternalIP of node n1'], ['2001:DB8:0::1', 'ExternalIP of node n2'], ['192.0.2.1', 'InternalIP of node n3']]));
  assert.deepEqual(invalid, ['nope']);
  assert.equal(book.reservedCount, 2);
  assert.equal(book.reservation('2001:db8::1'), 'InternalIP of node n1');
  assert.equal(lowestFree(book), '192.0.2.2');
});

test('an address no longer reserved is free again, unless a Service holds it; one no longer held stays taken while reserved', () => {
  const book = new AddressBook();
  book.setReserved(new Map([['192.0.2.1', 'InternalIP of node n1'], ['192.0.2.2', 'InternalIP of node n2']]));
  book.attach(addr('192.0.2.2'), '192.0.2.2', 'ns/a'); // a status that names a node's address
  assert.equal(lowestFree(book), '192.0.2.3');
  book.setReserved(new Map());
  assert.equal(lowestFree(book), '192.0.2.1', '.1 is free; .2 is still held');
  book.setReserved(new Map([['192.0.2.2', 'InternalIP of node n2']]));
  book.detach('192.0.2.2', 'ns/a');
  assert.equal(lowestFree(book), '192.0.2.1');
  assert.equal(book.lowestFree('IPv4', addr('192.0.2.2').value, addr('192.0.2.2').value), undefined, 'reserved: still taken');
});

test('the taken index counts runs of both families', () => {
  const book = new AddressBook();
  book.attach(addr('192.0.2.1'), '192.0.2.1', 'ns/a');
  book.attach(addr('192.0.2.3'), '192.0.2.3', 'ns/b');
  book.attach(addr('2001:db8::1'), '2001:db8::1', 'ns/c');
  assert.equal(book.takenRuns(), 3);
});
