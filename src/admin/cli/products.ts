import { createProduct, listProducts } from '../../domain/admin.js';
import { ProductSeedSchema } from '../../domain/seed.js';
import { formatTable } from './format.js';
import { UsageError, JSON_OPTION, printJson, str, checkSchema, ID_RULE, usageOf, type Command } from './command.js';

/** Products: the `sessionlink products` commands. */
export const PRODUCTS_COMMANDS: Command[] = [
  {
    name: 'products list', synopsis: '<site> [--json]', summary: "list a site's products", positionals: ['site'], options: JSON_OPTION,
    async run({ ctx, args, io, json }) {
      const products = await listProducts(ctx, args[0] as string);
      if (json) return printJson(io, products);
      io.out(formatTable(['id', 'name', 'price'], products.map((p) => [p.id, p.name, p.price])));
    }
  },
  {
    name: 'products create', synopsis: '<site> <id> --name NAME --price 19.99 [--json]', summary: 'create a product',
    positionals: ['site', 'id'], options: { ...JSON_OPTION, name: { type: 'string' }, price: { type: 'string' } },
    check(args, values) {
      const usage = usageOf(this);
      if (str(values, 'name') === undefined) throw new UsageError('--name is required', usage);
      if (str(values, 'price') === undefined) throw new UsageError('--price is required', usage);
      return checkSchema(ProductSeedSchema, { id: args[1], name: str(values, 'name'), price: str(values, 'price') },
        { '/id': `<id> ${ID_RULE}`, '/name': '--name must not be empty', '/price': '--price must be a decimal amount like 19.99' }, usage);
    },
    async run({ ctx, args, io, json }, checked) {
      const product = await createProduct(ctx, args[0] as string, checked as { id: string; name: string; price: string });
      if (json) return printJson(io, product);
      io.out(`created product ${product.id} (${product.name}, ${product.price}) on site ${product.site}\n`);
    }
  }
];
