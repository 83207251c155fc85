// `nugget vulnerabilities import <file.json>` or `--from <service index URL>`: load the advisories behind
// VulnerabilityInfo and the `vulnerabilities` of registration and search, on the configured storage directly.
// The file format, and the HTTP API that does the same: docs/vulnerabilities.md.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { invalidInput } from '../../errors.ts';
import {
  type FetchJson,
  importVulnerabilities,
  readUpstreamAdvisories,
} from '../../packages/import-vulnerabilities.ts';
import type { AdvisoryInput } from '../../packages/ports.ts';
import { feedCommand, openFeed } from '../open-feed.ts';

const fetchJson: FetchJson = async (url) => {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok)
    throw invalidInput('upstream_failed', `GET ${url} answered ${response.status} ${response.statusText}.`);
  return response.json();
};

async function readAdvisoryFile(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidInput('invalid_advisory', `${file} is not JSON: ${(error as Error).message}`);
  }
}

export function vulnerabilitiesCommand(program: Command): void {
  const vulnerabilities = program
    .command('vulnerabilities')
    .description('manage the known vulnerabilities this feed reports (VulnerabilityInfo, restore audit)');
  feedCommand(
    vulnerabilities
      .command('import')
      .description('import advisories from a JSON file (docs/vulnerabilities.md) or another feed (--from)')
      .argument('[file]', 'an advisory file: our format or GitHub global advisories')
      .option(
        '--from <url>',
        "another feed's service index: replicate its VulnerabilityInfo (implies --replace)",
      )
      .option('--replace', 'remove every advisory the import does not name')
      .option('--feed <name>', 'the feed whose advisories these are', 'default'),
  ).action(async (file: string | undefined, flags: Record<string, unknown>) => {
    const from = typeof flags['from'] === 'string' ? flags['from'] : undefined;
    if (!file === !from)
      throw invalidInput('invalid_arguments', 'Give either an advisory file or --from <service index URL>.');
    const nugget = await openFeed(flags);
    try {
      const { feed, stores } = await nugget.openFeed(String(flags['feed']));
      let summary;
      if (from) {
        const advisories: AdvisoryInput[] = await readUpstreamAdvisories(fetchJson, from);
        summary = await stores.advisories.importAdvisories(advisories, { replace: true });
      } else {
        const document = await readAdvisoryFile(file as string);
        summary = await importVulnerabilities(stores, { document, replace: flags['replace'] === true });
      }
      await nugget.services.audit.append({
        feed: feed.name,
        at: new Date().toISOString(),
        actor: 'cli',
        action: 'import-vulnerabilities',
        source: 'cli',
        outcome: 'success',
        detail: { ...summary, ...(from ? { from } : { file }) },
      });
      console.log(
        `Advisories of feed '${feed.name}': ${summary.added} added, ${summary.changed} changed, ${summary.removed} removed, ` +
          `${summary.unchanged} unchanged; ${summary.catalogEntries} catalog entries appended.`,
      );
    } finally {
      await nugget.close();
    }
  });
}
