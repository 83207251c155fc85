// Table tests for target framework monikers.
// Spec: ../../../../shared/spec/reference/target-frameworks.md; expectations also follow NuGet.Client's
// NuGet.Frameworks tests (NuGetFrameworkParseTests.cs), since the real client must agree with us.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isNuggetError } from '../../errors.ts';
import {
  frameworkEquals,
  frameworkParseFailure,
  isNet5Era,
  isSystemVersion,
  isSpecificFramework,
  type NuGetFramework,
  normalizeTargetFramework,
  parseFramework,
  toDotNetFrameworkName,
  toDotNetPlatformName,
  toFrameworkString,
  toShortFolderName,
} from './index.ts';

const fields = (f: NuGetFramework) => ({
  framework: f.framework,
  version: f.version,
  profile: f.profile,
  platform: f.platform,
  platformVersion: f.platformVersion,
});

describe('parseFramework: the monikers nuspecs and lib folders use', () => {
  // [input, framework, version, profile, platform, platformVersion, short folder name, .NET name]
  const rows: [string, string, string, string, string, string, string, string][] = [
    ['net8.0', '.NETCoreApp', '8.0.0.0', '', '', '', 'net8.0', '.NETCoreApp,Version=v8.0'],
    [
      'net8.0-windows7.0',
      '.NETCoreApp',
      '8.0.0.0',
      '',
      'windows',
      '7.0.0.0',
      'net8.0-windows7.0',
      '.NETCoreApp,Version=v8.0',
    ],
    [
      'net8.0-windows',
      '.NETCoreApp',
      '8.0.0.0',
      '',
      'windows',
      '0.0.0.0',
      'net8.0-windows',
      '.NETCoreApp,Version=v8.0',
    ],
    ['net10.0', '.NETCoreApp', '10.0.0.0', '', '', '', 'net10.0', '.NETCoreApp,Version=v10.0'],
    ['net5.0', '.NETCoreApp', '5.0.0.0', '', '', '', 'net5.0', '.NETCoreApp,Version=v5.0'],
    ['netstandard2.0', '.NETStandard', '2.0.0.0', '', '', '', 'netstandard2.0', '.NETStandard,Version=v2.0'],
    ['netstandard2.1', '.NETStandard', '2.1.0.0', '', '', '', 'netstandard2.1', '.NETStandard,Version=v2.1'],
    ['.NETStandard2.0', '.NETStandard', '2.0.0.0', '', '', '', 'netstandard2.0', '.NETStandard,Version=v2.0'],
    [
      '.NETStandard,Version=v2.0',
      '.NETStandard',
      '2.0.0.0',
      '',
      '',
      '',
      'netstandard2.0',
      '.NETStandard,Version=v2.0',
    ],
    ['net462', '.NETFramework', '4.6.2.0', '', '', '', 'net462', '.NETFramework,Version=v4.6.2'],
    ['net45', '.NETFramework', '4.5.0.0', '', '', '', 'net45', '.NETFramework,Version=v4.5'],
    ['.NETFramework4.6.2', '.NETFramework', '4.6.2.0', '', '', '', 'net462', '.NETFramework,Version=v4.6.2'],
    [
      '.NETFramework,Version=v4.6.2',
      '.NETFramework',
      '4.6.2.0',
      '',
      '',
      '',
      'net462',
      '.NETFramework,Version=v4.6.2',
    ],
    ['netcoreapp3.1', '.NETCoreApp', '3.1.0.0', '', '', '', 'netcoreapp3.1', '.NETCoreApp,Version=v3.1'],
    ['.NETCoreApp3.1', '.NETCoreApp', '3.1.0.0', '', '', '', 'netcoreapp3.1', '.NETCoreApp,Version=v3.1'],
    [
      'portable-net45+win8',
      '.NETPortable',
      '0.0.0.0',
      'Profile7',
      '',
      '',
      'portable-net45+win8',
      '.NETPortable,Version=v0.0,Profile=Profile7',
    ],
    ['uap10.0', 'UAP', '10.0.0.0', '', '', '', 'uap10.0', 'UAP,Version=v10.0'],
    ['native', 'native', '0.0.0.0', '', '', '', 'native', 'native,Version=v0.0'],
    ['any', 'Any', '0.0.0.0', '', '', '', 'any', 'Any,Version=v0.0'],
    ['', 'Unsupported', '0.0.0.0', '', '', '', 'unsupported', 'Unsupported,Version=v0.0'],
    ['monoandroid', 'MonoAndroid', '0.0.0.0', '', '', '', 'monoandroid', 'MonoAndroid,Version=v0.0'],
    ['xamarinios10', 'Xamarin.iOS', '1.0.0.0', '', '', '', 'xamarinios10', 'Xamarin.iOS,Version=v1.0'],
    ['tizen40', 'Tizen', '4.0.0.0', '', '', '', 'tizen40', 'Tizen,Version=v4.0'],
    ['banana', 'Unsupported', '0.0.0.0', '', '', '', 'unsupported', 'Unsupported,Version=v0.0'],
  ];
  for (const [input, framework, version, profile, platform, platformVersion, short, dotNet] of rows) {
    test(`'${input}' is ${dotNet}${platform ? ` on ${platform} ${platformVersion}` : ''}, folder '${short}'`, () => {
      const parsed = parseFramework(input);
      assert.deepEqual(fields(parsed), { framework, version, profile, platform, platformVersion });
      assert.equal(toShortFolderName(parsed), short);
      assert.equal(toDotNetFrameworkName(parsed), dotNet);
    });
  }
});

describe('parseFramework follows NuGet.Frameworks on the finer points', () => {
  // [input, short folder name, .NET name]; rows from NuGet.Client's NuGetFrameworkParseTests.
  const rows: [string, string, string][] = [
    ['.NETFramework3.5', 'net35', '.NETFramework,Version=v3.5'],
    ['Win10.1.2.3', 'win10.1.2.3', 'Windows,Version=v10.1.2.3'],
    ['net10', 'net10', '.NETFramework,Version=v1.0'], // no dot: one digit per part, so not .NET 10
    ['net10.1.2.3', 'net10.1.2.3', '.NETCoreApp,Version=v10.1.2.3'],
    ['net', 'net', '.NETFramework,Version=v0.0'],
    ['net40-client', 'net40-client', '.NETFramework,Version=v4.0,Profile=Client'],
    ['net40-full', 'net40', '.NETFramework,Version=v4.0'],
    ['net45-cf', 'net45-cf', '.NETFramework,Version=v4.5,Profile=CompactFramework'],
    ['net45-WP71', 'net45-wp71', '.NETFramework,Version=v4.5,Profile=WindowsPhone71'],
    ['net45-custom', 'net45-custom', '.NETFramework,Version=v4.5,Profile=custom'],
    ['net5', 'net5.0', '.NETCoreApp,Version=v5.0'],
    ['net50', 'net5.0', '.NETCoreApp,Version=v5.0'],
    ['netcoreapp5.0', 'net5.0', '.NETCoreApp,Version=v5.0'],
    ['NET8.0', 'net8.0', '.NETCoreApp,Version=v8.0'],
    ['netstandard', 'netstandard', '.NETStandard,Version=v0.0'],
    ['netstandard20', 'netstandard2.0', '.NETStandard,Version=v2.0'],
    ['netcoreapp21', 'netcoreapp2.1', '.NETCoreApp,Version=v2.1'],
    ['dotnet', 'dotnet', '.NETPlatform,Version=v5.0'],
    ['dotnet50', 'dotnet', '.NETPlatform,Version=v5.0'],
    ['dotnet5.1', 'dotnet51', '.NETPlatform,Version=v5.1'],
    ['netnano1.0', 'netnano1.0', '.NETnanoFramework,Version=v1.0'],
    ['windows8', 'win8', 'Windows,Version=v8.0'],
    ['windowsphone8', 'wp8', 'WindowsPhone,Version=v8.0'],
    ['.NETPlatform50', 'dotnet', '.NETPlatform,Version=v5.0'],
    ['NETFramework,Version=v4.5', 'net45', '.NETFramework,Version=v4.5'],
    [
      'Portable,Version=v0.0,Profile=Profile7',
      'portable-net45+win8',
      '.NETPortable,Version=v0.0,Profile=Profile7',
    ],
    ['uap,Version=v10.0.10030.1', 'uap10.0.10030.1', 'UAP,Version=v10.0.10030.1'],
    ['.NETCoreApp,Version=v5.0,Profile=Client', 'net5.0', '.NETCoreApp,Version=v5.0'],
    ['Foo,Version=v1.0', 'foo10', 'Foo,Version=v1.0'], // NuGet keeps an unknown identifier in a .NET name
    // Bare numbers are deprecated .NET Framework names, read by exact match only.
    ['45', 'net45', '.NETFramework,Version=v4.5'],
    ['4', 'net40', '.NETFramework,Version=v4.0'],
    ['2.0', 'net20', '.NETFramework,Version=v2.0'],
    // '%' escapes are undone first, as in NuGet (folder names in some zips are escaped).
    ['portable-win%2Bnet45%2Bwp8', 'portable-net45+win8+wp8', '.NETPortable,Version=v0.0,Profile=Profile78'],
    ['portable-net45+win10.0', 'portable-net45+win10.0', '.NETPortable,Version=v0.0,Profile=net45+win10.0'],
    ['portable-net45', 'portable-net45', '.NETPortable,Version=v0.0,Profile=net45'],
  ];
  for (const [input, short, dotNet] of rows) {
    test(`'${input}' -> '${short}', ${dotNet}`, () => {
      const parsed = parseFramework(input);
      assert.equal(toShortFolderName(parsed), short);
      assert.equal(toDotNetFrameworkName(parsed), dotNet);
    });
  }

  // [input, platform, platformVersion, short folder name, TargetPlatformMoniker]
  const platforms: [string, string, string, string, string][] = [
    ['net5.0-android', 'android', '0.0.0.0', 'net5.0-android', 'android,Version=0.0'],
    ['net5.0-android10', 'android', '10.0.0.0', 'net5.0-android10.0', 'android,Version=10.0'],
    ['net5.0-ios14.0', 'ios', '14.0.0.0', 'net5.0-ios14.0', 'ios,Version=14.0'],
    ['net5.0-macos10.15.2.3', 'macos', '10.15.2.3', 'net5.0-macos10.15.2.3', 'macos,Version=10.15.2.3'],
    [
      'net8.0-Windows10.0.19041.0',
      'Windows',
      '10.0.19041.0',
      'net8.0-windows10.0.19041',
      'Windows,Version=10.0.19041',
    ],
    ['netcoreapp5.0-windows', 'windows', '0.0.0.0', 'net5.0-windows', 'windows,Version=0.0'],
    ['net8.0', '', '', 'net8.0', ''],
  ];
  for (const [input, platform, platformVersion, short, platformName] of platforms) {
    test(`'${input}' has platform '${platform}' ${platformVersion}`, () => {
      const parsed = parseFramework(input);
      assert.equal(parsed.platform, platform);
      assert.equal(parsed.platformVersion, platformVersion);
      assert.equal(toShortFolderName(parsed), short);
      assert.equal(toDotNetPlatformName(parsed), platformName);
    });
  }

  test('only net5.0 and later are net5 era (and carry a platform)', () => {
    assert.equal(isNet5Era(parseFramework('net5.0')), true);
    assert.equal(isNet5Era(parseFramework('net10.0-android')), true);
    assert.equal(isNet5Era(parseFramework('netcoreapp3.1')), false);
    assert.equal(isNet5Era(parseFramework('net48')), false);
    assert.equal(parseFramework('netcoreapp3.1-windows').platform, '');
  });
});

describe('unknown or invalid monikers are Unsupported, and parsing never throws', () => {
  const unsupported = [
    '',
    'foo',
    'foo45',
    'foo45-client',
    'foo.45',
    'foo4.5.1.2.3',
    'portable-net($3747!4',
    'portable',
    '11',
    '46',
    '30',
    ' net45', // NuGet does not trim
    'net45+win8',
    'net45-',
    'net5.0-windows-7',
    'net99999999999.0',
    'portable-win+net-cf', // a framework inside a portable profile may not have a profile of its own
    '.NETPortable,Version=v0.0,Profile=win+net-cf',
    '.NETPortable,Version=v0.0', // a portable framework needs a profile
    '.NETFramework,Version=vX', // NuGet throws here
    ',',
    ' , ,',
    '%',
    '%zz',
    '-',
    '+',
    'portable-+',
    '\u0000',
    'ñet45',
    'x'.repeat(10_000),
  ];
  for (const input of unsupported) {
    test(`${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '...' : input)} is Unsupported`, () => {
      const parsed = parseFramework(input);
      assert.equal(parsed.framework, 'Unsupported');
      assert.equal(isSpecificFramework(parsed), false);
      assert.equal(toShortFolderName(parsed), 'unsupported');
    });
  }

  test('a portable profile number NuGet does not know parses, but has no folder name (NuGet throws too)', () => {
    const parsed = parseFramework('.NETPortable40-Profile1');
    assert.equal(toDotNetFrameworkName(parsed), '.NETPortable,Version=v4.0,Profile=Profile1');
    assert.throws(
      () => toShortFolderName(parsed),
      (error: unknown) => isNuggetError(error) && error.code === 'portable_profile_unknown',
    );
  });
});

// The spec's "Supported frameworks" table: every TFM parses to a real framework. Most are already
// their own short folder name; the exceptions are NuGet's: 'win10' reads as Windows 1.0, and
// Tizen versions are written with two digits.
describe("the spec's table of supported frameworks", () => {
  const rows: [string, string, string][] = [
    ['net11', '.NETFramework', 'net11'],
    ['net20', '.NETFramework', 'net20'],
    ['net35', '.NETFramework', 'net35'],
    ['net40', '.NETFramework', 'net40'],
    ['net403', '.NETFramework', 'net403'],
    ['net45', '.NETFramework', 'net45'],
    ['net451', '.NETFramework', 'net451'],
    ['net452', '.NETFramework', 'net452'],
    ['net46', '.NETFramework', 'net46'],
    ['net461', '.NETFramework', 'net461'],
    ['net462', '.NETFramework', 'net462'],
    ['net47', '.NETFramework', 'net47'],
    ['net471', '.NETFramework', 'net471'],
    ['net472', '.NETFramework', 'net472'],
    ['net48', '.NETFramework', 'net48'],
    ['netcore', '.NETCore', 'netcore'],
    ['netcore45', '.NETCore', 'netcore45'],
    ['netcore451', '.NETCore', 'netcore451'],
    ['netcore50', '.NETCore', 'netcore50'],
    ['netmf', '.NETMicroFramework', 'netmf'],
    ['win', 'Windows', 'win'],
    ['win8', 'Windows', 'win8'],
    ['win81', 'Windows', 'win81'],
    ['win10', 'Windows', 'win1'],
    ['sl4', 'Silverlight', 'sl4'],
    ['sl5', 'Silverlight', 'sl5'],
    ['wp', 'WindowsPhone', 'wp'],
    ['wp7', 'WindowsPhone', 'wp7'],
    ['wp75', 'WindowsPhone', 'wp75'],
    ['wp8', 'WindowsPhone', 'wp8'],
    ['wp81', 'WindowsPhone', 'wp81'],
    ['wpa81', 'WindowsPhoneApp', 'wpa81'],
    ['uap', 'UAP', 'uap'],
    ['uap10.0', 'UAP', 'uap10.0'],
    ['uap10.0.10240', 'UAP', 'uap10.0.10240'],
    ['netstandard1.0', '.NETStandard', 'netstandard1.0'],
    ['netstandard1.1', '.NETStandard', 'netstandard1.1'],
    ['netstandard1.2', '.NETStandard', 'netstandard1.2'],
    ['netstandard1.3', '.NETStandard', 'netstandard1.3'],
    ['netstandard1.4', '.NETStandard', 'netstandard1.4'],
    ['netstandard1.5', '.NETStandard', 'netstandard1.5'],
    ['netstandard1.6', '.NETStandard', 'netstandard1.6'],
    ['netstandard2.0', '.NETStandard', 'netstandard2.0'],
    ['netstandard2.1', '.NETStandard', 'netstandard2.1'],
    ['netcoreapp1.0', '.NETCoreApp', 'netcoreapp1.0'],
    ['netcoreapp1.1', '.NETCoreApp', 'netcoreapp1.1'],
    ['netcoreapp2.0', '.NETCoreApp', 'netcoreapp2.0'],
    ['netcoreapp2.1', '.NETCoreApp', 'netcoreapp2.1'],
    ['netcoreapp2.2', '.NETCoreApp', 'netcoreapp2.2'],
    ['netcoreapp3.0', '.NETCoreApp', 'netcoreapp3.0'],
    ['netcoreapp3.1', '.NETCoreApp', 'netcoreapp3.1'],
    ['net5.0', '.NETCoreApp', 'net5.0'],
    ['net6.0', '.NETCoreApp', 'net6.0'],
    ['net7.0', '.NETCoreApp', 'net7.0'],
    ['net8.0', '.NETCoreApp', 'net8.0'],
    ['net9.0', '.NETCoreApp', 'net9.0'],
    ['net10.0', '.NETCoreApp', 'net10.0'],
    ['tizen3', 'Tizen', 'tizen30'],
    ['tizen4', 'Tizen', 'tizen40'],
    ['native', 'native', 'native'],
    // Deprecated frameworks still parse.
    ['aspnet50', 'ASP.NET', 'aspnet50'],
    ['aspnetcore50', 'ASP.NETCore', 'aspnetcore50'],
    ['dnxcore50', 'DNXCore', 'dnxcore50'],
    ['dnx', 'DNX', 'dnx'],
    ['dnx45', 'DNX', 'dnx45'],
    ['dnx451', 'DNX', 'dnx451'],
    ['dnx452', 'DNX', 'dnx452'],
    ['dotnet', '.NETPlatform', 'dotnet'],
    ['dotnet50', '.NETPlatform', 'dotnet'],
    ['dotnet51', '.NETPlatform', 'dotnet51'],
    ['dotnet52', '.NETPlatform', 'dotnet52'],
    ['dotnet53', '.NETPlatform', 'dotnet53'],
    ['dotnet54', '.NETPlatform', 'dotnet54'],
    ['dotnet55', '.NETPlatform', 'dotnet55'],
    ['dotnet56', '.NETPlatform', 'dotnet56'],
    ['winrt', 'WinRT', 'winrt'],
    // Xamarin-defined frameworks.
    ['monoandroid', 'MonoAndroid', 'monoandroid'],
    ['monotouch', 'MonoTouch', 'monotouch'],
    ['monomac', 'MonoMac', 'monomac'],
    ['xamarinios', 'Xamarin.iOS', 'xamarinios'],
    ['xamarinmac', 'Xamarin.Mac', 'xamarinmac'],
    ['xamarinpsthree', 'Xamarin.PlayStation3', 'xamarinpsthree'],
    ['xamarinpsfour', 'Xamarin.PlayStation4', 'xamarinpsfour'],
    ['xamarinpsvita', 'Xamarin.PlayStationVita', 'xamarinpsvita'],
    ['xamarinwatchos', 'Xamarin.WatchOS', 'xamarinwatchos'],
    ['xamarintvos', 'Xamarin.TVOS', 'xamarintvos'],
    ['xamarinxboxthreesixty', 'Xamarin.Xbox360', 'xamarinxboxthreesixty'],
    ['xamarinxboxone', 'Xamarin.XboxOne', 'xamarinxboxone'],
  ];
  for (const [tfm, framework, short] of rows) {
    test(`'${tfm}' is ${framework}, folder '${short}'`, () => {
      const parsed = parseFramework(tfm);
      assert.equal(parsed.framework, framework);
      assert.equal(toShortFolderName(parsed), short);
    });
  }
});

// The spec's "Portable Class Libraries" table: each full name is its profile, and the folder name
// NuGet writes lists the profile's frameworks in alphabetical order.
describe("the spec's table of portable profiles", () => {
  const rows: [number, string][] = [
    [2, 'portable-net40+win8+sl4+wp7'],
    [3, 'portable-net40+sl4'],
    [4, 'portable-net45+sl4+win8+wp7'],
    [5, 'portable-net40+win8'],
    [6, 'portable-net403+win8'],
    [7, 'portable-net45+win8'],
    [14, 'portable-net40+sl5'],
    [18, 'portable-net403+sl4'],
    [19, 'portable-net403+sl5'],
    [23, 'portable-net45+sl4'],
    [24, 'portable-net45+sl5'],
    [31, 'portable-win81+wp81'],
    [32, 'portable-win81+wpa81'],
    [36, 'portable-net40+sl4+win8+wp8'],
    [37, 'portable-net40+sl5+win8'],
    [41, 'portable-net403+sl4+win8'],
    [42, 'portable-net403+sl5+win8'],
    [44, 'portable-net451+win81'],
    [46, 'portable-net45+sl4+win8'],
    [47, 'portable-net45+sl5+win8'],
    [49, 'portable-net45+wp8'],
    [78, 'portable-net45+win8+wp8'],
    [84, 'portable-wp81+wpa81'],
    [88, 'portable-net40+sl4+win8+wp75'],
    [92, 'portable-net40+win8+wpa81'],
    [95, 'portable-net403+sl4+win8+wp7'],
    [96, 'portable-net403+sl4+win8+wp75'],
    [102, 'portable-net403+win8+wpa81'],
    [104, 'portable-net45+sl4+win8+wp75'],
    [111, 'portable-net45+win8+wpa81'],
    [136, 'portable-net40+sl5+win8+wp8'],
    [143, 'portable-net403+sl4+win8+wp8'],
    [147, 'portable-net403+sl5+win8+wp8'],
    [151, 'portable-net451+win81+wpa81'],
    [154, 'portable-net45+sl4+win8+wp8'],
    [157, 'portable-win81+wp81+wpa81'],
    [158, 'portable-net45+sl5+win8+wp8'],
    [225, 'portable-net40+sl5+win8+wpa81'],
    // The spec's table says 'wpa8' here; NuGet's own mapping (and the Profile240 description,
    // "WindowsPhone 8.1 (UWP)") is wpa81.
    [240, 'portable-net403+sl5+win8+wpa81'],
    [255, 'portable-net45+sl5+win8+wpa81'],
    [259, 'portable-net45+win8+wpa81+wp8'],
    [328, 'portable-net40+sl5+win8+wpa81+wp8'],
    [336, 'portable-net403+sl5+win8+wpa81+wp8'],
    [344, 'portable-net45+sl5+win8+wpa81+wp8'],
  ];
  for (const [profileNumber, fullName] of rows) {
    test(`'${fullName}' is Profile${profileNumber}`, () => {
      const parsed = parseFramework(fullName);
      assert.equal(parsed.profile, `Profile${profileNumber}`);
      const frameworks = fullName.slice('portable-'.length).split('+').sort();
      assert.equal(toShortFolderName(parsed), `portable-${frameworks.join('+')}`);
      assert.equal(
        toDotNetFrameworkName(parsed),
        `.NETPortable,Version=v0.0,Profile=Profile${profileNumber}`,
      );
    });
  }

  test("the spec's 'wpa8' spelling of Profile240 is not a known profile (wpa8 is WindowsPhoneApp 8.0)", () => {
    assert.equal(parseFramework('portable-net403+sl5+win8+wpa8').profile, 'net403+sl5+win8+wpa8');
  });

  // [input, profile]: order, equivalent frameworks and the optional Xamarin frameworks do not matter.
  const normalizing: [string, string][] = [
    ['portable-win8+net45', 'Profile7'],
    ['portable-net45+win', 'Profile7'], // win = win8
    ['portable-net45+netcore45', 'Profile7'], // netcore45 = win8
    ['portable-win8+net45+monoandroid1+monotouch1', 'Profile7'],
    ['portable-net45+wp8+win+wpa', 'Profile259'],
    ['portable-net45+win8+wp8+wpa81+monotouch+monoandroid', 'Profile259'],
    ['portable-net45+wp8+win+wpa+win8', 'Profile259'],
    ['portable-net45+wp8+win+wpa+netcore+netcore45', 'Profile259'],
    ['portable-net450+net4.5+net45+wp8+wpa+win8+wpa81', 'Profile259'],
    ['.NETPortable,Version=v0.0,Profile=Profile259', 'Profile259'],
    ['.NETPortable,Version=v0.0,Profile=net45+win8', 'Profile7'],
    ['portable-net4%2Bsl5%2Bwp8%2Bwin8%2Bwpa81%2Bmonotouch%2Bmonoandroid', 'Profile328'],
    ['.NETPortable-net45+win8', 'Profile7'],
    // A profile number in a folder name is kept as written (NuGet reads the part after '-' as a list).
    ['portable-Profile259', 'Profile259'],
  ];
  for (const [input, profile] of normalizing) {
    test(`'${input}' is ${profile}`, () => {
      assert.equal(parseFramework(input).profile, profile);
    });
  }

  test('a Xamarin framework is optional only for the profiles that list it', () => {
    // Profile 2 has no optional frameworks, so adding monoandroid makes it no known profile.
    assert.equal(
      parseFramework('portable-net40+win8+sl4+wp7+monoandroid').profile,
      'net40+win8+sl4+wp7+monoandroid',
    );
  });
});

// Every moniker above: writing its short folder name and reading it again gives the same framework.
describe('round-trips', () => {
  const monikers = [
    'net8.0',
    'net8.0-windows7.0',
    'net8.0-windows',
    'NET8.0-Windows10.0.19041.0',
    'net10.0',
    'net5.0',
    'netstandard2.0',
    'netstandard2.1',
    '.NETStandard2.0',
    '.NETStandard,Version=v2.0',
    'net462',
    'net45',
    '.NETFramework4.6.2',
    '.NETFramework,Version=v4.6.2',
    'netcoreapp3.1',
    '.NETCoreApp3.1',
    'portable-net45+win8',
    'portable-net45+wp8+win+wpa',
    'portable-win8+net45+monoandroid1+monotouch1',
    'portable-Profile259',
    'portable-net45+win10.0',
    '.NETPortable,Version=v0.0,Profile=Profile7',
    'uap10.0',
    'uap10.0.10240',
    'native',
    'any',
    'agnostic',
    '',
    'banana',
    'monoandroid',
    'monoandroid90',
    'xamarinios10',
    'tizen40',
    'tizen3',
    'net40-client',
    'net45-cf',
    'sl4-wp',
    'net45-custom',
    'net',
    'win',
    'win10',
    'wp',
    'dotnet',
    'dotnet5.1',
    'netnano1.0',
    'net5.0-1.0',
  ];
  for (const moniker of monikers) {
    test(`parse(toShortFolderName(parse('${moniker}'))) is parse('${moniker}')`, () => {
      const parsed = parseFramework(moniker);
      assert.ok(frameworkEquals(parseFramework(toShortFolderName(parsed)), parsed));
    });
    test(`parse(normalizeTargetFramework('${moniker}')) is parse('${moniker}')`, () => {
      const parsed = parseFramework(moniker);
      const normalized = normalizeTargetFramework(moniker);
      // '' means Any: the registration leaf leaves the property out.
      const reread = normalized === '' ? parseFramework('any') : parseFramework(normalized);
      assert.ok(
        frameworkEquals(reread, parsed) || (moniker === '' && normalized === ''),
        `'${moniker}' -> '${normalized}'`,
      );
    });
  }
});

describe('normalizeTargetFramework: what registration and catalog documents emit', () => {
  const rows: [string, string][] = [
    // The form NuGet pack writes into nuspecs, and nuget.org passes through.
    ['.NETFramework4.6', '.NETFramework4.6'], // the docs' catalog sample (catalog-package-details.json)
    ['net46', '.NETFramework4.6'],
    ['.NETFramework,Version=v4.6', '.NETFramework4.6'],
    ['net462', '.NETFramework4.6.2'],
    ['net45', '.NETFramework4.5'],
    ['.NETFramework4.6.2', '.NETFramework4.6.2'],
    ['netstandard2.0', '.NETStandard2.0'],
    ['netstandard2.1', '.NETStandard2.1'],
    ['.NETStandard2.0', '.NETStandard2.0'],
    ['.NETStandard,Version=v2.0', '.NETStandard2.0'],
    ['netcoreapp3.1', '.NETCoreApp3.1'],
    ['.NETCoreApp3.1', '.NETCoreApp3.1'],
    // net5.0 and later are written as folder names.
    ['net5.0', 'net5.0'],
    ['net8.0', 'net8.0'],
    ['net10.0', 'net10.0'],
    ['.NETCoreApp,Version=v8.0', 'net8.0'],
    ['net8.0-windows7.0', 'net8.0-windows7.0'],
    ['net8.0-windows', 'net8.0-windows'],
    ['portable-net45+win8', '.NETPortable0.0-Profile7'],
    ['portable-net45+wp8+win+wpa', '.NETPortable0.0-Profile259'],
    ['net40-client', '.NETFramework4.0-Client'],
    ['uap10.0', 'UAP10.0'],
    ['native', 'native0.0'],
    ['monoandroid', 'MonoAndroid0.0'],
    ['MonoAndroid9.0', 'MonoAndroid9.0'],
    ['xamarinios10', 'Xamarin.iOS1.0'],
    ['tizen40', 'Tizen4.0'],
    // Any (absent, empty or 'any') is '': the group applies to every framework.
    ['', ''],
    ['any', ''],
    ['Any', ''],
    // What we cannot read is kept as written, as nuget.org does: a newer client may know it.
    ['banana', 'banana'],
    ['net45 ', 'net45 '],
    // A .NET name NuGet keeps but cannot write as a folder name stays a .NET name.
    ['Foo,Version=v1.0', 'Foo,Version=v1.0'],
  ];
  for (const [input, expected] of rows) {
    test(`'${input}' -> '${expected}'`, () => {
      assert.equal(normalizeTargetFramework(input), expected);
    });
  }
});

describe('toFrameworkString is what NuGet pack writes in a nuspec', () => {
  const rows: [string, string][] = [
    ['netstandard2.0', '.NETStandard2.0'],
    ['net472', '.NETFramework4.7.2'],
    ['net8.0-android34.0', 'net8.0-android34.0'],
    ['portable-Profile259', '.NETPortable0.0-Profile259'],
    ['dotnet', '.NETPlatform5.0'],
  ];
  for (const [input, expected] of rows) {
    test(`'${input}' -> '${expected}'`, () => {
      assert.equal(toFrameworkString(parseFramework(input)), expected);
    });
  }
});

describe('frameworkEquals', () => {
  const rows: [string, string, boolean][] = [
    ['net8.0-windows', 'net8.0-windows0.0', true],
    ['net8.0-Windows7.0', 'net8.0-windows7', true],
    ['net8.0-windows7.0', 'net8.0-windows8.0', false],
    ['net8.0-windows', 'net8.0', false],
    ['netstandard2.0', '.NETStandard,Version=v2.0', true],
    ['net45', 'net45-full', true],
    ['net45', 'net45-client', false],
    ['net45', 'net451', false],
    ['portable-Profile7', 'portable-profile7', true],
    ['win', 'win8', false], // equivalent for portable profiles, but not the same framework
  ];
  for (const [a, b, equal] of rows) {
    test(`'${a}' ${equal ? '=' : '!='} '${b}'`, () => {
      assert.equal(frameworkEquals(parseFramework(a), parseFramework(b)), equal);
    });
  }
});

describe('frameworkParseFailure: where NuGetFramework.Parse throws (restore then fails)', () => {
  const parses = [
    'net8.0',
    'netstandard2.0',
    'net45-client',
    'portable-net45+win8',
    'portable-Profile259',
    'portable',
    'foo-bar',
    'not a framework',
    ' ',
    '.NETFramework,Version=v4.7.2',
    '.NETFramework,Version= 4.5 ',
    '.NETFramework,Version=4',
    '.NETPortable,Version=v0.0,Profile=Profile7',
    'Foo,Version=v1.0',
    'Any,Version=garbage',
    ' , ',
  ];
  for (const text of parses) {
    test(`${JSON.stringify(text)} parses`, () => assert.equal(frameworkParseFailure(text), undefined));
  }
  const throws = [
    ',',
    ',,,',
    '.NETFramework,Version=v4.x',
    '.NETFramework,Version=',
    '.NETFramework,Version=v-1.0',
    '.NETFramework,Version=1.2.3.4.5',
    '.NETPortable,Version=v0.0,Profile=net45-client+win8',
    'portable-net45-client+win8',
    'portable-win8+net35-cf',
    'portable%2Dnet45-client',
  ];
  for (const text of throws) {
    test(`${JSON.stringify(text)} throws`, () => assert.notEqual(frameworkParseFailure(text), undefined));
  }
});

describe('isSystemVersion: System.Version.TryParse', () => {
  const rows: [string, boolean][] = [
    ['1.0', true],
    ['1.2.3.4', true],
    [' 1 . 2 ', true],
    ['+1.0', true],
    ['-0.1', true],
    ['2147483647.0', true],
    ['1', false],
    ['1.2.3.4.5', false],
    ['1.', false],
    ['-1.0', false],
    ['2147483648.0', false],
    ['1.0-beta', false],
    ['v1.0', false],
    ['', false],
  ];
  for (const [text, valid] of rows) {
    test(`${JSON.stringify(text)} -> ${valid}`, () => assert.equal(isSystemVersion(text), valid));
  }
});
