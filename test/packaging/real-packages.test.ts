// Every .nupkg in a global-packages folder (<lower id>/<version>/<file>.nupkg, as `dotnet restore`
// lays it out) must read: realism is the point here (docs/architecture.md rule 10).
// NUGGET_REAL_PACKAGES_DIR overrides the folder. An empty or missing folder FAILS: a test that
// silently finds nothing cannot fail, which is a defect.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toLowerId } from '../../src/nuget/packaging/package-id.ts';
import { readNupkg } from '../../src/nuget/packaging/read-nupkg.ts';
import { toNormalizedString } from '../../src/nuget/versioning/index.ts';
import { defaultRealPackagesDir, findRealPackages, type RealPackage } from '../fixtures/real-packages.ts';

const root = process.env['NUGGET_REAL_PACKAGES_DIR'] ?? defaultRealPackagesDir;
let packages: RealPackage[] = [];
let problem: string | undefined;
try {
  packages = findRealPackages(root);
  if (packages.length === 0) problem = `no .nupkg files under ${root} (<lower id>/<version>/<file>.nupkg)`;
} catch (error) {
  problem = `cannot list ${root}: ${error instanceof Error ? error.message : String(error)}`;
}

test(`the real packages folder ${root} has packages`, () => {
  assert.equal(problem, undefined);
  assert.ok(packages.length > 0);
});

for (const real of packages) {
  test(`${real.lowerId} ${real.version}`, async () => {
    const nupkg = await readNupkg(real.path);
    assert.equal(toLowerId(nupkg.nuspec.id), real.lowerId);
    assert.equal(toNormalizedString(nupkg.nuspec.version).toLowerCase(), real.version.toLowerCase());
    assert.ok(nupkg.entries.length > 0);
    assert.ok(nupkg.nuspecName.toLowerCase().endsWith('.nuspec'));
  });
}
