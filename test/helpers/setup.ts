// Loaded by vitest before every test file (vitest.config.ts, setupFiles).
import { afterAll } from 'vitest';
import { removeScratchRoot } from './tmp.js';

afterAll(() => removeScratchRoot());
