// The lab's ARP/NDP probes: command lines per arping flavour, and parsing of real output
// (captured in the lab: Debian's arping 2.23 by Thomas Habets, iputils-arping, ndisc6 1.0.7).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { arpingFlavour, parseArping, parseNdisc6, probeArgv, probeResult } from '../../src/lab/l2-probe.ts';
import type { ExecResult } from '../../src/lab/exec.ts';
import { isLabError } from '../../src/lab/errors.ts';

const result = (code: number, stdout: string, stderr = ''): ExecResult => ({ code, signal: null, stdout, stderr, timedOut: false });

describe('lab probes: arping and ndisc6', () => {
  it('parses every replying MAC, lowercase, once, from each tool', () => {
    const table: [string, (s: string) => string[], string, string[]][] = [
      ['habets -r', parseArping, '02:68:6c:00:00:0b\n', ['02:68:6c:00:00:0b']],
      ['habets -r, two answerers', parseArping, '02:68:6c:00:00:0b\n02:68:6c:00:00:0c\n02:68:6c:00:00:0b\n', ['02:68:6c:00:00:0b', '02:68:6c:00:00:0c']],
      ['habets, no reply', parseArping, '', []],
      ['iputils', parseArping, 'ARPING 192.0.2.200 from 192.0.2.100 eth0\nUnicast reply from 192.0.2.200 [02:68:6C:00:00:0D]  0.612ms\nSent 1 probes (1 broadcast(s))\nReceived 1 response(s)\n', ['02:68:6c:00:00:0d']],
      ['iputils, no reply', parseArping, 'ARPING 192.0.2.219 from 192.0.2.100 eth0\nSent 2 probes (2 broadcast(s))\nReceived 0 response(s)\n', []],
      ['ndisc6', parseNdisc6, 'Soliciting 2001:db8::11 (2001:db8::11) on eth0...\nTarget link-layer address: 02:68:6C:00:00:0B\n from 2001:db8::11\n', ['02:68:6c:00:00:0b']],
      ['ndisc6, no reply', parseNdisc6, 'Soliciting 2001:db8::219 (2001:db8::219) on eth0...\nTimed out.\nNo response.\n', []],
    ];
    for (const [what, parse, out, macs] of table) assert.deepEqual(parse(out), macs, what);
  });

  it('builds the command line for the flavour on this machine, the family and the mode', () => {
    assert.equal(arpingFlavour('ARPing 2.23, by Thomas Habets <thomas@habets.se>'), 'habets');
    assert.equal(arpingFlavour('Usage: arping [-AbDfhqUV] [-c count] [-w timeout] [-I device]'), 'iputils');
    assert.deepEqual(probeArgv('192.0.2.200', 'eth0', 'habets', 'first'), ['arping', '-C', '1', '-c', '1', '-w', '1', '-r', '-i', 'eth0', '192.0.2.200']);
    assert.deepEqual(probeArgv('192.0.2.200', 'eth0', 'habets', 'all', 2), ['arping', '-c', '1', '-W', '2', '-r', '-i', 'eth0', '192.0.2.200']);
    assert.deepEqual(probeArgv('192.0.2.200', 'eth0', 'iputils', 'first', 0.2), ['arping', '-c', '1', '-w', '1', '-I', 'eth0', '192.0.2.200']);
    assert.deepEqual(probeArgv('2001:db8::200', 'eth0', 'habets', 'first'), ['ndisc6', '-1', '-n', '-r', '1', '-w', '1000', '2001:db8::200', 'eth0']);
    assert.deepEqual(probeArgv('2001:db8::200', 'eth0', 'iputils', 'all', 0.5), ['ndisc6', '-m', '-n', '-r', '1', '-w', '500', '2001:db8::200', 'eth0']);
    assert.throws(() => probeArgv('node-a', 'eth0', 'habets', 'first'), (e) => isLabError(e, 'InvalidOptions'));
  });

  it('no reply is an answer (exit 1 from arping, 2 from ndisc6); any other failure is an error', () => {
    const argv = ['arping'];
    assert.deepEqual(probeResult('192.0.2.219', argv, result(1, '')), []);
    assert.deepEqual(probeResult('2001:db8::219', argv, result(2, 'Timed out.\nNo response.\n')), []);
    assert.deepEqual(probeResult('192.0.2.200', argv, result(0, '02:68:6c:00:00:0b\n')), ['02:68:6c:00:00:0b']);
    assert.throws(() => probeResult('192.0.2.200', argv, result(64, '', 'arping: libnet_init(): eth9: no such device')), (e) => isLabError(e, 'CommandFailed') && /eth9/.test(e.message));
  });
});
