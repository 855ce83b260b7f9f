import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AppConfig } from './configuration';

/**
 * Outside production with API_KEYS unset, the generated key is kept next to the embedded database's files
 * (`.data/dev-api-key` by default) and reused at the next start, so the key Swagger UI remembers keeps
 * working across restarts. Deleting the file rotates it. Returns the file, or undefined when keys are configured.
 */
export function keepDevApiKey(config: AppConfig): string | undefined {
  const generated = config.app.generatedApiKey;
  if (!generated) return undefined;
  const file = join(dirname(config.database.embeddedDir), 'dev-api-key');
  const stored = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  // The same object is in config.app.apiKeys: replacing its key there makes it the accepted one.
  if (/^dev_[A-Za-z0-9_-]{16,}$/.test(stored)) generated.key = stored;
  else {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${generated.key}\n`, { mode: 0o600 });
  }
  return file;
}
