// The version of nugget: package.json's, two levels up from src/cli/ (and from dist/cli/ in a packed install).
import { readFileSync } from 'node:fs';

export const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
