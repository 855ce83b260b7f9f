import { CoreSchema1795708800000 } from './migrations/1795708800000-core-schema';

// Listed explicitly rather than globbed, so the same list works compiled, under Jest and in the CLI.
// `npm run migration:generate -- src/database/migrations/<name>` writes a new file: add it here.
export const migrations = [CoreSchema1795708800000];
