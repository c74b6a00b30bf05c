#!/usr/bin/env node
// The `isolab` command. The server is TypeScript run through tsx (no separate compile step, so a
// second `npm start` starts in about a second); type-checking happens in `npm test`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../server/main/cli.ts');
process.exitCode = await main(process.argv.slice(2));
