// The local side of the FSM tests (fsm.test.ts, fsm-behaviour.test.ts, fsm-check-open.test.ts):
// both address families and graceful restart on, so every capability path is reachable.
import type { LocalConfig } from '../../src/bgp/fsm-types.ts';

export const FSM_LOCAL: LocalConfig = {
  asn: 64512,
  peerAsn: 65000,
  routerId: 0xc000020b, // 192.0.2.11
  holdTimeSeconds: 90,
  keepaliveSeconds: 30,
  connectRetrySeconds: 5,
  active: true,
  families: ['ipv4-unicast', 'ipv6-unicast'],
  gracefulRestart: { enabled: true, restartTimeSeconds: 120 },
};
