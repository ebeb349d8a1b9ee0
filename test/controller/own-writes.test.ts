// OwnWrites (src/controller/own-writes.ts) lets the controller skip the watch's echo of its own
// status writes (issue #10). Skipping anything else would leave a Service undecided, so the
// property below checks that only the version our write produced is ever skipped, whatever order
// the answer and the events come in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OwnWrites } from '../../src/controller/own-writes.ts';

test('the answer first, then its echo: the echo is skipped and nothing is left held', () => {
  const own = new OwnWrites();
  own.begin('ns/a');
  assert.equal(own.end('ns/a', '12'), false);
  assert.equal(own.update('ns/a', '12'), 'echo');
  assert.equal(own.size, 0);
  assert.equal(own.update('ns/a', '13'), 'decide', 'a later edit');
});

test('the echo first, then the answer naming it: skipped, nothing to decide', () => {
  const own = new OwnWrites();
  own.begin('ns/a');
  assert.equal(own.update('ns/a', '12'), 'echo', 'held until the answer');
  assert.equal(own.end('ns/a', '12'), false);
  assert.equal(own.size, 0);
});

test('an edit seen while the write is in flight, the write then refused (409): decided', () => {
  const own = new OwnWrites();
  own.begin('ns/a');
  assert.equal(own.update('ns/a', '12'), 'echo', 'held');
  assert.equal(own.end('ns/a', undefined), true);
  assert.equal(own.size, 0);
});

test('two updates while the write is in flight: the second is decided at once', () => {
  const own = new OwnWrites();
  own.begin('ns/a');
  assert.equal(own.update('ns/a', '12'), 'echo');
  assert.equal(own.update('ns/a', '13'), 'decide');
  assert.equal(own.end('ns/a', '12'), false, 'the first was the echo');
});

test('an answer without a version, or an update of another version, is decided', () => {
  const own = new OwnWrites();
  own.begin('ns/a');
  assert.equal(own.end('ns/a', undefined), false);
  assert.equal(own.update('ns/a', '12'), 'decide');
  own.begin('ns/b');
  own.end('ns/b', '20');
  assert.equal(own.update('ns/b', '21'), 'decide');
  assert.equal(own.update('ns/b', '20'), 'decide', 'one echo per write: the entry went with the first event');
});

test('forget drops what a deleted Service had held', () => {
  const own = new OwnWrites();
  own.begin('ns/a');
  own.begin('ns/b');
  own.end('ns/b', '5');
  own.forget('ns/a');
  own.forget('ns/b');
  assert.equal(own.size, 0);
  assert.equal(own.update('ns/b', '5'), 'decide');
});

test('property: over any interleaving, only the version our write produced is skipped', () => {
  // One key. The server holds version 1; each step is a user edit (a new version, its event
  // queued) or one of our writes (a precondition on the version we last saw: it succeeds and
  // makes a new version only when nothing moved). Events and answers are delivered in random
  // order, as two connections deliver them; an event may be lost, as a watch that restarts lists
  // the latest version and never sends the ones between.
  const step = fc.constantFrom('edit', 'write', 'deliver-event', 'deliver-answer', 'lose-event');
  fc.assert(
    fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
      const own = new OwnWrites();
      let server = 1;
      let seen = 1;
      const events: { version: number; ours: boolean }[] = [];
      let answer: { version: number | undefined } | undefined;
      let inFlight = false;
      const ourVersions = new Set<number>();
      /** Events not ours that were neither decided at update nor at the answer. */
      const held: number[] = [];
      const undecided: number[] = [];
      const deliverAnswer = (): void => {
        if (answer === undefined) return;
        const raised = own.end('k', answer.version === undefined ? undefined : String(answer.version));
        if (raised) held.length = 0;
        else undecided.push(...held.filter((v) => !ourVersions.has(v)));
        held.length = 0;
        answer = undefined;
        inFlight = false;
      };
      for (const s of steps) {
        if (s === 'edit') events.push({ version: ++server, ours: false });
        else if (s === 'write' && !inFlight) {
          inFlight = true;
          own.begin('k');
          if (seen === server) {
            events.push({ version: ++server, ours: true });
            ourVersions.add(server);
            answer = { version: server };
          } else answer = { version: undefined }; // 409
        } else if (s === 'deliver-event' && events.length > 0) {
          const e = events.shift();
          if (e === undefined) continue;
          seen = e.version;
          const verdict = own.update('k', String(e.version));
          if (verdict === 'echo') {
            if (inFlight && answer !== undefined) held.push(e.version);
            else assert.ok(ourVersions.has(e.version), `version ${e.version} (not ours) was skipped`);
          }
        } else if (s === 'deliver-answer') deliverAnswer();
        else if (s === 'lose-event' && events.length > 1) events.shift();
      }
      deliverAnswer();
      assert.deepEqual(undecided, [], 'an edit held during a write was never decided');
    }),
    { numRuns: 2000 },
  );
});
