import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { html, trustedHtml } from './html.ts';

describe('html templates', () => {
  it('escape every text value, in text and in quoted attributes', () => {
    const hostile = `"><script>alert('x')</script>&`;
    assert.equal(
      html`<a title="${hostile}">${hostile}</a>`.markup,
      '<a title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">' +
        '&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</a>',
    );
  });

  it('keep nested templates and trusted markup, drop false, null and undefined, flatten lists', () => {
    const items = ['a<', 'b'].map((text) => html`<li>${text}</li>`);
    assert.equal(
      html`<ul>
          ${items}${false}${null}${undefined}${0}
        </ul>
        ${trustedHtml('<b>ok</b>')}`.markup.replace(/\s*\n\s*/g, ''),
      '<ul><li>a&lt;</li><li>b</li>0</ul><b>ok</b>',
    );
  });
});
