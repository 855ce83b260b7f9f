// Data source for the TypeORM CLI (migration:generate|run|revert), run from dist/ after `npm run build`.
import { DataSource } from 'typeorm';
import { join } from 'node:path';
import { typeormOptions } from './typeorm-options';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL must be set to run migrations from the CLI');

export default new DataSource({
  ...typeormOptions(url, 2, false),
  entities: [join(__dirname, '..', '**', '*.entity.js')],
});
