// One log line per request, with the NuGet headers worth keeping when sent: X-NuGet-Session-Id ties together
// the requests of one client operation, X-NuGet-Protocol-Version says which client dialect spoke
// (../../../shared/spec/nuget-api/overview.md; ../../../shared/notes/client-behaviour.md §1.1).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { type JsonObject, startFeed, type TestFeed } from './feed-fixture.ts';

describe('request log', () => {
  let feed: TestFeed;
  const lines: JsonObject[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      callback();
    },
  });

  before(async () => {
    feed = await startFeed({ logger: pino({ level: 'info' }, sink) });
  });
  after(() => feed.close());

  const requestLines = (url: string) =>
    lines.filter((line) => line['msg'] === 'request' && line['url'] === url);

  test('records X-NuGet-Session-Id and X-NuGet-Protocol-Version when sent', async () => {
    const sessionId = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const response = await feed.get('/v3/index.json?probe=1', {
      'x-nuget-session-id': sessionId,
      'x-nuget-protocol-version': '4.1.0',
      'user-agent': 'NuGet .NET Core MSBuild Task/7.9.0 (test)',
    });
    assert.equal(response.statusCode, 200);
    const [line] = requestLines('/v3/index.json?probe=1');
    assert.ok(line, `no request line among ${JSON.stringify(lines).slice(0, 500)}`);
    assert.equal(line['sessionId'], sessionId);
    assert.equal(line['protocolVersion'], '4.1.0');
    assert.equal(line['client'], 'NuGet .NET Core MSBuild Task/7.9.0 (test)');
    assert.equal(line['method'], 'GET');
    assert.equal(line['status'], 200);
  });

  test('logs one line per request, failures included, without the headers when not sent', async () => {
    const response = await feed.get('/v3/flatcontainer/no.such/index.json');
    assert.equal(response.statusCode, 404);
    const found = requestLines('/v3/flatcontainer/no.such/index.json');
    assert.equal(found.length, 1);
    assert.equal(found[0]?.['status'], 404);
    assert.equal(found[0]?.['sessionId'], undefined);
    assert.equal(found[0]?.['protocolVersion'], undefined);
  });

  test('never logs the API key', async () => {
    const secret = 'super-secret-key-that-must-not-be-logged';
    await feed.request('DELETE', '/v3/package/No.Such/1.0.0', {
      headers: { 'x-nuget-apikey': secret },
    });
    assert.ok(requestLines('/v3/package/No.Such/1.0.0').length > 0);
    assert.doesNotMatch(JSON.stringify(lines), new RegExp(secret));
  });
});
