// The C# signature check of docs/webhooks.md ("Headers and signature") is the one a .NET receiver would copy: this
// test takes the snippet out of the document as it is, compiles it with the .NET SDK (isolated HOME and
// NUGET_PACKAGES, no package source) and runs it on a real delivery that a receiver got from a feed, and on
// deliveries that must fail: a changed body, a changed timestamp, another secret, a replayed old delivery.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { startFeed, type TestFeed } from '../http/feed-fixture.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { signWebhook } from '../../src/packages/webhook-signature.ts';
import {
  assertSucceeded,
  createDotnetEnv,
  createWorkspace,
  requireDotnet,
  writeFiles,
  type Workspace,
} from './harness.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The first ```csharp block of docs/webhooks.md: the verification snippet. */
async function snippetFromDocs(): Promise<string> {
  const markdown = await readFile(path.join(repoRoot, 'docs', 'webhooks.md'), 'utf8');
  const match = /```csharp\n([\s\S]*?)\n```/.exec(markdown);
  assert.ok(match?.[1], 'docs/webhooks.md has a ```csharp block');
  return match[1];
}

// Runs every case folder (secret, timestamp, signature, body) through the snippet and prints "<case> <verdict>".
const program = `using System;
using System.IO;
using System.Linq;

foreach (var dir in Directory.GetDirectories(args[0]).OrderBy(d => d, StringComparer.Ordinal))
{
    string Read(string name) => File.ReadAllText(Path.Combine(dir, name));
    var ok = NuggetWebhook.Verify(Read("secret"), Read("timestamp"), Read("signature"),
        File.ReadAllBytes(Path.Combine(dir, "body")), DateTimeOffset.UtcNow);
    Console.WriteLine($"{Path.GetFileName(dir)} {(ok ? "valid" : "invalid")}");
}
`;

describe('the C# snippet of docs/webhooks.md', () => {
  let workspace: Workspace;
  let receiver: WebhookReceiver;
  let server: TestFeed;

  before(async () => {
    await requireDotnet();
    workspace = await createWorkspace('nugget-webhook-csharp-');
    receiver = await startWebhookReceiver();
    server = await startFeed({
      deliverWebhooks: { pollMs: 50 },
      config: { webhookAllowedNetworks: '127.0.0.1' },
    });
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
    await workspace?.dispose();
  });

  test('compiles and verifies a real delivery, and refuses tampered and replayed ones', async () => {
    const added = await server.request('POST', '/v3/admin/webhooks', {
      headers: { 'x-nuget-apikey': server.apiKey ?? '', 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, events: ['package.pushed'] }),
    });
    assert.equal(added.statusCode, 201, added.body);
    const { secret } = JSON.parse(added.body) as { secret: string };
    assert.equal(
      (await server.push(await buildNupkg({ id: 'Signed.Ünïcode', version: '1.0.0' }))).statusCode,
      201,
    );
    const [delivery] = await receiver.waitFor(1);
    assert.ok(delivery);
    const timestamp = String(delivery.headers['x-nugget-webhook-timestamp']);
    const signature = String(delivery.headers['x-nugget-webhook-signature']);
    const body = Buffer.from(delivery.body, 'utf8');
    const old = String(Math.floor(Date.now() / 1000) - 600);

    const cases: Record<string, { secret: string; timestamp: string; signature: string; body: Buffer }> = {
      '1-real-delivery': { secret, timestamp, signature, body },
      '2-body-changed': {
        secret,
        timestamp,
        signature,
        body: Buffer.from(delivery.body.replace('1.0.0', '1.0.1')),
      },
      '3-timestamp-changed': { secret, timestamp: String(Number(timestamp) + 1), signature, body },
      '4-other-secret': { secret: `${secret}x`, timestamp, signature, body },
      '5-replayed-after-ten-minutes': {
        secret,
        timestamp: old,
        signature: signWebhook(secret, Number(old), delivery.body),
        body,
      },
    };
    const casesDir = await workspace.makeDir('cases');
    for (const [name, files] of Object.entries(cases)) {
      await writeFiles(path.join(casesDir, name), files);
    }

    const dotnet = await createDotnetEnv(workspace, { name: 'dotnet', sources: [] });
    const projectDir = await dotnet.makeDir('verify');
    await writeFile(
      path.join(projectDir, 'Verify.csproj'),
      `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net${(await requireDotnet()).split('.')[0]}.0</TargetFramework>
    <Nullable>enable</Nullable>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
</Project>
`,
    );
    await writeFile(path.join(projectDir, 'NuggetWebhook.cs'), await snippetFromDocs());
    await writeFile(path.join(projectDir, 'Program.cs'), program);
    const run = await dotnet.runDotnet(['run', '-c', 'Release', '--', casesDir], {
      cwd: projectDir,
      timeoutMs: 240_000,
    });
    assertSucceeded(run);
    assert.deepEqual(run.stdout.trim().split('\n'), [
      '1-real-delivery valid',
      '2-body-changed invalid',
      '3-timestamp-changed invalid',
      '4-other-secret invalid',
      '5-replayed-after-ten-minutes invalid',
    ]);
  });
});
