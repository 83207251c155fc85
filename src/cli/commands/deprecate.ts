// `nugget deprecate` and `nugget undeprecate`: set or clear the deprecation of package versions, working on the
// configured storage directly (the server need not run). The HTTP API does the same: docs/deprecation.md.
import type { Command } from 'commander';
import {
  deprecatePackage,
  deprecationReasons,
  parseAlternatePackage,
  parseDeprecation,
} from '../../packages/deprecate-package.ts';
import type { PackageDeprecation } from '../../protocol/package-version.ts';
import { cliOrigin, feedCommand, openFeed } from '../open-feed.ts';

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value.split(',').map((part) => part.trim()),
];

async function run(
  flags: Record<string, unknown>,
  input: { id: string; versions: string; deprecation: PackageDeprecation | undefined },
): Promise<void> {
  const nugget = await openFeed(flags);
  try {
    const { feed, stores } = await nugget.openFeed(String(flags['feed']));
    const { changed, unchanged } = await deprecatePackage(stores, { ...input, origin: cliOrigin(nugget) });
    // Writes made on the storage directly are audited like writes over HTTP (docs/security.md, "Audit log").
    await nugget.services.audit.append({
      feed: feed.name,
      at: new Date().toISOString(),
      actor: 'cli',
      action: input.deprecation ? 'deprecate' : 'undeprecate',
      packageId: input.id,
      version: input.versions,
      source: 'cli',
      outcome: 'success',
      detail: { changed, unchanged },
    });
    const what = input.deprecation ? 'deprecated' : 'no longer deprecated';
    if (changed.length > 0) console.log(`${input.id} ${changed.join(', ')}: ${what}.`);
    if (unchanged.length > 0) console.log(`${input.id} ${unchanged.join(', ')}: already ${what}, unchanged.`);
  } finally {
    await nugget.close();
  }
}

export function deprecateCommand(program: Command): void {
  feedCommand(
    program
      .command('deprecate')
      .description('deprecate versions of a package (a version, a range such as "[1.0.0, 2.0.0)", or "*")')
      .argument('<id>', 'package id')
      .argument('<versions>', 'a version, a NuGet version range, or * for every version')
      .requiredOption(
        '--reason <reasons>',
        `${deprecationReasons.join(', ')} (repeat the option or separate with commas)`,
        collect,
      )
      .option('--message <text>', 'what users should know, e.g. what to use instead')
      .option(
        '--alternate <id[@range]>',
        'the package to use instead, e.g. Other.Package or Other.Package@[2.0.0, )',
      )
      .option('--feed <name>', 'the feed of the package', 'default'),
  ).action(async (id: string, versions: string, flags: Record<string, unknown>) => {
    const alternate =
      typeof flags['alternate'] === 'string' ? parseAlternatePackage(flags['alternate']) : undefined;
    const deprecation = parseDeprecation({
      reasons: flags['reason'],
      message: flags['message'],
      alternatePackage: alternate,
    });
    await run(flags, { id, versions, deprecation });
  });

  feedCommand(
    program
      .command('undeprecate')
      .description('remove the deprecation of versions of a package')
      .argument('<id>', 'package id')
      .argument('<versions>', 'a version, a NuGet version range, or * for every version')
      .option('--feed <name>', 'the feed of the package', 'default'),
  ).action(async (id: string, versions: string, flags: Record<string, unknown>) =>
    run(flags, { id, versions, deprecation: undefined }),
  );
}
