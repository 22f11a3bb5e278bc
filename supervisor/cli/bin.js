#!/usr/bin/env node
// The `supervisor` bin that package.json names: a JavaScript shim so npm can link it, running the TypeScript CLI.
import './main.ts';
