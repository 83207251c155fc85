// The webhook payload (docs/webhooks.md, "Payload"): its fields, in order, and the feed's URLs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describePackageEvent, filterTakes, webhookBody } from './webhook-event.ts';

const pkg = {
  id: 'Contoso.Core',
  version: '1.2.0-Beta',
  lowerId: 'contoso.core',
  lowerVersion: '1.2.0-beta',
};
const at = new Date('2026-12-02T01:02:03.004Z');

test('a package event names the feed, package, actor, time and the feed URLs of the package', () => {
  const event = describePackageEvent(
    'ci',
    {
      type: 'package.pushed',
      actor: { kind: 'trust-policy', name: 'gh repo', keyId: 'k1', trustPolicy: 'tp1' },
      baseUrl: 'https://nuget.example.com/',
    },
    pkg,
    at,
  );
  assert.equal(
    webhookBody('d-1', event),
    JSON.stringify({
      deliveryId: 'd-1',
      event: 'package.pushed',
      feed: 'ci',
      id: 'Contoso.Core',
      version: '1.2.0-Beta',
      actor: { kind: 'trust-policy', name: 'gh repo', keyId: 'k1', trustPolicy: 'tp1' },
      time: '2026-12-02T01:02:03.004Z',
      urls: {
        serviceIndex: 'https://nuget.example.com/feeds/ci/v3/index.json',
        registrationLeaf:
          'https://nuget.example.com/feeds/ci/v3/registration-gz-semver2/contoso.core/1.2.0-beta.json',
        packageContent:
          'https://nuget.example.com/feeds/ci/v3/flatcontainer/contoso.core/1.2.0-beta/contoso.core.1.2.0-beta.nupkg',
      },
    }),
  );
});

test('the default feed keeps its /v3/ URLs; without a base URL there are none; extras come last', () => {
  const event = describePackageEvent(
    'default',
    { type: 'package.promoted', actor: { kind: 'cli', name: 'cli' }, detail: { promotedFrom: 'ci' } },
    pkg,
    at,
  );
  const body = JSON.parse(webhookBody('d', event)) as Record<string, unknown>;
  assert.equal(body['urls'], null);
  assert.deepEqual(Object.keys(body).slice(-2), ['urls', 'promotedFrom']);
  const withUrls = describePackageEvent(
    'default',
    { type: 'package.deleted', actor: { kind: 'cli', name: 'cli' }, baseUrl: 'http://h:5000' },
    pkg,
    at,
  );
  assert.equal(withUrls.urls?.serviceIndex, 'http://h:5000/v3/index.json');
});

test('filters: * takes every event, a list its own; a ping goes to every subscription', () => {
  assert.equal(filterTakes(['*'], 'package.deleted'), true);
  assert.equal(filterTakes(['package.pushed'], 'package.deleted'), false);
  assert.equal(filterTakes(['package.pushed'], 'package.pushed'), true);
  assert.equal(filterTakes(['package.pushed'], 'ping'), true);
});
