// Rule 1 of docs/architecture.md: dependencies point one way.
// nuget <- protocol <- packages/auth <- storage, http, cli <- compose
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'nuget-is-pure',
      comment: 'src/nuget holds the pure NuGet rules: it imports only itself and pure libraries.',
      severity: 'error',
      from: { path: '^src/nuget/' },
      to: { path: '^src/(?!nuget/|errors\\.ts$)' },
    },
    {
      name: 'nuget-no-io',
      comment: 'src/nuget does no I/O except reading a nupkg through yauzl in packaging/.',
      severity: 'error',
      from: { path: '^src/nuget/(?!packaging/read-nupkg)' },
      to: {
        path: '^(node:)?(fs|net|http|https|child_process)$|better-sqlite3|kysely|fastify|yauzl',
        dependencyTypes: ['core', 'npm'],
      },
    },
    {
      name: 'protocol-is-pure',
      comment: 'src/protocol builds documents; it may use src/nuget only.',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { path: '^src/(?!nuget/|protocol/|errors\\.ts$)' },
    },
    {
      name: 'protocol-no-io',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: {
        dependencyTypes: ['core', 'npm'],
        path: '^(node:)?(fs|net|http|https|child_process)$|better-sqlite3|kysely|fastify',
      },
    },
    {
      name: 'use-cases-know-no-adapters',
      comment: 'src/packages and src/auth speak to ports, never to storage, http or cli.',
      severity: 'error',
      from: { path: '^src/(packages|auth)/' },
      to: { path: '^src/(storage|http|cli|compose|main|config)' },
    },
    {
      name: 'adapters-do-not-cross',
      comment: 'storage, http and cli do not import each other; compose wires them.',
      severity: 'error',
      from: { path: '^src/(storage|http)/' },
      to: { path: '^src/(cli|compose|main)' },
    },
    {
      name: 'only-compose-builds-adapters',
      comment: 'The web UI, like the API, reads through ports: no SQL in a page (docs/architecture.md).',
      severity: 'error',
      from: { path: '^src/(http|cli|web)/', pathNot: '^src/cli/main' },
      to: { path: '^src/storage/(sql|blobs)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'tests-are-not-imported',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '(\\.test\\.ts$|^test/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
