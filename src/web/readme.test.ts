import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readmeBaseOf, renderReadme } from './readme.ts';

const gitHubBase = readmeBaseOf({
  authors: 'a',
  description: 'd',
  tags: [],
  requireLicenseAcceptance: false,
  developmentDependency: false,
  packageTypes: [],
  dependencyGroups: [],
  repository: { type: 'git', url: 'https://github.com/contoso/json.git', commit: 'abc123' },
});

const render = (source: string) => renderReadme(source, gitHubBase).markup;

describe('renderReadme', () => {
  it('renders GitHub-flavoured tables and highlighted fenced code with classes only', () => {
    const out = render('| a | b |\n|---|---|\n| 1 | 2 |\n\n```csharp\nvar x = "y";\n```\n');
    assert.match(out, /<table>[\s\S]*<td>1<\/td>/);
    assert.match(out, /<code class="hljs language-csharp"><span class="hljs-keyword">var<\/span>/);
    assert.doesNotMatch(out, /style=/);
  });

  it('resolves relative links and images against the repository at its commit', () => {
    const out = render('[docs](docs/usage.md) ![logo](./images/logo.png) [top](#usage)');
    assert.match(out, /href="https:\/\/github\.com\/contoso\/json\/blob\/abc123\/docs\/usage\.md"/);
    assert.match(
      out,
      /src="https:\/\/raw\.githubusercontent\.com\/contoso\/json\/abc123\/images\/logo\.png"/,
    );
    assert.match(out, /href="#usage"/);
  });

  it('drops relative images and keeps only the text of relative links when there is no repository', () => {
    const out = renderReadme('[docs](docs/usage.md) ![logo](logo.png)', {}).markup;
    assert.doesNotMatch(out, /<img/);
    assert.match(out, /<a>docs<\/a>/);
  });

  const hostile: [string, string][] = [
    ['script element', '<script>alert(1)</script>'],
    ['script in markdown html block', '<div>\n<script src="https://evil.example/x.js"></script>\n</div>'],
    ['event handler', '<img src="https://example.com/a.png" onerror="alert(1)">'],
    ['handler on a link', '<a href="https://example.com" onclick="alert(1)">x</a>'],
    ['javascript: link (markdown)', '[x](javascript:alert(1))'],
    ['javascript: link (html, mixed case, entity)', '<a href="JaVa&#x53;cript:alert(1)">x</a>'],
    ['data: image', '<img src="data:image/svg+xml,<svg onload=alert(1)>">'],
    ['form', '<form action="https://evil.example"><input name="k"><button>go</button></form>'],
    ['iframe', '<iframe src="https://evil.example"></iframe>'],
    ['style element', '<style>body{display:none}</style>'],
    ['style attribute', '<p style="position:fixed;inset:0">x</p>'],
    ['object and embed', '<object data="x.swf"></object><embed src="x.swf">'],
    ['svg with script', '<svg><script>alert(1)</script></svg>'],
    ['meta refresh', '<meta http-equiv="refresh" content="0;url=https://evil.example">'],
    ['base element', '<base href="https://evil.example/">'],
    ['link element', '<link rel="stylesheet" href="https://evil.example/x.css">'],
    ['class injection', '<p class="banner vulnerable">fake banner</p>'],
    ['protocol-relative image', '<img src="//evil.example/track.png">'],
  ];
  for (const [name, source] of hostile) {
    it(`neutralizes ${name}`, () => {
      const out = render(source).toLowerCase();
      assert.doesNotMatch(out, /<(script|style|iframe|form|input|button|object|embed|svg|meta|base|link)\b/);
      assert.doesNotMatch(out, /\son[a-z]+\s*=/);
      assert.doesNotMatch(out, /(href|src)="?\s*(javascript|data):/);
      assert.doesNotMatch(out, /style=|class="banner|evil\.example\/track/);
    });
  }
});
