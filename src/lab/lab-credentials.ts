// Who the lab's speakers and controller process are to the API server. On a real kube-apiserver:
// their own ServiceAccounts, herald-speaker and herald-controller, with exactly the RBAC of
// deploy/ and TokenRequest tokens (issue #8, point 4: the e2e suites then prove those permissions
// suffice). The stand-in has no authorization, so there both use the admin kubeconfig.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ControlPlane } from '../controlplane/control-plane.ts';
import { CONTROLLER_RBAC, SPEAKER_RBAC, applyManifestFile } from './manifests.ts';

export const SPEAKER_SERVICE_ACCOUNT = 'herald-speaker';
export const CONTROLLER_SERVICE_ACCOUNT = 'herald-controller';

export interface LabCredentials {
  /** 'serviceaccount' on a real server (deploy/speaker-rbac.yaml applies), 'admin' on the stand-in. */
  readonly speakers: 'serviceaccount' | 'admin';
  readonly speakerKubeconfig: string;
  readonly controllerKubeconfig: string;
  /** Applies the RBAC again (create-only) and writes fresh tokens into both files; running processes keep theirs. */
  refresh(): Promise<void>;
}

export async function labCredentials(plane: ControlPlane, dir: string, namespace: string): Promise<LabCredentials> {
  const speakerKubeconfig = join(dir, 'speaker-kubeconfig');
  const controllerKubeconfig = join(dir, 'controller-kubeconfig');
  const refresh = async (): Promise<void> => {
    const real = plane.real;
    if (real !== undefined) {
      await applyManifestFile(real.admin, SPEAKER_RBAC);
      await applyManifestFile(real.admin, CONTROLLER_RBAC);
    }
    await writeFile(speakerKubeconfig, await plane.serviceAccountKubeconfig(namespace, SPEAKER_SERVICE_ACCOUNT), { mode: 0o600 });
    await writeFile(controllerKubeconfig, await plane.serviceAccountKubeconfig(namespace, CONTROLLER_SERVICE_ACCOUNT), { mode: 0o600 });
  };
  await refresh();
  return { speakers: plane.real === undefined ? 'admin' : 'serviceaccount', speakerKubeconfig, controllerKubeconfig, refresh };
}
