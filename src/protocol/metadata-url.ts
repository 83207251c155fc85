// The URLs a nuspec gives (projectUrl, iconUrl, licenseUrl) reach search results, registration and catalog
// documents. Clients parse them strictly (new Uri(...)): one relative, 'file:', 'javascript:' or malformed
// iconUrl has failed a whole search page. nuget.org refuses such a push (ManifestValidator.CheckUrls: absolute
// http or https only); this feed accepts the package and stores the nuspec as given, and every document builder
// emits a URL only through this function, so packages stored before are covered too.

/** `value` as an absolute http(s) URL in its canonical form (WHATWG serialization: ASCII, escaped), or undefined. */
export function metadataUrl(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
}
