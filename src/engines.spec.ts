import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { subset } from 'semver';

// #15: `engines` names exactly the Node versions CI runs the suite on, and an installed dependency that
// declares a stricter range must be named in the README with why it still works. A new such dependency
// fails here until someone has looked at it and said so.
const root = join(__dirname, '..');
const ours: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.node;

function stricterThanOurs(dir: string, found = new Map<string, string>()): Map<string, string> {
  if (!existsSync(dir)) return found;
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    const packages = entry.startsWith('@') ? readdirSync(join(dir, entry)).map((s) => join(dir, entry, s)) : [join(dir, entry)];
    for (const pkg of packages) {
      const file = join(pkg, 'package.json');
      if (!existsSync(file)) continue;
      const { name, engines } = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; engines?: { node?: unknown } };
      if (name && typeof engines?.node === 'string' && !subset(ours, engines.node)) found.set(name, engines.node);
      stricterThanOurs(join(pkg, 'node_modules'), found);
    }
  }
  return found;
}

describe('engines', () => {
  it('names the two Node lines CI runs (.ci/run: the machine Node 20 and Node 24 LTS)', () => {
    expect(ours).toBe('^20.19.0 || ^24.15.0');
  });

  it('every installed dependency that wants a newer Node than ours is explained in the README', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Node versions'), readme.indexOf('\n## ', readme.indexOf('## Node versions') + 1));
    const unexplained = [...stricterThanOurs(join(root, 'node_modules'))].filter(([name]) => !section.includes(`\`${name}\``));
    expect(unexplained).toEqual([]);
  });
});
