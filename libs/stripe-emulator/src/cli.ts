import { startStripeEmulator } from './index';

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const port = Number(flag('port') ?? process.env.STRIPE_EMULATOR_PORT ?? 12111);
  const emulator = await startStripeEmulator({
    port,
    host: flag('host') ?? '127.0.0.1',
    persistPath: flag('persist'),
    logger: { info: (m) => console.log(m), warn: (m) => console.warn(m) },
  });
  console.log(
    [
      `Stripe emulator listening on ${emulator.url}`,
      `  API key: any sk_test_... key, e.g. ${emulator.secretKey}`,
      `  SDK:     new Stripe('${emulator.secretKey}', { host: '${emulator.host}', port: ${emulator.port}, protocol: 'http' })`,
      `  Test routes: ${emulator.url}/_emulator/...`,
    ].join('\n'),
  );
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: NodeJS.ErrnoException & { port?: number }) => {
  // The usual first-hour stumble (a second `npm run emulator`): one line saying what to do, not a stack.
  if (err?.code === 'EADDRINUSE')
    console.error(`Stripe emulator: port ${err.port} is in use (another emulator?); stop it or pass --port <free port>`);
  else console.error(err);
  process.exit(1);
});
