// `--storage s3://bucket/prefix?endpoint=…&region=…&forcePathStyle=true` (issue 6), parsed without the S3 SDK
// so that config can validate it while the default install never loads @aws-sdk.
// Credentials are deliberately not part of the URL: URLs end up in logs and process lists. They come from
// the AWS SDK's standard chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, instance role).
import { invalidInput, type NuggetError } from '../../errors.ts';
import { redactSecrets } from '../../redact.ts';

export interface S3StorageOptions {
  readonly bucket: string;
  /** Key prefix inside the bucket, without leading or trailing `/`; '' stores at the bucket's root. */
  readonly prefix: string;
  /** An S3-compatible server's base URL (MinIO, Ceph, R2, s3rver …); absent means AWS itself. */
  readonly endpoint?: string;
  /** Absent means the SDK's own lookup (AWS_REGION, the shared config file). */
  readonly region?: string;
  /** Address buckets as `endpoint/bucket/key` instead of `bucket.endpoint/key`; most self-hosted servers need it. */
  readonly forcePathStyle?: boolean;
}

const example = 's3://my-bucket/nuget?endpoint=http://127.0.0.1:9000&region=us-east-1&forcePathStyle=true';
const knownParameters = ['endpoint', 'region', 'forcePathStyle'] as const;
type KnownParameter = (typeof knownParameters)[number];

// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
const bucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ipAddress = /^\d+\.\d+\.\d+\.\d+$/;
const regionName = /^[A-Za-z0-9-]+$/;

// Messages quote what was given, which may hold a secret (`s3://KEY:SECRET@bucket`): it is printed at start.
const invalid = (message: string): NuggetError =>
  invalidInput('InvalidS3StorageUrl', `${redactSecrets(message)}. Expected e.g. ${example}`);

export function parseS3StorageUrl(text: string): S3StorageOptions {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw invalid(`'${text}' is not a URL`);
  }
  if (url.protocol !== 's3:') throw invalid(`'${text}' does not start with s3://`);
  if (url.username || url.password) {
    throw invalid(
      'The S3 storage URL must not contain credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ' +
        '(or AWS_PROFILE) instead',
    );
  }
  if (url.port) throw invalid(`'${text}' has a port after the bucket name; put the server in ?endpoint=`);
  if (url.hash) throw invalid(`'${text}' has a #fragment, which means nothing here`);

  const bucket = url.hostname;
  if (!bucket) throw invalid(`'${text}' names no bucket`);
  if (!bucketName.test(bucket) || bucket.includes('..') || ipAddress.test(bucket)) {
    throw invalid(
      `'${bucket}' is not a valid bucket name: use 3 to 63 lowercase letters, digits, dots and hyphens, ` +
        'starting and ending with a letter or digit',
    );
  }

  const prefix = parsePrefix(rawPath(text.trim()), text);
  const parameters = parseParameters(url.searchParams);
  const options: { -readonly [K in keyof S3StorageOptions]: S3StorageOptions[K] } = { bucket, prefix };
  if (parameters.endpoint !== undefined) options.endpoint = parseEndpoint(parameters.endpoint);
  if (parameters.region !== undefined) {
    if (!regionName.test(parameters.region)) {
      throw invalid(`region '${parameters.region}' is not a region name such as us-east-1`);
    }
    options.region = parameters.region;
  }
  if (parameters.forcePathStyle !== undefined) {
    if (parameters.forcePathStyle !== 'true' && parameters.forcePathStyle !== 'false') {
      throw invalid(`forcePathStyle must be true or false, not '${parameters.forcePathStyle}'`);
    }
    options.forcePathStyle = parameters.forcePathStyle === 'true';
  }
  return options;
}

/**
 * The path as written: `URL` resolves '..' and '%2E%2E' segments away ('a/../b' becomes '/b'), which would
 * silently store blobs under another prefix than the one configured.
 */
function rawPath(text: string): string {
  const afterScheme = text.slice('s3://'.length).replace(/[?#].*$/s, '');
  const slash = afterScheme.indexOf('/');
  return slash === -1 ? '' : afterScheme.slice(slash);
}

function parsePrefix(pathname: string, text: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    throw invalid(`'${text}' has a malformed %-escape in its prefix`);
  }
  const trimmed = decoded.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  // Empty, '.' and '..' segments are legal S3 key characters, but HTTP layers and consoles normalise them
  // away, so a prefix containing them would not mean what it says.
  for (const segment of trimmed.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw invalid(`the prefix '${trimmed}' has an empty, '.' or '..' segment`);
    }
  }
  return trimmed;
}

function parseParameters(search: URLSearchParams): Partial<Record<KnownParameter, string>> {
  const found: Partial<Record<KnownParameter, string>> = {};
  for (const [name, value] of search) {
    const known = knownParameters.find((parameter) => parameter === name);
    if (!known) {
      throw invalid(`unknown parameter '${name}' (known: ${knownParameters.join(', ')})`);
    }
    if (found[known] !== undefined) throw invalid(`parameter '${name}' is given twice`);
    if (value === '') throw invalid(`parameter '${name}' is empty`);
    found[known] = value;
  }
  return found;
}

function parseEndpoint(value: string): string {
  let endpoint: URL;
  try {
    endpoint = new URL(value);
  } catch {
    throw invalid(`endpoint '${value}' is not a URL such as http://127.0.0.1:9000`);
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw invalid(`endpoint '${value}' must be an http:// or https:// URL`);
  }
  if (endpoint.username || endpoint.password) {
    throw invalid(
      `endpoint '${value}' must not contain credentials; use the AWS credential variables instead`,
    );
  }
  if (endpoint.search || endpoint.hash)
    throw invalid(`endpoint '${value}' must not have a query or #fragment`);
  // `new URL` adds a trailing '/' to a bare origin; keep the value as the person wrote it otherwise.
  return endpoint.pathname === '/' ? endpoint.origin : endpoint.href.replace(/\/+$/, '');
}
