#!/usr/bin/env node
// The admin command line. Plain JavaScript so it runs without a build step: tsx's loader is
// registered first, then the TypeScript entry point is imported.
import { register } from 'tsx/esm/api';

register();
await import('../src/admin/cli/main.ts');
