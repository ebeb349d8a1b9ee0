#!/usr/bin/env node
// Entry for `npx herald` and the image: the bundle (run `npm run build` first; scripts/bundle.ts).
import '../dist/herald.mjs';
