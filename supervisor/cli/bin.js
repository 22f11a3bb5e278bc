#!/usr/bin/env node
// The `supervisor` bin that package.json names: a JavaScript shim so npm can link it, running the TypeScript CLI.
// The compile cache keeps type-stripped, compiled modules on disk: it halves the CLI's start-up, which an
// operator pulling the kill switch waits through.
import { enableCompileCache } from 'node:module';

enableCompileCache();
await import('./main.ts');
