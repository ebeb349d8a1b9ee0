// Loading credentials with every way it can go wrong as a value (issue #13): a missing or
// unreadable file, YAML that does not parse, a kubeconfig without a usable context, cluster or
// server, files it names that are not there, or no --kubeconfig outside a pod. client-node would
// throw a raw ENOENT or a js-yaml stack, or build a client for "https://undefined:undefined".
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PooledKubeConfig } from './client.ts';

export type KubeconfigProblemCode =
  | 'KUBECONFIG_NOT_FOUND'
  | 'KUBECONFIG_UNREADABLE'
  | 'KUBECONFIG_INVALID'
  | 'KUBECONFIG_NO_CONTEXT'
  | 'KUBECONFIG_INCOMPLETE'
  | 'KUBECONFIG_BAD_SERVER'
  | 'KUBECONFIG_FILE_MISSING'
  | 'NOT_IN_CLUSTER'
  | 'IN_CLUSTER_NO_TOKEN';

export interface KubeconfigProblem {
  code: KubeconfigProblemCode;
  /** One line: what is wrong, with the path or value, and what to do. */
  message: string;
}

export type LoadedKubeconfig = { ok: true; kc: PooledKubeConfig; server: string } | { ok: false; problem: KubeconfigProblem };

/** Where the kubelet mounts the pod's ServiceAccount token. */
export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

const REWRITE = '`kubectl config view --raw --minify --flatten > FILE` (run against a kubeconfig that works)';

function problem(code: KubeconfigProblemCode, message: string): LoadedKubeconfig {
  return { ok: false, problem: { code, message } };
}

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** js-yaml's YAMLException: `reason` and a 0-based `mark`. */
function yamlWhere(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('name' in err) || err.name !== 'YAMLException') return undefined;
  const reason = 'reason' in err && typeof err.reason === 'string' ? err.reason : 'cannot parse';
  const mark = 'mark' in err && typeof err.mark === 'object' && err.mark !== null ? err.mark : undefined;
  const line = mark !== undefined && 'line' in mark && typeof mark.line === 'number' ? mark.line + 1 : undefined;
  const column = mark !== undefined && 'column' in mark && typeof mark.column === 'number' ? mark.column + 1 : undefined;
  return line === undefined ? reason : `line ${line}, column ${column ?? '?'}: ${reason}`;
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

/** The file given with --kubeconfig, or the pod's ServiceAccount when `path` is undefined. */
export function loadKubeconfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env, tokenFile = SERVICE_ACCOUNT_TOKEN): LoadedKubeconfig {
  const kc = new PooledKubeConfig();
  if (path === undefined) {
    if (env['KUBERNETES_SERVICE_HOST'] === undefined || env['KUBERNETES_SERVICE_HOST'] === '') {
      const hint = env['KUBECONFIG'] === undefined || env['KUBECONFIG'] === '' ? '--kubeconfig FILE (e.g. ~/.kube/config)' : `--kubeconfig ${env['KUBECONFIG'].split(':')[0] ?? ''} ($KUBECONFIG is not read)`;
      return problem('NOT_IN_CLUSTER', `no --kubeconfig given and not running in a pod ($KUBERNETES_SERVICE_HOST is not set); pass ${hint}`);
    }
    if (!existsSync(tokenFile)) {
      return problem('IN_CLUSTER_NO_TOKEN', `running in a pod but its ServiceAccount token ${tokenFile} is not mounted; do not set automountServiceAccountToken: false on Herald's pods (deploy/ does not)`);
    }
    try {
      kc.loadFromCluster();
    } catch (err) {
      return problem('KUBECONFIG_INVALID', `cannot use the pod's ServiceAccount: ${firstLine(err)}`);
    }
    return { ok: true, kc, server: kc.getCurrentCluster()?.server ?? '' };
  }
  if (path === '') return problem('KUBECONFIG_NOT_FOUND', '--kubeconfig is empty; pass the path of a kubeconfig file, or leave the flag out inside a pod');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT') return problem('KUBECONFIG_NOT_FOUND', `kubeconfig "${path}" does not exist; pass the path of a kubeconfig file (e.g. ~/.kube/config), or leave --kubeconfig out inside a pod`);
    const why = code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : firstLine(err);
    return problem('KUBECONFIG_UNREADABLE', `cannot read kubeconfig "${path}": ${why}${code === undefined ? '' : ` (${code})`}; pass a readable kubeconfig file`);
  }
  try {
    kc.loadFromString(text);
  } catch (err) {
    const where = yamlWhere(err);
    return where === undefined
      ? problem('KUBECONFIG_INVALID', `kubeconfig "${path}" is not a valid kubeconfig: ${firstLine(err)}; write it again with ${REWRITE}`)
      : problem('KUBECONFIG_INVALID', `kubeconfig "${path}" is not valid YAML (${where}); fix it or write it again with ${REWRITE}`);
  }
  kc.makePathsAbsolute(dirname(path));
  const current = kc.getCurrentContext();
  const use = `choose one with \`kubectl config use-context NAME --kubeconfig ${path}\``;
  if (current === undefined || current === null || current === '') return problem('KUBECONFIG_NO_CONTEXT', `kubeconfig "${path}" has no current-context; ${use}`);
  const context = kc.getContextObject(current);
  if (context === null || context === undefined) return problem('KUBECONFIG_NO_CONTEXT', `kubeconfig "${path}" has current-context "${current}", which it does not define; ${use}`);
  const cluster = kc.getCurrentCluster();
  if (cluster === null) return problem('KUBECONFIG_INCOMPLETE', `kubeconfig "${path}": context "${current}" names cluster "${context.cluster}", which the file does not define; write it again with ${REWRITE}`);
  if (context.user !== undefined && context.user !== '' && kc.getCurrentUser() === null) {
    return problem('KUBECONFIG_INCOMPLETE', `kubeconfig "${path}": context "${current}" names user "${context.user}", which the file does not define; write it again with ${REWRITE}`);
  }
  let url: URL | undefined;
  try {
    url = new URL(cluster.server);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    return problem('KUBECONFIG_BAD_SERVER', `kubeconfig "${path}": cluster "${cluster.name}" has server "${cluster.server ?? ''}", which is not an https:// URL; set it with \`kubectl config set-cluster ${cluster.name} --server=https://HOST:6443 --kubeconfig ${path}\``);
  }
  const user = kc.getCurrentUser();
  for (const [field, file] of [['certificate-authority', cluster.caFile], ['client-certificate', user?.certFile], ['client-key', user?.keyFile]] as const) {
    if (file !== undefined && file !== '' && !existsSync(file)) {
      return problem('KUBECONFIG_FILE_MISSING', `kubeconfig "${path}" names ${field} "${file}", which does not exist; fix the path or embed the file with ${REWRITE}`);
    }
  }
  return { ok: true, kc, server: cluster.server };
}
