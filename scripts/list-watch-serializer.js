// Stands in for client-node's serializer.js where its ListWatch (cache.js) imports it, inside the
// bundle (scripts/bundle.ts; issue #10). ListWatch only passes its label and field selectors
// through ObjectSerializer.serialize(selector, 'string'), which returns a string as it is; the
// real ObjectSerializer brings every one of client-node's ~900 model classes into the speaker
// (~10 MB of RSS). Any other use is a change in client-node this must hear about: it throws.
export const ObjectSerializer = {
  serialize(data, type) {
    if (type !== 'string' || typeof data !== 'string') {
      throw new Error(`scripts/list-watch-serializer.js: ListWatch serialised a ${typeof data} as '${type}'; update the stand-in for this client-node version`);
    }
    return data;
  },
};
