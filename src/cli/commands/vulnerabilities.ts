// `nugget vulnerabilities import <file.json>` or `--from <service index URL>`: load the advisories behind
// VulnerabilityInfo and the `vulnerabilities` of registration and search, on the configured storage directly.
// The file format, and the HTTP API that does the same: docs/vulnerabilities.md.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { invalidInput } from '../../errors.ts';
import { upstreamSettingsOf } from '../../packages/feed.ts';
import { type FetchJson, importVulnerabilities } from '../../packages/import-vulnerabilities.ts';
import { mirrorUpstreamAdvisories } from '../../packages/mirror-upstream-advisories.ts';
import { feedCommand, openFeed } from '../open-feed.ts';

export const fetchJson: FetchJson = async (url) => {
  const response = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(120_000),
  });
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
      .option(
        '--from-upstream',
        "for an upstream feed: mirror its source's VulnerabilityInfo now (the server also does every 6 hours)",
      )
      .option('--replace', 'remove every advisory the import does not name')
      .option('--feed <name>', 'the feed whose advisories these are', 'default'),
  ).action(async (file: string | undefined, flags: Record<string, unknown>) => {
    const fromUpstream = flags['fromUpstream'] === true;
    if ([file, flags['from'], fromUpstream || undefined].filter((given) => given !== undefined).length !== 1)
      throw invalidInput(
        'invalid_arguments',
        'Give one of: an advisory file, --from <service index URL>, or --from-upstream (for an upstream feed).',
      );
    const nugget = await openFeed(flags);
    try {
      const { feed, stores } = await nugget.openFeed(String(flags['feed']));
      const upstream = upstreamSettingsOf(feed.kind);
      if (fromUpstream && !upstream)
        throw invalidInput(
          'not_an_upstream_feed',
          `Feed '${feed.name}' is not an upstream feed: --from-upstream mirrors an upstream feed's source.`,
        );
      const from = typeof flags['from'] === 'string' ? flags['from'] : upstream?.source;
      let summary;
      if (from) {
        summary = await mirrorUpstreamAdvisories(
          { advisories: stores.advisories, fetchJson },
          { serviceIndexUrl: from },
        );
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
