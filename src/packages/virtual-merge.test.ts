import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PackageVersion } from '../protocol/package-version.ts';
import { type MemberVersions, mergeVersions, pageAcross } from './virtual-merge.ts';

const v = (version: string, published = '2020-01-01T00:00:00Z', from = ''): PackageVersion =>
  ({
    id: 'Lib',
    lowerId: 'lib',
    version,
    lowerVersion: version.toLowerCase(),
    published,
    blobPrefix: from,
  }) as PackageVersion;

const now = Date.parse('2026-12-02T00:00:00Z');
const rules = { cooldownMs: 0, upstreamAllowed: [], now };
const hosted = (...versions: PackageVersion[]): MemberVersions => ({
  member: 'internal',
  kind: 'hosted',
  versions,
});
const upstream = (...versions: PackageVersion[]): MemberVersions => ({
  member: 'nuget-org',
  kind: 'upstream',
  versions,
});
const offered = (list: PackageVersion[]) => list.map((x) => `${x.version}@${x.blobPrefix}`).sort();

test('union of members; the first member in order wins a version two members have', () => {
  const merged = mergeVersions(
    'lib',
    [
      { member: 'a', kind: 'upstream', versions: [v('1.0.0', undefined, 'a'), v('2.0.0', undefined, 'a')] },
      { member: 'b', kind: 'upstream', versions: [v('2.0.0', undefined, 'b'), v('3.0.0', undefined, 'b')] },
    ],
    rules,
  );
  assert.deepEqual(offered(merged), ['1.0.0@a', '2.0.0@a', '3.0.0@b']);
});

test('internal id wins: a hosted member with the id hides every upstream version of it', () => {
  const merged = mergeVersions('lib', [upstream(v('9.9.9')), hosted(v('1.0.0', undefined, 'h'))], rules);
  assert.deepEqual(offered(merged), ['1.0.0@h']);
});

test('internal id wins also when the hosted versions are all unlisted', () => {
  const unlisted = { ...v('1.0.0'), listed: false };
  assert.deepEqual(offered(mergeVersions('lib', [hosted(unlisted), upstream(v('9.9.9'))], rules)), [
    '1.0.0@',
  ]);
});

test('an upstream allowed for a matching pattern keeps offering the id beside the hosted member', () => {
  const allowed = { ...rules, upstreamAllowed: [{ feed: 'nuget-org', pattern: 'Li*' }] };
  const merged = mergeVersions(
    'lib',
    [hosted(v('1.0.0', undefined, 'h')), upstream(v('2.0.0', undefined, 'u'))],
    allowed,
  );
  assert.deepEqual(offered(merged), ['1.0.0@h', '2.0.0@u']);
  const otherPattern = { ...rules, upstreamAllowed: [{ feed: 'nuget-org', pattern: 'Contoso.*' }] };
  assert.deepEqual(offered(mergeVersions('lib', [hosted(v('1.0.0')), upstream(v('2.0.0'))], otherPattern)), [
    '1.0.0@',
  ]);
  const otherFeed = { ...rules, upstreamAllowed: [{ feed: 'partner', pattern: '*' }] };
  assert.deepEqual(offered(mergeVersions('lib', [hosted(v('1.0.0')), upstream(v('2.0.0'))], otherFeed)), [
    '1.0.0@',
  ]);
});

test("cooldown hides upstream versions younger than it, by the upstream's published date; hosted ones never", () => {
  const threeDays = { ...rules, cooldownMs: 3 * 86_400_000 };
  const merged = mergeVersions(
    'other',
    [
      upstream(
        v('1.0.0', '2026-11-28T00:00:00Z', 'u'),
        v('1.1.0', '2026-11-29T00:00:01Z', 'u'),
        v('1.2.0', 'not a date', 'u'),
      ),
    ],
    threeDays,
  );
  // 1.1.0 is 1 s short of three days old; a date that does not parse counts as new.
  assert.deepEqual(offered(merged), ['1.0.0@u']);
  const withHosted = mergeVersions('other', [hosted(v('0.1.0', '2026-12-01T23:00:00Z', 'h'))], threeDays);
  assert.deepEqual(offered(withHosted), ['0.1.0@h']);
});

const member = (ids: string[]) => async (skip: number, take: number) => ({
  totalHits: ids.length,
  items: ids.slice(skip, skip + take),
});
const keepAll = async () => true;

test('paging across members: hosted results first, then the next member, totals added', async () => {
  const members = [member(['h1', 'h2', 'h3']), member(['u1', 'u2', 'u3', 'u4'])];
  assert.deepEqual(await pageAcross(members, 0, 2, keepAll), { totalHits: 7, items: ['h1', 'h2'] });
  assert.deepEqual(await pageAcross(members, 2, 3, keepAll), { totalHits: 7, items: ['h3', 'u1', 'u2'] });
  assert.deepEqual(await pageAcross(members, 5, 10, keepAll), { totalHits: 7, items: ['u3', 'u4'] });
  assert.deepEqual(await pageAcross(members, 7, 10, keepAll), { totalHits: 7, items: [] });
  assert.deepEqual(await pageAcross(members, 0, 0, keepAll), { totalHits: 7, items: [] });
});

test('paging drops duplicates and hidden ids from the page and from the total', async () => {
  const members = [member(['a', 'b']), member(['b', 'c', 'secret'])];
  const keep = async (item: string, kept: readonly string[]) => !kept.includes(item) && item !== 'secret';
  assert.deepEqual(await pageAcross(members, 0, 10, keep), { totalHits: 3, items: ['a', 'b', 'c'] });
});

test('a page with dropped items is filled from further on, and the next page starts where it ended', async () => {
  const upstream = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 'secret' : `u${i}`));
  const members = [member(['h1']), member(upstream)];
  const keep = async (item: string) => item !== 'secret';
  const visible = ['h1', ...upstream.filter((id) => id !== 'secret')];
  const pages: string[] = [];
  for (let skip = 0; skip < visible.length; skip += 7) {
    const page = await pageAcross(members, skip, 7, keep);
    assert.equal(page.items.length, Math.min(7, visible.length - skip));
    pages.push(...page.items);
  }
  assert.deepEqual(pages, visible);
});
