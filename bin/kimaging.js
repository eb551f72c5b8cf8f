#!/usr/bin/env node
import { runEntry } from './entry.js';
await runEntry('cli/main');
