// Entry point of `npm start`: load config -> compose -> listen -> graceful shutdown.
import { ConfigError, loadConfig } from './config/config.ts';
import { composeNugget } from './compose.ts';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    const code = (error as { code?: string }).code;
    // commander already printed help or the usage error.
    if (code === 'commander.helpDisplayed' || code === 'commander.version') process.exit(0);
    if (code?.startsWith('commander.')) process.exit(2);
    throw error;
  }

  const nugget = await composeNugget(config);
  const address = await nugget.app.listen({ host: config.host, port: config.port });
  const { port } = new URL(address);
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const base = config.publicUrl ?? `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  // A plain line (not JSON) so people and tests can find the feed URL.
  process.stdout.write(`Service index: ${base}/v3/index.json\n`);

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

await main();
