// Managing the feeds of a nugget under test over its admin API (docs/feeds.md "Managing feeds",
// docs/upstreams.md "Admin API"), and pushing into a named feed, with the bootstrap key.
import assert from 'node:assert/strict';

/** PUT /admin/feeds/{name}: creates a feed of any kind (`{ kind, source, members, ...settings }`). */
export async function createFeed(
  baseUrl: string,
  apiKey: string,
  name: string,
  body: Record<string, unknown> = {},
): Promise<void> {
  const response = await fetch(`${baseUrl}/admin/feeds/${name}`, {
    method: 'PUT',
    headers: { 'x-nuget-apikey': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 201, `create feed ${name}: ${response.status} ${await response.text()}`);
}

/** Pushes a .nupkg into a named feed as the NuGet client does (multipart PUT). */
export async function pushToFeed(
  baseUrl: string,
  apiKey: string,
  feed: string,
  nupkg: Uint8Array,
): Promise<void> {
  const body = new FormData();
  body.append('package', new Blob([nupkg]), 'package.nupkg');
  const response = await fetch(`${baseUrl}/feeds/${feed}/v3/package`, {
    method: 'PUT',
    headers: { 'x-nuget-apikey': apiKey },
    body,
  });
  assert.equal(response.status, 201, `push to ${feed}: ${response.status} ${await response.text()}`);
}
