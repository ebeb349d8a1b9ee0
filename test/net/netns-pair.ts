// Two network namespaces joined by a veth pair, and an agent process in each (fixtures/netns-agent.ts)
// that drives real sockets on the test's behalf. The test process stays in the root namespace.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const AGENT = fileURLToPath(new URL('./fixtures/netns-agent.ts', import.meta.url));

export interface Side {
  ns: string;
  /** Distinct on the two sides: the kernel treats a veth whose ifindex equals its peer's as not
   *  stacked and reports its carrier up to a second late (net/core/link_watch.c). */
  ifindex: number;
  /** The veth end inside `ns` (each namespace has its own, so both are called veth0). */
  iface: string;
  mac: string;
  ipv4: string;
  ipv6: string;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Creates both namespaces (unique names per test process) and the link between them, up on both sides. */
export async function createPair(tag: string): Promise<{ a: Side; b: Side; destroy: () => void }> {
  const a: Side = { ns: `hn-${process.pid}-${tag}a`, ifindex: 10, iface: 'veth0', mac: '02:00:00:00:00:0a', ipv4: '192.0.2.1', ipv6: '2001:db8::a' };
  const b: Side = { ns: `hn-${process.pid}-${tag}b`, ifindex: 11, iface: 'veth0', mac: '02:00:00:00:00:0b', ipv4: '192.0.2.2', ipv6: '2001:db8::b' };
  const destroy = () => {
    for (const side of [a, b]) {
      try {
        ip('netns', 'del', side.ns); // takes its veth end, and so the pair, with it
      } catch {
        // Never created, or already gone: nothing is left behind either way.
      }
    }
  };
  try {
    for (const side of [a, b]) {
      ip('netns', 'add', side.ns);
      // No duplicate address detection: addresses are usable at once and no DAD probes mix in.
      execFileSync('ip', ['netns', 'exec', side.ns, 'sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0']);
    }
    ip('-n', a.ns, 'link', 'add', a.iface, 'index', `${a.ifindex}`, 'address', a.mac, 'type', 'veth', 'peer', 'name', b.iface, 'index', `${b.ifindex}`, 'address', b.mac, 'netns', b.ns);
    for (const side of [a, b]) {
      ip('-n', side.ns, 'addr', 'add', `${side.ipv4}/24`, 'dev', side.iface);
      ip('-n', side.ns, 'addr', 'add', `${side.ipv6}/64`, 'dev', side.iface, 'nodad');
      ip('-n', side.ns, 'link', 'set', 'lo', 'up');
      ip('-n', side.ns, 'link', 'set', side.iface, 'up');
    }
    // IPv6 joins the solicited-node groups of the addresses only once the carrier is up.
    for (const side of [a, b]) await untilUp(side);
  } catch (err) {
    destroy();
    throw err;
  }
  return { a, b, destroy };
}

export async function setLink(side: Side, state: 'up' | 'down'): Promise<void> {
  ip('-n', side.ns, 'link', 'set', side.iface, state);
  if (state === 'up') await untilUp(side);
}

/** Waits for the kernel to report the link operationally up (a few polls at most). */
async function untilUp(side: Side): Promise<void> {
  let state = '';
  for (let poll = 0; poll < 500; poll++) {
    state = execFileSync('ip', ['-n', side.ns, '-br', 'link', 'show', side.iface], { encoding: 'utf8' });
    if (/\sUP\s/.test(state)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${side.iface} in ${side.ns} never came up: ${state}`);
}

export type AgentEvent = Record<string, unknown> & { event: string; socket: number };
type Result = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };

/** A netns-agent process; `call` sends a command, `next` waits for a matching arrival. */
export class Agent {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #replies = new Map<number, (r: Result) => void>();
  readonly #events: AgentEvent[] = [];
  #waiters: { match: (e: AgentEvent) => boolean; resolve: (e: AgentEvent) => void }[] = [];
  #nextId = 1;
  #stderr = '';
  #exited: string | undefined;

  constructor(ns: string, prefix: readonly string[] = []) {
    this.#child = spawn('ip', ['netns', 'exec', ns, ...prefix, process.execPath, AGENT]);
    this.#child.stderr.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    this.#child.on('exit', (code, signal) => {
      this.#exited = `agent in ${ns} exited (${code ?? signal}): ${this.#stderr}`;
      for (const reply of this.#replies.values()) reply({ ok: false, error: { code: 'AgentExited', message: this.#exited } });
      this.#replies.clear();
    });
    createInterface({ input: this.#child.stdout }).on('line', (line) => this.#receive(line));
  }

  #receive(line: string): void {
    const msg: unknown = JSON.parse(line);
    if (typeof msg !== 'object' || msg === null) return;
    if ('id' in msg && typeof msg.id === 'number' && 'result' in msg && isResult(msg.result)) {
      this.#replies.get(msg.id)?.(msg.result);
      this.#replies.delete(msg.id);
    } else if ('event' in msg && typeof msg.event === 'string' && 'socket' in msg && typeof msg.socket === 'number') {
      const event: AgentEvent = { ...msg, event: msg.event, socket: msg.socket };
      const waiter = this.#waiters.find((w) => w.match(event));
      if (waiter !== undefined) {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        waiter.resolve(event);
      } else {
        this.#events.push(event);
      }
    }
  }

  call(op: string, args: Record<string, unknown> = {}): Promise<Result> {
    if (this.#exited !== undefined) return Promise.resolve({ ok: false, error: { code: 'AgentExited', message: this.#exited } });
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#replies.set(id, resolve);
      this.#child.stdin.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  /** Like call, but the command must succeed; its value is returned. */
  async must(op: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const r = await this.call(op, args);
    if (!r.ok) throw new Error(`${op} failed: ${r.error.code}: ${r.error.message}`);
    return r.value;
  }

  /** The first arrival (already received or still to come) that matches; the test's timeout bounds the wait. */
  next(match: (e: AgentEvent) => boolean): Promise<AgentEvent> {
    const i = this.#events.findIndex(match);
    const [found] = i >= 0 ? this.#events.splice(i, 1) : [];
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  /** Arrivals received so far that no `next` took, removed from the buffer. */
  drain(match: (e: AgentEvent) => boolean): AgentEvent[] {
    const taken = this.#events.filter(match);
    this.#events.splice(0, this.#events.length, ...this.#events.filter((e) => !match(e)));
    return taken;
  }

  async stop(): Promise<void> {
    if (this.#exited !== undefined) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin.end();
    await exited;
  }
}

function isResult(value: unknown): value is Result {
  if (typeof value !== 'object' || value === null || !('ok' in value)) return false;
  if (value.ok === true) return true; // JSON drops `value: undefined`
  return value.ok === false && 'error' in value && typeof value.error === 'object' && value.error !== null && 'code' in value.error && typeof value.error.code === 'string';
}
