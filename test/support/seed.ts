/**
 * The demo seed and the seed file's shape, for suites that build their sites from them: imported
 * from here rather than from src/, so a move of the seed code inside src/ changes this line only.
 */
export { DEMO_SEED, readSeedFile, type Seed } from '../../src/domain/seed.js';
