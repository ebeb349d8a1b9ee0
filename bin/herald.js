#!/usr/bin/env node
// Entry for `npx herald`: the compiled CLI (run `npm run build` first).
import '../dist/cli.js';
