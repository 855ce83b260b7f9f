import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedDataParent } from './utils/process';
import { until } from './utils/wait';

// Booting embeds a PostgreSQL (initdb on the first start): slow on a loaded CI machine, so generous bounds.
const BOOT_MS = 120_000;
jest.setTimeout(400_000);

const ROOT = join(__dirname, '..');
const BANNER_END = /Authorization: Bearer \S+\n\n/;

interface NpmStart {
  npm: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * `npm start` exactly as a newcomer types it, minus `prestart` (`--ignore-scripts` skips pre/post scripts, not
 * the script asked for): `nest build` empties dist/ first, which would pull the compiled service from under
 * the test files running beside this one. `npm test` built dist/ already.
 */
function npmStart(env: Record<string, string>): Promise<NpmStart> {
  const npm = spawn('npm', ['start', '--ignore-scripts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  npm.stdout.on('data', (d) => (out += d));
  npm.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not print its banner in ${BOOT_MS} ms:\n${out}`)), BOOT_MS);
    const onData = () => {
      if (!BANNER_END.test(out)) return;
      clearTimeout(timer);
      npm.stdout.off('data', onData);
      resolve({ npm, output: () => out, exited });
    };
    npm.stdout.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code} before its banner:\n${out}`));
    });
  });
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^\S+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);

/** Every live process below `root`, from /proc (Linux). */
function descendants(root: number): number[] {
  const pids = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
  const parents = new Map<number, number>();
  for (const pid of pids) {
    try {
      parents.set(pid, parentOf(pid));
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [pid, ppid] of parents) {
      if (ppid !== parent) continue;
      found.push(pid);
      walk(pid);
    }
  };
  walk(root);
  return found;
}

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');

describe('npm start as a process (#15)', () => {
  const temp = embeddedDataParent('payments-npm-start-');
  const dir = temp.dir;
  // The default log level: what a newcomer sees.
  const env = { PORT: '0', HOST: '127.0.0.1', EMBEDDED_DATABASE_DIR: join(dir, 'pg'), RECONCILE_INTERVAL_SECONDS: '0' };
  afterAll(() => temp.remove());

  it('prints the banner last; SIGTERM to npm stops node and every PostgreSQL process of the data dir; the next start works', async () => {
    const first = await npmStart(env);
    let second: NpmStart | undefined;
    try {
      const npmPid = first.npm.pid!;
      const tree = descendants(npmPid);
      const node = tree.find((pid) => cmdline(pid).includes('dist/src/main.js'))!;
      expect(cmdline(node)).toContain('dist/src/main.js');
      const postmaster = Number(readFileSync(join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
      const postgres = descendants(node).filter((pid) => cmdline(pid).startsWith('postgres') || cmdline(pid).includes('/postgres '));
      expect(postgres).toContain(postmaster);
      expect(postgres.length).toBeGreaterThan(1); // the postmaster and its workers

      // The service serves, and serving did not print anything start-up-ish after the banner.
      const url = /listening on (http:\/\/\S+)/.exec(first.output())![1];
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
      process.kill(npmPid, 'SIGTERM');
      expect(await first.exited).toBe(0);
      const output = first.output();
      const banner = output.search(/\nPayments service listening on /);
      const beforeBanner = output.slice(0, banner);
      const afterBanner = output.slice(banner).split(BANNER_END)[1];
      // Start-up lines (the sandbox's webhook registration among them) all come before the banner...
      expect(beforeBanner).toContain('Sandbox webhook endpoint');
      // ...and after it only the request just made and the shutdown.
      const later = afterBanner
        .split('\n')
        .filter(Boolean)
        .map((line) => (line.startsWith('{') ? (JSON.parse(line) as { msg: string }).msg : line));
      expect(later.filter((msg) => !['incoming request', 'request completed'].includes(msg))[0]).toMatch(
        /^SIGTERM received: draining requests and shutting down/,
      );
      expect(output).not.toContain('Server listening at'); // Fastify's own line repeated the banner's: debug now

      await until(
        'node and every PostgreSQL process gone',
        async () => [node, ...postgres].filter(alive),
        (left) => left.length === 0,
        60_000,
      );
      expect(existsSync(join(dir, 'pg', 'postmaster.pid'))).toBe(false);

      second = await npmStart(env);
      const again = /listening on (http:\/\/\S+)/.exec(second.output())![1];
      expect((await fetch(`${again}/health/ready`)).status).toBe(200);
      process.kill(second.npm.pid!, 'SIGTERM');
      expect(await second.exited).toBe(0);
      second = undefined;
    } finally {
      for (const run of [first, second]) if (run && run.npm.exitCode === null) run.npm.kill('SIGTERM');
    }
  });
});
