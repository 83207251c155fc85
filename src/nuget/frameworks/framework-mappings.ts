// The tables NuGet's default framework name provider is built from: identifiers and their short
// names, profile short names, frameworks that are equivalent, and the portable (PCL) profiles.
// Spec: ../../../../shared/spec/reference/target-frameworks.md ("Supported frameworks",
// "Portable Class Libraries"); the tables there are generated from NuGet.Client's
// FrameworkConstants.cs, DefaultFrameworkMappings.cs and DefaultPortableFrameworkMappings.cs.

/** NuGet's long framework identifiers (what `NuGetFramework.framework` holds). */
export const FrameworkIdentifiers = {
  NetCoreApp: '.NETCoreApp',
  NetStandardApp: '.NETStandardApp',
  NetStandard: '.NETStandard',
  NetPlatform: '.NETPlatform',
  Net: '.NETFramework',
  NetCore: '.NETCore',
  WinRT: 'WinRT',
  NetMicro: '.NETMicroFramework',
  Portable: '.NETPortable',
  WindowsPhone: 'WindowsPhone',
  Windows: 'Windows',
  WindowsPhoneApp: 'WindowsPhoneApp',
  Dnx: 'DNX',
  DnxCore: 'DNXCore',
  AspNet: 'ASP.NET',
  AspNetCore: 'ASP.NETCore',
  Silverlight: 'Silverlight',
  Native: 'native',
  MonoAndroid: 'MonoAndroid',
  MonoTouch: 'MonoTouch',
  MonoMac: 'MonoMac',
  XamarinIOs: 'Xamarin.iOS',
  XamarinMac: 'Xamarin.Mac',
  XamarinPlayStation3: 'Xamarin.PlayStation3',
  XamarinPlayStation4: 'Xamarin.PlayStation4',
  XamarinPlayStationVita: 'Xamarin.PlayStationVita',
  XamarinWatchOS: 'Xamarin.WatchOS',
  XamarinTVOS: 'Xamarin.TVOS',
  XamarinXbox360: 'Xamarin.Xbox360',
  XamarinXboxOne: 'Xamarin.XboxOne',
  UAP: 'UAP',
  Tizen: 'Tizen',
  NanoFramework: '.NETnanoFramework',
} as const;

/** The identifiers of the frameworks that are not real targets. */
export const SpecialIdentifiers = {
  Any: 'Any',
  Agnostic: 'Agnostic',
  Unsupported: 'Unsupported',
} as const;

const F = FrameworkIdentifiers;

/** Other spellings of an identifier that parse to it: [synonym, identifier]. */
export const identifierSynonyms: readonly (readonly [string, string])[] = [
  ['NETFramework', F.Net],
  ['.NET', F.Net],
  ['NETCore', F.NetCore],
  ['NETPortable', F.Portable],
  ['asp.net', F.AspNet],
  ['asp.netcore', F.AspNetCore],
  ['Xamarin.PlayStationThree', F.XamarinPlayStation3],
  ['XamarinPlayStationThree', F.XamarinPlayStation3],
  ['Xamarin.PlayStationFour', F.XamarinPlayStation4],
  ['XamarinPlayStationFour', F.XamarinPlayStation4],
  ['XamarinPlayStationVita', F.XamarinPlayStationVita],
];

/** The short name each identifier has in folder names: [identifier, short name]. */
export const identifierShortNames: readonly (readonly [string, string])[] = [
  [F.NetCoreApp, 'netcoreapp'],
  [F.NetStandardApp, 'netstandardapp'],
  [F.NetStandard, 'netstandard'],
  [F.NetPlatform, 'dotnet'],
  [F.Net, 'net'],
  [F.NetMicro, 'netmf'],
  [F.Silverlight, 'sl'],
  [F.Portable, 'portable'],
  [F.WindowsPhone, 'wp'],
  [F.WindowsPhoneApp, 'wpa'],
  [F.Windows, 'win'],
  [F.AspNet, 'aspnet'],
  [F.AspNetCore, 'aspnetcore'],
  [F.Native, 'native'],
  [F.MonoAndroid, 'monoandroid'],
  [F.MonoTouch, 'monotouch'],
  [F.MonoMac, 'monomac'],
  [F.XamarinIOs, 'xamarinios'],
  [F.XamarinMac, 'xamarinmac'],
  [F.XamarinPlayStation3, 'xamarinpsthree'],
  [F.XamarinPlayStation4, 'xamarinpsfour'],
  [F.XamarinPlayStationVita, 'xamarinpsvita'],
  [F.XamarinWatchOS, 'xamarinwatchos'],
  [F.XamarinTVOS, 'xamarintvos'],
  [F.XamarinXbox360, 'xamarinxboxthreesixty'],
  [F.XamarinXboxOne, 'xamarinxboxone'],
  [F.Dnx, 'dnx'],
  [F.DnxCore, 'dnxcore'],
  [F.NetCore, 'netcore'],
  [F.WinRT, 'winrt'],
  [F.UAP, 'uap'],
  [F.Tizen, 'tizen'],
  [F.NanoFramework, 'netnano'],
];

/** Profile short names in folder names: [short name, profile]. NuGet applies them to every identifier. */
export const profileShortNames: readonly (readonly [string, string])[] = [
  ['Client', 'Client'],
  ['CF', 'CompactFramework'],
  ['Full', ''],
  ['WP', 'WindowsPhone'],
  ['WP71', 'WindowsPhone71'],
];

/** Legacy frameworks whose short version may be one digit ('win8', 'wp7', 'sl4'). */
export const singleDigitVersionFrameworks: ReadonlySet<string> = new Set(
  [F.Windows, F.WindowsPhone, F.Silverlight].map((id) => id.toLowerCase()),
);

/** Frameworks whose short version always has a dot ('netstandard2.0', 'net8.0'). */
export const decimalPointFrameworks: ReadonlySet<string> = new Set(
  [F.NetCoreApp, F.NetStandard, F.NanoFramework].map((id) => id.toLowerCase()),
);

/** A framework as the tables name it: identifier, version parts and profile. */
export interface FrameworkKey {
  readonly framework: string;
  readonly version: readonly number[];
  readonly profile?: string;
}

const fw = (framework: string, version: readonly number[], profile = ''): FrameworkKey => ({
  framework,
  version,
  profile,
});

/**
 * Pairs of frameworks NuGet treats as the same target ('win' = 'win8' = 'netcore45').
 * NuGet closes them transitively, so each connected group is one equivalence class.
 */
export const equivalentFrameworks: readonly (readonly [FrameworkKey, FrameworkKey])[] = [
  [fw(F.UAP, []), fw(F.UAP, [10])],
  [fw(F.Windows, []), fw(F.Windows, [8])],
  [fw(F.Windows, [8]), fw(F.NetCore, [4, 5])],
  [fw(F.NetCore, [4, 5]), fw(F.WinRT, [4, 5])],
  [fw(F.NetCore, []), fw(F.NetCore, [4, 5])],
  [fw(F.WinRT, []), fw(F.WinRT, [4, 5])],
  [fw(F.Windows, [8, 1]), fw(F.NetCore, [4, 5, 1])],
  [fw(F.WindowsPhone, []), fw(F.WindowsPhone, [7])],
  [fw(F.WindowsPhone, [7]), fw(F.Silverlight, [3], 'WindowsPhone')],
  [fw(F.WindowsPhone, [7, 1]), fw(F.Silverlight, [4], 'WindowsPhone71')],
  [fw(F.WindowsPhone, [8]), fw(F.Silverlight, [8], 'WindowsPhone')],
  [fw(F.WindowsPhone, [8, 1]), fw(F.Silverlight, [8, 1], 'WindowsPhone')],
  [fw(F.WindowsPhoneApp, []), fw(F.WindowsPhoneApp, [8, 1])],
  [fw(F.Tizen, []), fw(F.Tizen, [3])],
  [fw(F.Dnx, []), fw(F.Dnx, [4, 5])],
  [fw(F.DnxCore, []), fw(F.DnxCore, [5])],
  [fw(F.NetPlatform, []), fw(F.NetPlatform, [5])],
  [fw(F.AspNet, []), fw(F.AspNet, [5])],
  [fw(F.AspNetCore, []), fw(F.AspNetCore, [5])],
  [fw(F.Dnx, [4, 5]), fw(F.AspNet, [5])],
  [fw(F.DnxCore, [5]), fw(F.AspNetCore, [5])],
];

const net4 = fw(F.Net, [4]);
const net403 = fw(F.Net, [4, 0, 3]);
const net45 = fw(F.Net, [4, 5]);
const net451 = fw(F.Net, [4, 5, 1]);
const win8 = fw(F.Windows, [8]);
const win81 = fw(F.Windows, [8, 1]);
const sl4 = fw(F.Silverlight, [4]);
const sl5 = fw(F.Silverlight, [5]);
const wp7 = fw(F.WindowsPhone, [7]);
const wp75 = fw(F.WindowsPhone, [7, 5]);
const wp8 = fw(F.WindowsPhone, [8]);
const wp81 = fw(F.WindowsPhone, [8, 1]);
const wpa81 = fw(F.WindowsPhoneApp, [8, 1]);

/**
 * The frameworks each portable profile requires (the spec's "Portable Class Libraries" table).
 * Order matters only as NuGet's does: the first profile whose set matches wins.
 */
export const portableProfiles: ReadonlyMap<number, readonly FrameworkKey[]> = new Map<number, FrameworkKey[]>(
  [
    [31, [win81, wp81]],
    [32, [win81, wpa81]],
    [44, [net451, win81]],
    [84, [wp81, wpa81]],
    [151, [net451, win81, wpa81]],
    [157, [win81, wp81, wpa81]],
    [7, [net45, win8]],
    [49, [net45, wp8]],
    [78, [net45, win8, wp8]],
    [111, [net45, win8, wpa81]],
    [259, [net45, win8, wpa81, wp8]],
    [2, [net4, win8, sl4, wp7]],
    [3, [net4, sl4]],
    [4, [net45, sl4, win8, wp7]],
    [5, [net4, win8]],
    [6, [net403, win8]],
    [14, [net4, sl5]],
    [18, [net403, sl4]],
    [19, [net403, sl5]],
    [23, [net45, sl4]],
    [24, [net45, sl5]],
    [36, [net4, sl4, win8, wp8]],
    [37, [net4, sl5, win8]],
    [41, [net403, sl4, win8]],
    [42, [net403, sl5, win8]],
    [46, [net45, sl4, win8]],
    [47, [net45, sl5, win8]],
    [88, [net4, sl4, win8, wp75]],
    [92, [net4, win8, wpa81]],
    [95, [net403, sl4, win8, wp7]],
    [96, [net403, sl4, win8, wp75]],
    [102, [net403, win8, wpa81]],
    [104, [net45, sl4, win8, wp75]],
    [136, [net4, sl5, win8, wp8]],
    [143, [net403, sl4, win8, wp8]],
    [147, [net403, sl5, win8, wp8]],
    [154, [net45, sl4, win8, wp8]],
    [158, [net45, sl5, win8, wp8]],
    [225, [net4, sl5, win8, wpa81]],
    [240, [net403, sl5, win8, wpa81]],
    [255, [net45, sl5, win8, wpa81]],
    [328, [net4, sl5, win8, wpa81, wp8]],
    [336, [net403, sl5, win8, wpa81, wp8]],
    [344, [net45, sl5, win8, wpa81, wp8]],
  ],
);

/** Profiles that also run on the Xamarin frameworks below, which a folder name may list or leave out. */
export const profilesWithOptionalFrameworks: ReadonlySet<number> = new Set([
  5, 6, 7, 14, 19, 24, 37, 42, 44, 47, 49, 78, 92, 102, 111, 136, 147, 151, 158, 225, 255, 259, 328, 336, 344,
]);

export const portableOptionalFrameworks: readonly FrameworkKey[] = [
  F.MonoAndroid,
  F.MonoTouch,
  F.XamarinIOs,
  F.XamarinMac,
  F.XamarinWatchOS,
  F.XamarinTVOS,
].map((id) => fw(id, []));
