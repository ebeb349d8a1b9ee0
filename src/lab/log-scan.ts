// Reading the lab's process logs for requests the API server refused (issue #8, point 3: on the
// real kube-apiserver Herald runs with exactly deploy/'s RBAC, and a permission it lacks must
// fail the e2e file that met it, not scroll by in a log).
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** How a refused request shows in Herald's JSON logs: client-node's message, our `code` field, the API's reason. */
const FORBIDDEN = /\bHTTP(?:-Code:)? 403\b|"code":\s*403\b|forbidden/i;

/** Lines of `files` (missing ones skipped) that show a 403, each prefixed by its file name. */
export function forbiddenLines(files: readonly string[]): string[] {
  return files.flatMap((f) => {
    if (!existsSync(f)) return [];
    return readFileSync(f, 'utf8').split('\n').filter((l) => FORBIDDEN.test(l)).map((l) => `${basename(f)}: ${l.slice(0, 400)}`);
  });
}

