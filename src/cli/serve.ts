// Runs the feed until SIGINT/SIGTERM: the body of `npm start` and `nugget serve`.
import { composeNugget } from '../compose.ts';
import type { Config } from '../config/config.ts';
import { redactSecrets } from '../redact.ts';

export async function serve(config: Config): Promise<void> {
  const nugget = await composeNugget(config);
  const address = await nugget.app.listen({ host: config.host, port: config.port });
  const { port } = new URL(address);
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const scheme = config.tlsCert === undefined ? 'http' : 'https';
  const base =
    config.publicUrl ?? `${scheme}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  // A plain line (not JSON) so people and tests can find the feed URL.
  process.stdout.write(`Service index: ${redactSecrets(base)}/v3/index.json\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    nugget.app.log.info({ signal }, 'shutting down');
    await nugget.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
