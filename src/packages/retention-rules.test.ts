import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  parseVersion,
  rangeSatisfies,
  toNormalizedString,
  tryParseVersionRange,
} from '../nuget/versioning/index.ts';
import { parseRetentionPolicy } from './retention-policy.ts';
import {
  planRetention,
  type RetentionFacts,
  type RetentionPlan,
  type RetentionPolicy,
  type RetentionRule,
} from './retention-rules.ts';

const now = new Date('2026-12-01T00:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();

function v(
  id: string,
  version: string,
  options: { listed?: boolean; age?: number; downloaded?: number; deps?: [string, string][] } = {},
): RetentionFacts {
  const normalized = toNormalizedString(parseVersion(version));
  return {
    id,
    lowerId: id.toLowerCase(),
    version: normalized,
    lowerVersion: normalized.toLowerCase(),
    listed: options.listed ?? true,
    published: daysAgo(options.age ?? 1),
    lastDownloaded: options.downloaded === undefined ? undefined : daysAgo(options.downloaded),
    dependencies: (options.deps ?? []).map(([depId, range]) => ({ id: depId, range })),
  };
}

const policy = (
  rules: readonly RetentionRule[],
  protectedList: RetentionPolicy['protected'] = [],
): RetentionPolicy => ({
  rules,
  protected: protectedList,
});
const summary = (plan: RetentionPlan) => plan.decisions.map((d) => `${d.action} ${d.id} ${d.version}`);

describe('planRetention: one rule at a time', () => {
  const cases: { name: string; versions: RetentionFacts[]; policy: RetentionPolicy; expected: string[] }[] = [
    {
      name: 'keep-latest per major keeps N of each major, and the latest stable',
      versions: ['1.0.0', '1.1.0', '1.2.0', '2.0.0', '2.1.0', '2.2.0'].map((x) => v('A', x)),
      policy: policy([{ kind: 'keep-latest', per: 'major', count: 2, action: 'delete' }]),
      expected: ['delete A 1.0.0', 'delete A 2.0.0'],
    },
    {
      name: 'keep-latest per minor groups by major.minor',
      versions: ['1.0.0', '1.0.1', '1.0.2', '1.1.0', '1.1.1'].map((x) => v('A', x)),
      policy: policy([{ kind: 'keep-latest', per: 'minor', count: 1, action: 'unlist' }]),
      expected: ['unlist A 1.0.0', 'unlist A 1.0.1', 'unlist A 1.1.0'],
    },
    {
      name: 'keep-latest-prereleases counts per release line and leaves stable versions alone',
      versions: ['1.0.0-a', '1.0.0-b', '1.0.0-c', '1.0.0', '1.1.0-a', '1.1.0-b'].map((x) => v('A', x)),
      policy: policy([{ kind: 'keep-latest-prereleases', count: 1, action: 'delete' }]),
      expected: ['delete A 1.0.0-a', 'delete A 1.0.0-b', 'delete A 1.1.0-a'],
    },
    {
      name: 'prereleases-older-than picks only old prereleases',
      versions: [
        v('A', '1.0.0-old', { age: 40 }),
        v('A', '1.0.0-new', { age: 5 }),
        v('A', '0.9.0', { age: 400 }),
      ],
      policy: policy([{ kind: 'prereleases-older-than', days: 30, action: 'delete' }]),
      expected: ['delete A 1.0.0-old'],
    },
    {
      name: 'unlisted-older-than deletes old unlisted versions only',
      versions: [
        v('A', '1.0.0', { listed: false, age: 100 }),
        v('A', '1.1.0', { listed: false, age: 2 }),
        v('A', '1.2.0', { age: 100 }),
      ],
      policy: policy([{ kind: 'unlisted-older-than', days: 30 }]),
      expected: ['delete A 1.0.0'],
    },
    {
      name: 'unlisting an unlisted version is not an action',
      versions: [v('A', '1.0.0', { listed: false }), v('A', '2.0.0')],
      policy: policy([{ kind: 'keep-latest', per: 'major', count: 0 + 1, action: 'unlist' }]),
      expected: [],
    },
  ];
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(summary(planRetention(c.versions, c.policy, now)), c.expected));
  }
});

describe('planRetention: what keeps a version', () => {
  const allPrereleasesOld = policy([{ kind: 'prereleases-older-than', days: 1, action: 'delete' }]);

  test('the latest stable version stays, even when every rule picks it', () => {
    const plan = planRetention(
      [v('A', '1.0.0', { age: 90 }), v('A', '2.0.0', { age: 90 }), v('A', '3.0.0-beta', { age: 90 })],
      policy([{ kind: 'keep-latest', per: 'major', count: 1, action: 'delete' }, ...allPrereleasesOld.rules]),
      now,
    );
    assert.deepEqual(summary(plan), ['delete A 3.0.0-beta']);
  });

  test('the latest listed stable version is the latest stable one; with none listed, the highest', () => {
    const rules = policy([{ kind: 'keep-latest', per: 'minor', count: 1, action: 'delete' }]);
    const listed = planRetention([v('A', '1.0.0'), v('A', '1.0.1', { listed: false })], rules, now);
    assert.deepEqual(summary(listed), []);
    const none = planRetention(
      [v('A', '1.0.0', { listed: false }), v('A', '1.0.1', { listed: false })],
      rules,
      now,
    );
    assert.deepEqual(summary(none), ['delete A 1.0.0']);
  });

  test('a protected range keeps its versions; id patterns match case-insensitively', () => {
    const plan = planRetention(
      ['1.0.0-a', '1.0.0-b', '2.0.0-a'].map((x) => v('Contoso.Core', x, { age: 10 })),
      policy(allPrereleasesOld.rules, [{ id: 'contoso.*', versions: '[1.0.0-a, 1.0.0-b]' }]),
      now,
    );
    assert.deepEqual(summary(plan), ['delete Contoso.Core 2.0.0-a']);
    assert.deepEqual(
      plan.kept.map((k) => k.version),
      ['1.0.0-a', '1.0.0-b'],
    );
  });

  test('an exact dependency of a version that stays is kept; a looser range keeps nothing', () => {
    const plan = planRetention(
      [
        v('Lib', '1.0.0-a', { age: 10 }),
        v('Lib', '1.0.0-b', { age: 10 }),
        v('App', '1.0.0', {
          deps: [
            ['lib', '[1.0.0-a]'],
            ['Lib', '[1.0.0-b, )'],
          ],
        }),
      ],
      allPrereleasesOld,
      now,
    );
    assert.deepEqual(summary(plan), ['delete Lib 1.0.0-b']);
  });

  test('a dependent removed by the plan no longer keeps its dependency: the plan repeats until it is stable', () => {
    const plan = planRetention(
      [v('Lib', '1.0.0-a', { age: 10 }), v('App', '1.0.0-a', { age: 10, deps: [['Lib', '[1.0.0-a]']] })],
      allPrereleasesOld,
      now,
    );
    assert.deepEqual(summary(plan), ['delete App 1.0.0-a', 'delete Lib 1.0.0-a']);
  });

  test('an unlisted dependent still keeps its exact dependency (it still restores)', () => {
    const plan = planRetention(
      [v('Lib', '1.0.0-a', { age: 10 }), v('App', '1.0.0', { listed: false, deps: [['Lib', '[1.0.0-a]']] })],
      allPrereleasesOld,
      now,
    );
    assert.deepEqual(summary(plan), []);
  });

  test('keep-downloaded keeps versions downloaded within its days, for the ids it names', () => {
    const plan = planRetention(
      [
        v('A', '1.0.0-a', { age: 50, downloaded: 3 }),
        v('A', '1.0.0-b', { age: 50, downloaded: 30 }),
        v('B', '1.0.0-a', { age: 50, downloaded: 3 }),
      ],
      policy([...allPrereleasesOld.rules, { kind: 'keep-downloaded', days: 7, packages: ['A'] }]),
      now,
    );
    assert.deepEqual(summary(plan), ['delete A 1.0.0-b', 'delete B 1.0.0-a']);
  });

  test('rules apply only to the ids their patterns match', () => {
    const plan = planRetention(
      [v('Contoso.A', '1.0.0-a', { age: 9 }), v('Fabrikam.A', '1.0.0-a', { age: 9 })],
      policy([{ kind: 'prereleases-older-than', days: 1, action: 'unlist', packages: ['Contoso.*'] }]),
      now,
    );
    assert.deepEqual(summary(plan), ['unlist Contoso.A 1.0.0-a']);
  });

  test('delete wins over unlist, and a version unlisted by one rule is then an unlisted version', () => {
    const plan = planRetention(
      ['1.0.0', '1.1.0', '1.2.0'].map((x) => v('A', x, { age: 60 })),
      policy([
        { kind: 'keep-latest', per: 'major', count: 1, action: 'unlist' },
        { kind: 'unlisted-older-than', days: 30 },
      ]),
      now,
    );
    assert.deepEqual(summary(plan), ['delete A 1.0.0', 'delete A 1.1.0']);
    assert.equal(plan.decisions[0]!.reasons.length, 2);
  });
});

describe('parseRetentionPolicy', () => {
  test('takes a policy and fills the defaults', () => {
    assert.deepEqual(
      parseRetentionPolicy({
        rules: [{ kind: 'keep-latest', per: 'major', count: 3, action: 'delete', packages: ['Contoso.*'] }],
        protected: [{ id: 'Contoso.Core' }],
      }),
      {
        rules: [{ kind: 'keep-latest', per: 'major', count: 3, action: 'delete', packages: ['Contoso.*'] }],
        protected: [{ id: 'Contoso.Core', versions: '*' }],
      },
    );
  });
  for (const [name, input, field] of [
    ['an unknown kind', { rules: [{ kind: 'keep-some', count: 1 }] }, 'rules.0.kind'],
    [
      'a count of zero',
      { rules: [{ kind: 'keep-latest', per: 'major', count: 0, action: 'delete' }] },
      'count',
    ],
    ['an unknown field', { rules: [{ kind: 'unlisted-older-than', days: 3, action: 'unlist' }] }, 'rules.0'],
    ['a bad range', { rules: [], protected: [{ id: 'A', versions: '[1.0.0' }] }, 'protected.0.versions'],
    ['a bad pattern', { rules: [{ kind: 'keep-downloaded', days: 3, packages: ['a/b'] }] }, 'a/b'],
  ] as const) {
    test(`refuses ${name}, naming it`, () => {
      assert.throws(
        () => parseRetentionPolicy(input),
        (error: Error & { code?: string }) =>
          error.message.includes(field) &&
          (error.code === 'retention_policy_invalid' || error.code === 'id_pattern_invalid'),
      );
    });
  }
});

// ---- Property-based: on many generated feeds, the plan is safe and stable. ----

const ids = ['Contoso.Core', 'Contoso.Web', 'Fabrikam.Lib'];
const versionArb = fc
  .tuple(
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max: 2 }),
    fc.option(fc.constantFrom('alpha', 'beta.1', 'beta.2', 'rc.1', 'ci.7'), { nil: undefined }),
  )
  .map(([a, b, c, label]) => `${a}.${b}.${c}${label ? `-${label}` : ''}`);

const feedArb = fc
  .uniqueArray(
    fc.record({
      id: fc.constantFrom(...ids),
      version: versionArb,
      listed: fc.boolean(),
      age: fc.integer({ min: 0, max: 120 }),
      downloaded: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
      deps: fc.array(fc.tuple(fc.constantFrom(...ids), versionArb, fc.boolean()), { maxLength: 2 }),
    }),
    {
      selector: (r) => `${r.id}/${toNormalizedString(parseVersion(r.version)).toLowerCase()}`,
      maxLength: 30,
    },
  )
  .map((records) =>
    records.map((r) =>
      v(r.id, r.version, {
        listed: r.listed,
        age: r.age,
        ...(r.downloaded === undefined ? {} : { downloaded: r.downloaded }),
        deps: r.deps.map(([id, version, exact]) => [id, exact ? `[${version}]` : `[${version}, )`]),
      }),
    ),
  );

const scope = fc.option(fc.constantFrom(['Contoso.*'], ['*.Lib'], ['contoso.core']), { nil: undefined });
const actionArb = fc.constantFrom('unlist' as const, 'delete' as const);
const ruleArb: fc.Arbitrary<RetentionRule> = fc.oneof(
  fc.record({
    kind: fc.constant('keep-latest' as const),
    per: fc.constantFrom('major' as const, 'minor' as const),
    count: fc.integer({ min: 1, max: 3 }),
    action: actionArb,
    packages: scope,
  }),
  fc.record({
    kind: fc.constant('keep-latest-prereleases' as const),
    count: fc.integer({ min: 1, max: 3 }),
    action: actionArb,
    packages: scope,
  }),
  fc.record({
    kind: fc.constant('prereleases-older-than' as const),
    days: fc.integer({ min: 1, max: 90 }),
    action: actionArb,
    packages: scope,
  }),
  fc.record({
    kind: fc.constant('unlisted-older-than' as const),
    days: fc.integer({ min: 1, max: 90 }),
    packages: scope,
  }),
  fc.record({
    kind: fc.constant('keep-downloaded' as const),
    days: fc.integer({ min: 1, max: 30 }),
    packages: scope,
  }),
);
const policyArb: fc.Arbitrary<RetentionPolicy> = fc.record({
  rules: fc.array(ruleArb, { maxLength: 4 }),
  protected: fc.array(
    fc.record({
      id: fc.constantFrom('Contoso.*', 'Fabrikam.Lib', '*'),
      versions: fc.constantFrom('[1.0.0, 2.0.0)', '[0.1.0]', '3.0.0'),
    }),
    { maxLength: 2 },
  ),
});

/** What carrying out the plan leaves (the model of the real run, which test/storage/retention.test.ts checks). */
export function applyPlan(versions: readonly RetentionFacts[], plan: RetentionPlan): RetentionFacts[] {
  const byKey = new Map(versions.map((x) => [`${x.lowerId}/${x.lowerVersion}`, x]));
  for (const d of plan.decisions) {
    const key = `${d.lowerId}/${d.lowerVersion}`;
    if (d.action === 'delete') byKey.delete(key);
    else byKey.set(key, { ...byKey.get(key)!, listed: false });
  }
  return [...byKey.values()];
}

const latestStable = (versions: readonly RetentionFacts[], lowerId: string) => {
  const stable = versions
    .filter((x) => x.lowerId === lowerId && !x.version.includes('-'))
    .sort((a, b) => -compare(a.version, b.version));
  return stable.find((x) => x.listed) ?? stable[0];
};
const compare = (a: string, b: string) => {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  return (
    pa.major - pb.major ||
    pa.minor - pb.minor ||
    pa.patch - pb.patch ||
    (a.includes('-') ? -1 : 0) - (b.includes('-') ? -1 : 0) ||
    a.localeCompare(b)
  );
};

describe('planRetention on generated feeds (fast-check)', () => {
  test('protected, latest-stable and exactly-depended-on versions survive; carrying the plan out leaves nothing to do', () => {
    fc.assert(
      fc.property(feedArb, policyArb, (versions, rules) => {
        const plan = planRetention(versions, rules, now);
        const after = applyPlan(versions, plan);
        const survivors = new Set(after.map((x) => `${x.lowerId}/${x.lowerVersion}`));
        const touched = new Set(plan.decisions.map((d) => `${d.lowerId}/${d.lowerVersion}`));
        assert.equal(touched.size, plan.decisions.length, 'each version is decided once');
        for (const x of versions) {
          const key = `${x.lowerId}/${x.lowerVersion}`;
          const isProtected = rules.protected.some((p) => {
            const range = p.versions === '*' ? undefined : tryParseVersionRange(p.versions);
            const idMatches = new RegExp(`^${p.id.replace('.', '\\.').replace('*', '.*')}$`, 'i').test(x.id);
            return (
              idMatches &&
              (p.versions === '*' || (range !== undefined && rangeSatisfies(range, parseVersion(x.version))))
            );
          });
          if (isProtected || latestStable(versions, x.lowerId) === x) {
            assert.ok(
              !touched.has(key),
              `${key} is protected or the latest stable version, yet ${JSON.stringify(plan.decisions)}`,
            );
          }
        }
        // Every exact dependency of a version that stays is still there.
        for (const x of after) {
          for (const dep of x.dependencies) {
            const exact = /^\[([^,\]]+)\]$/.exec(dep.range);
            if (!exact) continue;
            const lowerVersion = toNormalizedString(parseVersion(exact[1]!)).toLowerCase();
            const present = versions.some(
              (y) => y.lowerId === dep.id.toLowerCase() && y.lowerVersion === lowerVersion,
            );
            if (present)
              assert.ok(
                survivors.has(`${dep.id.toLowerCase()}/${lowerVersion}`),
                `${x.id} ${x.version} lost ${dep.id} ${exact[1]}`,
              );
          }
        }
        assert.deepEqual(planRetention(after, rules, now).decisions, [], 'a second run plans nothing');
      }),
      { numRuns: 400 },
    );
  });

  test('a run stopped after any number of its steps is finished by the next run, as safely', () => {
    fc.assert(
      fc.property(feedArb, policyArb, fc.nat(), (versions, rules, cut) => {
        const plan = planRetention(versions, rules, now);
        const done = { ...plan, decisions: plan.decisions.slice(0, cut % (plan.decisions.length + 1)) };
        const interrupted = applyPlan(versions, done);
        const resumed = planRetention(interrupted, rules, now);
        const after = applyPlan(interrupted, resumed);
        assert.deepEqual(planRetention(after, rules, now).decisions, []);
        // The resumed run never removes a version the whole run would have kept.
        const kept = new Set(applyPlan(versions, plan).map((x) => `${x.lowerId}/${x.lowerVersion}`));
        for (const key of kept) {
          const [lowerId, lowerVersion] = key.split('/');
          const stays = after.some((x) => x.lowerId === lowerId && x.lowerVersion === lowerVersion);
          assert.ok(stays, `${key} survives the whole run but not the interrupted one`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
