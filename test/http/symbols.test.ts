// SymbolPackagePublish/4.9.0 and the symbol server (SSQP `{file}/{key}/{file}`).
// Spec: ../../../shared/spec/nuget-api/symbol-package-publish-resource.md (201 / 400 / 401 / 404 / 409 / 413),
// ../../../shared/spec/reference/Symbol-Packages-snupkg.md (what a .snupkg may hold),
// https://github.com/dotnet/symstore/blob/main/docs/specs/SSQP_Key_Conventions.md (portable PDB key).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { escapeXml, nupkgEntries, zipEntries } from '../fixtures/build-nupkg.ts';
import { buildPe, buildPortablePdb, buildWindowsPdb } from '../fixtures/build-symbols.ts';
import {
  assertClientError,
  assertHeadLikeGet,
  origin,
  pathOf,
  resourceId,
  startFeed,
  type TestFeed,
} from './feed-fixture.ts';

const randomGuid = () => randomBytes(16).toString('hex');

/**
 * The .nupkg of `id` with a real PE image (whose CodeView entry names `guid` and `stamp`) as its assembly, named
 * after the id unless `assemblyName` says otherwise (one build packed under another id keeps its assembly's name).
 */
async function nupkgWithAssembly(
  id: string,
  version: string,
  assembly: Buffer,
  assemblyName = id,
): Promise<Buffer> {
  const dll = `lib/netstandard2.0/${id}.dll`;
  return zipEntries(
    nupkgEntries({ id, version }).map((entry) =>
      entry.name === dll ? { name: `lib/netstandard2.0/${assemblyName}.dll`, content: assembly } : entry,
    ),
  );
}

/** A .snupkg as `dotnet pack` writes it: no authors in the nuspec, a SymbolsPackage type, PDBs beside DLLs. */
function buildSnupkg(spec: {
  id: string;
  version: string;
  files: { path: string; content: Uint8Array | string }[];
  packageType?: string | null;
}): Promise<Buffer> {
  const type = spec.packageType === undefined ? 'SymbolsPackage' : spec.packageType;
  const nuspec = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<package xmlns="http://schemas.microsoft.com/packaging/2012/06/nuspec.xsd">',
    '  <metadata>',
    `    <id>${escapeXml(spec.id)}</id>`,
    `    <version>${escapeXml(spec.version)}</version>`,
    '    <description>symbols</description>',
    type === null ? '' : `    <packageTypes><packageType name="${escapeXml(type)}" /></packageTypes>`,
    '  </metadata>',
    '</package>',
  ].join('\n');
  return zipEntries([
    { name: '_rels/.rels', content: '<Relationships />' },
    { name: `${spec.id}.nuspec`, content: nuspec },
    ...spec.files.map((file) => ({ name: file.path, content: file.content })),
    { name: '[Content_Types].xml', content: '<Types />' },
  ]);
}

/** Publishes `id` with an assembly and returns the matching Portable PDB and its SSQP key. */
async function publishBuild(feed: TestFeed, id: string, version = '1.0.0') {
  const guid = randomGuid();
  const stamp = randomBytes(4).readUInt32LE();
  const pdb = buildPortablePdb({ guid, stamp, padding: 3000 });
  const response = await feed.push(
    await nupkgWithAssembly(id, version, buildPe({ codeView: [{ guid, stamp }] })),
  );
  assert.equal(response.statusCode, 201, response.body);
  return { guid, stamp, pdb, key: `${guid}ffffffff`, pdbPath: `lib/netstandard2.0/${id}.pdb` };
}

describe('symbol packages', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed();
  });
  after(() => feed.close());

  test('the service index advertises SymbolPackagePublish/4.9.0 and the push answers at its @id', async () => {
    const index = await feed.json('/v3/index.json');
    const id = resourceId(index, 'SymbolPackagePublish/4.9.0');
    assert.equal(id, `${origin}/v3/symbol-package`);
    const build = await publishBuild(feed, 'Sym.Index');
    const snupkg = await buildSnupkg({
      id: 'Sym.Index',
      version: '1.0.0',
      files: [{ path: build.pdbPath, content: build.pdb }],
    });
    const response = await feed.request('PUT', `${pathOf(id)}/`, {
      headers: { 'x-nuget-apikey': feed.apiKey ?? '', 'content-type': 'application/octet-stream' },
      body: snupkg,
    });
    assert.equal(response.statusCode, 201, response.body);
  });

  test('push -> 201, and the PDB is served at {file}/{guid}ffffffff/{file}, byte for byte', async () => {
    const build = await publishBuild(feed, 'Sym.Lib');
    const snupkg = await buildSnupkg({
      id: 'Sym.Lib',
      version: '1.0.0',
      files: [{ path: build.pdbPath, content: build.pdb }],
    });
    const response = await feed.pushSymbols(snupkg);
    assert.equal(response.statusCode, 201, response.body);

    const url = `/v3/symbols/sym.lib.pdb/${build.key}/sym.lib.pdb`;
    const pdb = await feed.get(url);
    assert.equal(pdb.statusCode, 200, pdb.body);
    assert.equal(pdb.headers['content-type'], 'application/octet-stream');
    assert.deepEqual(pdb.rawPayload, build.pdb);
    // Debuggers ask with the file name's own case and sometimes an upper-case key.
    const mixed = await feed.get(`/v3/symbols/Sym.Lib.pdb/${build.key.toUpperCase()}/Sym.Lib.pdb`);
    assert.equal(mixed.statusCode, 200);
    assert.deepEqual(mixed.rawPayload, build.pdb);
    await assertHeadLikeGet(feed, url);
    assert.deepEqual(await feed.filesUnder('tmp'), [], 'the push left no temporary file');
  });

  test('a second symbol package for the same version replaces the first -> 201 (spec: "can be submitted multiple times")', async () => {
    const build = await publishBuild(feed, 'Sym.Twice');
    const snupkg = await buildSnupkg({
      id: 'Sym.Twice',
      version: '1.0.0',
      files: [{ path: build.pdbPath, content: build.pdb }],
    });
    assert.equal((await feed.pushSymbols(snupkg)).statusCode, 201);
    const before = await feed.filesUnder('blobs/feeds/default/symbols/sym.twice');
    const again = await feed.pushSymbols(snupkg);
    assert.equal(again.statusCode, 201, again.body);
    const after = await feed.filesUnder('blobs/feeds/default/symbols/sym.twice');
    assert.equal(after.length, before.length, `the replaced files are gone: ${after.join(', ')}`);
    assert.notDeepEqual(after, before, 'the second push stored its own files');
    const pdb = await feed.get(`/v3/symbols/sym.twice.pdb/${build.key}/sym.twice.pdb`);
    assert.equal(pdb.statusCode, 200);
    assert.deepEqual(pdb.rawPayload, build.pdb);
  });

  test('one build packed under two ids (and another version): each symbol package -> 201, one PDB served', async () => {
    const build = await publishBuild(feed, 'Sym.Shared', '1.0.0');
    const pe = buildPe({ codeView: [{ guid: build.guid, stamp: build.stamp }] });
    for (const [id, version] of [
      ['Sym.Shared', '1.0.0'],
      ['Sym.Shared.Repacked', '1.0.0'],
      ['Sym.Shared', '1.0.1'],
    ] as const) {
      if (id !== 'Sym.Shared' || version !== '1.0.0') {
        const nupkg = await nupkgWithAssembly(id, version, pe, 'Sym.Shared');
        assert.equal((await feed.push(nupkg)).statusCode, 201);
      }
      const files = [{ path: build.pdbPath, content: build.pdb }];
      const response = await feed.pushSymbols(await buildSnupkg({ id, version, files }));
      assert.equal(response.statusCode, 201, `${id} ${version}: ${response.body}`);
    }
    const pdb = await feed.get(`/v3/symbols/sym.shared.pdb/${build.key}/sym.shared.pdb`);
    assert.equal(pdb.statusCode, 200);
    assert.deepEqual(pdb.rawPayload, build.pdb);
  });

  test('a PDB whose key the feed already serves with other bytes -> 400 snupkg_pdb_differs, nothing stored', async () => {
    const build = await publishBuild(feed, 'Sym.Differs', '1.0.0');
    const files = [{ path: build.pdbPath, content: build.pdb }];
    assert.equal(
      (await feed.pushSymbols(await buildSnupkg({ id: 'Sym.Differs', version: '1.0.0', files }))).statusCode,
      201,
    );
    const pe = buildPe({ codeView: [{ guid: build.guid, stamp: build.stamp }] });
    assert.equal((await feed.push(await nupkgWithAssembly('Sym.Differs', '1.0.1', pe))).statusCode, 201);
    const altered = Buffer.from(build.pdb);
    altered.writeUInt8(altered.readUInt8(altered.length - 1) ^ 0xff, altered.length - 1);
    const snupkg = await buildSnupkg({
      id: 'Sym.Differs',
      version: '1.0.1',
      files: [{ path: build.pdbPath, content: altered }],
    });
    const error = assertClientError(await feed.pushSymbols(snupkg), 400);
    assert.equal(error.code, 'snupkg_pdb_differs');
    assert.match(error.message, /sym\.differs 1\.0\.0/);
    assert.deepEqual(await feed.filesUnder('blobs/feeds/default/symbols/sym.differs/1.0.1'), []);
    const pdb = await feed.get(`/v3/symbols/sym.differs.pdb/${build.key}/sym.differs.pdb`);
    assert.deepEqual(pdb.rawPayload, build.pdb);
  });

  test('no such package on the feed -> 404 "push the .nupkg first" (the spec\'s status for it)', async () => {
    const snupkg = await buildSnupkg({
      id: 'Sym.Nowhere',
      version: '1.0.0',
      files: [
        { path: 'lib/netstandard2.0/Sym.Nowhere.pdb', content: buildPortablePdb({ guid: randomGuid() }) },
      ],
    });
    const error = assertClientError(await feed.pushSymbols(snupkg), 404);
    assert.equal(error.code, 'symbols_package_not_found');
    assert.match(error.message, /push the \.nupkg first/);
  });

  test('a version that is not on the feed -> 404', async () => {
    const build = await publishBuild(feed, 'Sym.Version');
    const snupkg = await buildSnupkg({
      id: 'Sym.Version',
      version: '2.0.0',
      files: [{ path: build.pdbPath, content: build.pdb }],
    });
    assertClientError(await feed.pushSymbols(snupkg), 404);
  });

  const refusals: {
    name: string;
    code: string;
    snupkg: (build: Awaited<ReturnType<typeof publishBuild>>, id: string) => Promise<Buffer> | Buffer;
    message?: RegExp;
  }[] = [
    {
      name: 'not a zip',
      code: 'nupkg_not_zip',
      snupkg: () => Buffer.from('this is not a zip archive, just text '.repeat(20)),
    },
    {
      name: 'a Windows PDB',
      code: 'pdb_windows',
      message: /Portable PDB/,
      snupkg: (build, id) =>
        buildSnupkg({ id, version: '1.0.0', files: [{ path: build.pdbPath, content: buildWindowsPdb() }] }),
    },
    {
      name: 'a PDB of another build (its id is not the one in the DLL)',
      code: 'snupkg_pdb_mismatch',
      message: /same build/,
      snupkg: (build, id) =>
        buildSnupkg({
          id,
          version: '1.0.0',
          files: [
            { path: build.pdbPath, content: buildPortablePdb({ guid: randomGuid(), stamp: build.stamp }) },
          ],
        }),
    },
    {
      name: 'the right GUID with another stamp',
      code: 'snupkg_pdb_mismatch',
      snupkg: (build, id) =>
        buildSnupkg({
          id,
          version: '1.0.0',
          files: [
            { path: build.pdbPath, content: buildPortablePdb({ guid: build.guid, stamp: build.stamp + 1 }) },
          ],
        }),
    },
    {
      name: 'a PDB with no DLL or EXE at its path in the .nupkg',
      code: 'snupkg_pdb_without_assembly',
      snupkg: (build, id) =>
        buildSnupkg({ id, version: '1.0.0', files: [{ path: `lib/net8.0/${id}.pdb`, content: build.pdb }] }),
    },
    {
      name: 'a DLL inside the symbol package',
      code: 'snupkg_file_not_allowed',
      snupkg: (build, id) =>
        buildSnupkg({
          id,
          version: '1.0.0',
          files: [
            { path: build.pdbPath, content: build.pdb },
            { path: `lib/netstandard2.0/${id}.dll`, content: buildPe() },
          ],
        }),
    },
    {
      name: 'no PDB at all',
      code: 'snupkg_no_pdb',
      snupkg: (_build, id) => buildSnupkg({ id, version: '1.0.0', files: [] }),
    },
    {
      name: 'no SymbolsPackage package type (a .nupkg pushed to the symbol endpoint)',
      code: 'snupkg_not_symbols_package',
      snupkg: (build, id) =>
        buildSnupkg({
          id,
          version: '1.0.0',
          packageType: null,
          files: [{ path: build.pdbPath, content: build.pdb }],
        }),
    },
  ];
  refusals.forEach((row, i) => {
    test(`${row.name} -> 400 ${row.code}, nothing stored`, async () => {
      const id = `Sym.Refused${i}`;
      const build = await publishBuild(feed, id);
      const error = assertClientError(await feed.pushSymbols(await row.snupkg(build, id)), 400, row.name);
      assert.equal(error.code, row.code, error.message);
      if (row.message) assert.match(error.message, row.message);
      assert.deepEqual(await feed.filesUnder(`blobs/feeds/default/symbols/${id.toLowerCase()}`), []);
      assert.deepEqual(await feed.filesUnder('tmp'), []);
      assert.equal((await feed.get(`/v3/symbols/${id}.pdb/${build.key}/${id}.pdb`)).statusCode, 404);
    });
  });

  test('a PDB matched against an assembly that is not a PE file -> 400 pe_not_pe', async () => {
    assert.equal(
      (await feed.push(await zipEntries(nupkgEntries({ id: 'Sym.Text', version: '1.0.0' })))).statusCode,
      201,
    );
    const snupkg = await buildSnupkg({
      id: 'Sym.Text',
      version: '1.0.0',
      files: [{ path: 'lib/netstandard2.0/Sym.Text.pdb', content: buildPortablePdb({ guid: randomGuid() }) }],
    });
    assert.equal(assertClientError(await feed.pushSymbols(snupkg), 400).code, 'pe_not_pe');
  });

  test('no API key -> 401, a wrong one -> 403', async () => {
    const snupkg = await buildSnupkg({ id: 'Sym.Auth', version: '1.0.0', files: [] });
    assertClientError(await feed.pushSymbols(snupkg, { key: null }), 401);
    assertClientError(await feed.pushSymbols(snupkg, { key: 'wrong-key' }), 403);
  });

  const misses: [string, string][] = [
    ['an unknown key', `/v3/symbols/sym.lib.pdb/${'0'.repeat(32)}ffffffff/sym.lib.pdb`],
    ['two different file names', '/v3/symbols/sym.lib.pdb/KEY/other.pdb'],
    ['a key that is not hex', '/v3/symbols/sym.lib.pdb/not-a-key/sym.lib.pdb'],
    ['an unknown file', `/v3/symbols/nothing.pdb/${'0'.repeat(32)}ffffffff/nothing.pdb`],
  ];
  for (const [name, url] of misses) {
    test(`GET ${name} -> 404`, async () => {
      const response = await feed.get(url.replace('KEY', `${'0'.repeat(32)}ffffffff`));
      assertClientError(response, 404);
    });
  }
});

describe('symbol packages over the size limit', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed({ maxPackageSize: 4096 });
  });
  after(() => feed.close());

  test('-> 413 and nothing left in tmp/', async () => {
    const snupkg = await buildSnupkg({
      id: 'Sym.Big',
      version: '1.0.0',
      files: [{ path: 'lib/netstandard2.0/Sym.Big.pdb', content: randomBytes(20_000) }],
    });
    assertClientError(await feed.pushSymbols(snupkg), 413);
    assert.deepEqual(await feed.filesUnder('tmp'), []);
  });
});

describe('hard delete of a package', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed({ deleteBehavior: 'delete' });
  });
  after(() => feed.close());

  test('removes its symbols too', async () => {
    const build = await publishBuild(feed, 'Sym.Deleted');
    const snupkg = await buildSnupkg({
      id: 'Sym.Deleted',
      version: '1.0.0',
      files: [{ path: build.pdbPath, content: build.pdb }],
    });
    assert.equal((await feed.pushSymbols(snupkg)).statusCode, 201);
    const url = `/v3/symbols/sym.deleted.pdb/${build.key}/sym.deleted.pdb`;
    assert.equal((await feed.get(url)).statusCode, 200);
    assert.notDeepEqual(await feed.filesUnder('blobs/feeds/default/symbols'), []);

    const deleted = await feed.request('DELETE', '/v3/package/Sym.Deleted/1.0.0', {
      headers: { 'x-nuget-apikey': feed.apiKey ?? '' },
    });
    assert.equal(deleted.statusCode, 204, deleted.body);
    assertClientError(await feed.get(url), 404);
    assert.deepEqual(await feed.filesUnder('blobs/feeds/default/symbols'), []);
  });

  test('of one of two packages that hold the same PDB keeps it served for the other', async () => {
    const build = await publishBuild(feed, 'Sym.Kept');
    const pe = buildPe({ codeView: [{ guid: build.guid, stamp: build.stamp }] });
    const repacked = await nupkgWithAssembly('Sym.Kept.Other', '1.0.0', pe, 'Sym.Kept');
    assert.equal((await feed.push(repacked)).statusCode, 201);
    for (const id of ['Sym.Kept', 'Sym.Kept.Other']) {
      const files = [{ path: build.pdbPath, content: build.pdb }];
      const response = await feed.pushSymbols(await buildSnupkg({ id, version: '1.0.0', files }));
      assert.equal(response.statusCode, 201, response.body);
    }
    const url = `/v3/symbols/sym.kept.pdb/${build.key}/sym.kept.pdb`;
    for (const id of ['Sym.Kept', 'Sym.Kept.Other']) {
      const deleted = await feed.request('DELETE', `/v3/package/${id}/1.0.0`, {
        headers: { 'x-nuget-apikey': feed.apiKey ?? '' },
      });
      assert.equal(deleted.statusCode, 204, deleted.body);
      const pdb = await feed.get(url);
      if (id === 'Sym.Kept') {
        assert.equal(pdb.statusCode, 200, `still served for Sym.Kept.Other: ${pdb.body}`);
        assert.deepEqual(pdb.rawPayload, build.pdb);
      } else {
        assertClientError(pdb, 404);
      }
    }
    assert.deepEqual(await feed.filesUnder('blobs/feeds/default/symbols'), []);
  });
});
