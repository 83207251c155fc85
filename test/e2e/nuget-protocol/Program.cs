// A client of a nugget feed written against NuGet.Protocol 8.0.0 alone: the library every NuGet-based tool (Visual
// Studio, dotnet CLI, PSResourceGet, dotnet-outdated) is built on, used through its own resource providers.
// Usage: <push|read|delete> <service index URL> <API key> [arguments]. Prints one JSON object of what it observed;
// the test (nuget-protocol.test.ts) asserts on it. A step that throws is recorded as {"error": "..."} so one failure
// does not hide the others.
using System.Security.Cryptography;
using System.Text.Json;
using NuGet.Common;
using NuGet.Configuration;
using NuGet.Packaging;
using NuGet.Packaging.Core;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;

var (command, source, apiKey) = (args[0], args[1], args[2]);
var rest = args.Skip(3).ToArray();
var repository = Repository.Factory.GetCoreV3(new PackageSource(source, "nugget") { AllowInsecureConnections = true });
var log = NullLogger.Instance;
var ct = CancellationToken.None;
var cache = new SourceCacheContext { NoCache = true, DirectDownload = true };
var result = new Dictionary<string, object>();

async Task Step(string name, Func<Task<object>> run)
{
    try { result[name] = await run(); }
    catch (Exception e) { result[name] = new { error = $"{e.GetType().Name}: {e.Message}" + (e.InnerException is null ? "" : $" ({e.InnerException.Message})") }; }
}

object Describe(IPackageSearchMetadata m)
{
    var deprecation = m.GetDeprecationMetadataAsync().GetAwaiter().GetResult();
    return new
    {
        id = m.Identity.Id,
        version = m.Identity.Version.ToNormalizedString(),
        listed = m.IsListed,
        authors = m.Authors,
        description = m.Description,
        published = m.Published?.ToString("O"),
        projectUrl = m.ProjectUrl?.ToString(),
        dependencyGroups = m.DependencySets?.Select(g => new
        {
            framework = g.TargetFramework.GetShortFolderName(),
            dependencies = g.Packages.Select(p => new { id = p.Id, range = p.VersionRange.ToNormalizedString() }),
        }),
        deprecation = deprecation is null ? null : new
        {
            reasons = deprecation.Reasons,
            message = deprecation.Message,
            alternateId = deprecation.AlternatePackage?.PackageId,
            alternateRange = deprecation.AlternatePackage?.Range?.ToNormalizedString(),
        },
        vulnerabilities = m.Vulnerabilities?.Select(v => new { url = v.AdvisoryUrl.ToString(), severity = v.Severity }),
    };
}

switch (command)
{
    case "push":
    {
        var update = await repository.GetResourceAsync<PackageUpdateResource>(ct);
        var symbols = await repository.GetResourceAsync<SymbolPackageUpdateResourceV3>(ct);
        Task Push(IList<string> files, bool skipDuplicate) => update.Push(files, symbolSource: symbols?.SourceUri.ToString() ?? "", timeoutInSecond: 60,
            disableBuffering: false, getApiKey: _ => apiKey, getSymbolApiKey: _ => apiKey, noServiceEndpoint: false,
            skipDuplicate: skipDuplicate, symbolPackageUpdateResource: symbols, allowInsecureConnections: true, log: log);
        await Step("pushed", async () => { await Push(rest, false); return rest.Select(Path.GetFileName); });
        await Step("duplicateSkipped", async () => { await Push(new[] { rest[0] }, true); return true; });
        await Step("duplicate", async () => { await Push(new[] { rest[0] }, false); return "accepted"; });
        break;
    }
    case "read":
    {
        var (libId, appId) = (rest[0], rest[1]);
        await Step("serviceIndex", async () =>
        {
            var index = await repository.GetResourceAsync<ServiceIndexResourceV3>(ct);
            return new
            {
                types = index.Entries.Select(e => e.Type).Distinct().OrderBy(t => t, StringComparer.Ordinal),
                packageBaseAddress = index.GetServiceEntryUri(ServiceTypes.PackageBaseAddress)?.ToString(),
                registrationsBaseUrl = index.GetServiceEntryUri(ServiceTypes.RegistrationsBaseUrl)?.ToString(),
                searchQueryService = index.GetServiceEntryUris(ServiceTypes.SearchQueryService).Select(u => u.ToString()),
                vulnerabilityInfo = index.GetServiceEntryUri("VulnerabilityInfo/6.7.0")?.ToString(),
            };
        });
        var find = await repository.GetResourceAsync<FindPackageByIdResource>(ct);
        await Step("findVersions", async () => (await find.GetAllVersionsAsync(libId, cache, log, ct)).Select(v => v.ToNormalizedString()));
        await Step("findMissingVersions", async () => (await find.GetAllVersionsAsync("Nugget.NoSuchPackage", cache, log, ct)).Count());
        await Step("exists", async () => new
        {
            present = await find.DoesPackageExistAsync(libId, NuGetVersion.Parse("1.1.0"), cache, log, ct),
            absent = await find.DoesPackageExistAsync(libId, NuGetVersion.Parse("9.9.9"), cache, log, ct),
        });
        await Step("dependencyInfo", async () =>
        {
            var info = await find.GetDependencyInfoAsync(appId, NuGetVersion.Parse("1.0.0"), cache, log, ct);
            return info.DependencyGroups.Select(g => new
            {
                framework = g.TargetFramework.GetShortFolderName(),
                dependencies = g.Packages.Select(p => new { id = p.Id, range = p.VersionRange.ToNormalizedString() }),
            });
        });
        await Step("copyNupkgSha512", async () =>
        {
            using var stream = new MemoryStream();
            var copied = await find.CopyNupkgToStreamAsync(libId, NuGetVersion.Parse("1.1.0"), stream, cache, log, ct);
            return copied ? Convert.ToBase64String(SHA512.HashData(stream.ToArray())) : null;
        });
        var metadata = await repository.GetResourceAsync<PackageMetadataResource>(ct);
        await Step("metadata", async () => (await metadata.GetMetadataAsync(libId, true, false, cache, log, ct)).Select(Describe));
        await Step("metadataStableOnly", async () => (await metadata.GetMetadataAsync(libId, false, false, cache, log, ct)).Select(m => m.Identity.Version.ToNormalizedString()));
        await Step("metadataOfIdentity", async () => Describe(await metadata.GetMetadataAsync(new PackageIdentity(libId, NuGetVersion.Parse("1.0.0")), cache, log, ct)));
        await Step("metadataMissing", async () => (await metadata.GetMetadataAsync("Nugget.NoSuchPackage", true, true, cache, log, ct)).Count());
        await Step("search", async () =>
        {
            var search = await repository.GetResourceAsync<PackageSearchResource>(ct);
            var hits = await search.SearchAsync("proto", new SearchFilter(includePrerelease: true), 0, 20, log, ct);
            return hits.Select(h => new
            {
                summary = Describe(h),
                downloads = h.DownloadCount,
                versions = h.GetVersionsAsync().GetAwaiter().GetResult().Select(v => v.Version.ToNormalizedString()),
            });
        });
        await Step("searchStable", async () =>
        {
            var search = await repository.GetResourceAsync<PackageSearchResource>(ct);
            var hits = await search.SearchAsync(libId, new SearchFilter(includePrerelease: false), 0, 20, log, ct);
            return hits.Select(h => h.Identity.ToString());
        });
        await Step("autocomplete", async () =>
        {
            var auto = await repository.GetResourceAsync<AutoCompleteResource>(ct);
            return new
            {
                ids = await auto.IdStartsWith("proto", true, log, ct),
                versions = (await auto.VersionStartsWith(libId, "1", true, cache, log, ct)).Select(v => v.ToNormalizedString()),
            };
        });
        await Step("download", async () =>
        {
            var download = await repository.GetResourceAsync<DownloadResource>(ct);
            var folder = Path.Combine(Path.GetTempPath(), "nugget-harness-" + Guid.NewGuid().ToString("N"));
            try
            {
                using var got = await download.GetDownloadResourceResultAsync(new PackageIdentity(libId, NuGetVersion.Parse("1.1.0")),
                    new PackageDownloadContext(cache, folder, directDownload: true), folder, log, ct);
                // A direct download hands over the stream, not a reader: read the nuspec inside it.
                using var reader = new PackageArchiveReader(got.PackageStream, leaveStreamOpen: true);
                var identity = (await reader.GetIdentityAsync(ct)).ToString();
                return new { status = got.Status.ToString(), identity };
            }
            finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
        });
        await Step("registration", async () =>
        {
            var registration = await repository.GetResourceAsync<RegistrationResourceV3>(ct);
            var leaves = await registration.GetPackageMetadata(libId, true, true, cache, log, ct);
            return new
            {
                uri = registration.GetUri(libId).ToString(),
                versions = leaves.Select(leaf => leaf["version"]?.ToString()),
            };
        });
        await Step("latestVersion", async () =>
        {
            var md = await repository.GetResourceAsync<MetadataResource>(ct);
            return (await md.GetLatestVersion(libId, false, false, cache, log, ct))?.ToNormalizedString();
        });
        await Step("vulnerabilityInfo", async () =>
        {
            var vulnerabilities = await repository.GetResourceAsync<IVulnerabilityInfoResource>(ct);
            var info = await vulnerabilities.GetVulnerabilityInfoAsync(cache, log, ct);
            return new
            {
                error = info.Exceptions?.Message,
                files = info.KnownVulnerabilities?.Count,
                advisories = info.KnownVulnerabilities?.SelectMany(file => file)
                    .SelectMany(pair => pair.Value.Select(v => new { id = pair.Key, url = v.Url.ToString(), severity = (int)v.Severity, versions = v.Versions.ToNormalizedString() })),
            };
        });
        break;
    }
    case "delete":
    {
        var (id, version) = (rest[0], rest[1]);
        var update = await repository.GetResourceAsync<PackageUpdateResource>(ct);
        await Step("deleted", async () =>
        {
            await update.Delete(id, version, _ => apiKey, _ => true, false, true, log);
            return true;
        });
        var metadata = await repository.GetResourceAsync<PackageMetadataResource>(ct);
        await Step("listedVersions", async () => (await metadata.GetMetadataAsync(id, true, false, cache, log, ct)).Select(m => m.Identity.Version.ToNormalizedString()));
        await Step("allVersions", async () => (await metadata.GetMetadataAsync(id, true, true, cache, log, ct)).Select(m => new { version = m.Identity.Version.ToNormalizedString(), listed = m.IsListed }));
        await Step("deleteMissing", async () =>
        {
            await update.Delete(id, "9.9.9", _ => apiKey, _ => true, false, true, log);
            return "accepted";
        });
        break;
    }
    default:
        Console.Error.WriteLine($"unknown command {command}");
        return 2;
}

Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
return 0;
