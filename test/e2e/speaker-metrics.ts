// A lab speaker's /metrics, read the way Prometheus would, for e2e checks on counters and gauges.
import type { LabHost } from '../../src/lab/netns.ts';
import { SPEAKER_METRICS_PORT } from '../../src/lab/speakers.ts';

/** The text exposition of the node's speaker, from its management address. */
export async function metricsOf(node: LabHost): Promise<string> {
  const res = await fetch(`http://${node.mgmt?.ipv4 ?? ''}:${SPEAKER_METRICS_PORT}/metrics`, { signal: AbortSignal.timeout(3000) });
  return res.text();
}

/** The value of one series, written out with its labels (`name{a="b"}`); 0 when absent. */
export function counter(text: string, series: string): number {
  const escaped = series.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^${escaped} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text);
  return m === null ? 0 : Number(m[1]);
}
