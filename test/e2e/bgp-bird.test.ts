// api-suite: the BGP e2e set against BIRD 2 on the control plane HERALD_APISERVER names (issue #8, point 4)
// BGP mode end to end (issue #4) against BIRD 2 as the ToR: three node namespaces, each running
// `herald speaker`, one AS for all nodes (equal AS_PATHs, so BIRD merges the paths with
// `merge paths yes`). The e2e set is bgp-suite.ts. Skipped without root, `ip` or BIRD.
import { ecmpSuite, missingTools } from './bgp-suite.ts';

ecmpSuite({ title: 'BGP against BIRD 2 as the ToR', router: 'bird', skip: missingTools(['ip', 'bird', 'birdc']), sessions: ['node_a', 'node_b', 'node_c'] });
