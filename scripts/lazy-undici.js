// Stands in for `undici` inside the bundle (scripts/bundle.ts; issue #10). Herald sends every
// request through node:http (src/kube/transport.ts); client-node still imports undici at the top
// of config.js and watch.js, for code paths Herald does not take. Loading undici anyway cost an
// idle speaker ~18 MB of RSS (bench/README.md, "Speaker footprint"). Here the three names
// client-node imports load the real undici, from node_modules at run time (the image ships the
// production dependencies), the first time one of them is called: nothing until then, the same
// after.
let real;
function undici() {
  real ??= require('undici');
  return real;
}

export class Agent {
  constructor(...args) {
    return new (undici().Agent)(...args);
  }
}

export class ProxyAgent {
  constructor(...args) {
    return new (undici().ProxyAgent)(...args);
  }
}

export function fetch(...args) {
  return undici().fetch(...args);
}
