import { AdminError } from '../../domain/admin.js';
import { loadSeed, readSeedFile } from '../../domain/seed.js';
import { JSON_OPTION, printJson, type Command } from './command.js';

/** The seed file: the `sessionlink seed` commands. */
export const SEED_COMMANDS: Command[] = [
  {
    name: 'seed', synopsis: '<file>', summary: "load a seed file, idempotently, exactly as the server's --seed does",
    positionals: ['file'], creates: true, options: JSON_OPTION,
    check(args) {
      try {
        return readSeedFile(args[0] as string);
      } catch (err) {
        throw new AdminError(`cannot load seed file ${args[0]}: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    async run({ ctx, io, json }, checked) {
      const seed = checked as ReturnType<typeof readSeedFile>;
      await loadSeed(ctx, seed);
      const counts = {
        sites: seed.sites.length,
        apiKeys: seed.sites.reduce((n, s) => n + (s.apiKeys?.length ?? 0), 0),
        shoppers: seed.sites.reduce((n, s) => n + (s.shoppers?.length ?? 0), 0),
        products: seed.sites.reduce((n, s) => n + (s.products?.length ?? 0), 0)
      };
      if (json) return printJson(io, counts);
      io.out(`loaded ${counts.sites} sites, ${counts.apiKeys} API keys, ${counts.shoppers} shoppers, ${counts.products} products\n`);
    }
  }
];
