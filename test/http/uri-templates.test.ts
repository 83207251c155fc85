// ReadmeUriTemplate/6.13.0, PackageDetailsUriTemplate/5.1.0 and ReportAbuseUriTemplate: the URL templates of the
// service index. Spec: ../../../shared/spec/nuget-api/readme-template-resource.md,
// package-details-template-resource.md, report-abuse-resource.md
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { configSchema } from '../../src/config/config.ts';
import { pathOf, resourcesByType, startFeed, type TestFeed } from './feed-fixture.ts';

const fill = (template: string, id: string, version: string) =>
  template.replaceAll('{lower_id}', id.toLowerCase()).replaceAll('{lower_version}', version.toLowerCase());

describe('URL templates in the service index', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed();
    await feed.publish({
      id: 'Readme.Pkg',
      version: '1.0.0-Beta',
      readme: { path: 'docs/README.md', content: '# Hello\n' },
    });
    await feed.publish({ id: 'Plain.Pkg', version: '1.0.0' });
  });
  after(() => feed.close());

  test('ReadmeUriTemplate/6.13.0 gives the embedded readme, and 404 for a package without one', async () => {
    const types = resourcesByType(await feed.json('/v3/index.json'));
    const template = types.get('ReadmeUriTemplate/6.13.0')?.[0] ?? '';
    assert.ok(template.includes('{lower_id}') && template.includes('{lower_version}'), template);
    const readme = await feed.get(pathOf(fill(template, 'Readme.Pkg', '1.0.0-Beta')));
    assert.equal(readme.statusCode, 200);
    assert.equal(readme.body, '# Hello\n');
    assert.match(String(readme.headers['content-type']), /^text\/markdown/);
    assert.equal((await feed.get(pathOf(fill(template, 'Plain.Pkg', '1.0.0')))).statusCode, 404);
    assert.equal((await feed.get(pathOf(fill(template, 'No.Such', '1.0.0')))).statusCode, 404);
  });

  test('package details and report abuse are not advertised unless configured', async () => {
    const types = resourcesByType(await feed.json('/v3/index.json'));
    assert.equal(types.get('PackageDetailsUriTemplate/5.1.0'), undefined);
    assert.equal(types.get('ReportAbuseUriTemplate/3.0.0'), undefined);
  });

  test('configured templates are advertised as given, report abuse under every alias the clients match', async () => {
    const configured = await startFeed({
      config: {
        packageDetailsUrl: 'https://nuget.example.com/packages/{id}/{version}',
        reportAbuseUrl: 'https://example.com/report?id={id}&version={version}',
      },
    });
    try {
      const types = resourcesByType(await configured.json('/v3/index.json'));
      assert.deepEqual(types.get('PackageDetailsUriTemplate/5.1.0'), [
        'https://nuget.example.com/packages/{id}/{version}',
      ]);
      for (const alias of ['3.0.0', '3.0.0-beta', '3.0.0-rc']) {
        assert.deepEqual(types.get(`ReportAbuseUriTemplate/${alias}`), [
          'https://example.com/report?id={id}&version={version}',
        ]);
      }
    } finally {
      await configured.close();
    }
  });

  test('a package details template must be https (the spec requires it)', () => {
    const result = configSchema.safeParse({ packageDetailsUrl: 'http://nuget.example.com/packages/{id}' });
    assert.equal(result.success, false);
  });
});
