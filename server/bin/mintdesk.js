#!/usr/bin/env node
// The sources are TypeScript run through tsx, so there is no build step to forget before starting.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli.ts');
process.exitCode = await runCli(process.argv.slice(2));
